/**
 * Builds dist/playground/index.html: the page's TypeScript (playground/page/,
 * which imports the model and explain's renderers themselves, not copies) is
 * bundled by esbuild for the browser and inlined with the stylesheet into one
 * HTML file, so that the page works opened from disk with no network at all.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** The repository root: this file runs as dist/playground/build/bundle-page.js. */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const PAGE = join(ROOT, 'playground/page');
export const OUT = join(ROOT, 'dist/playground/index.html');

/** A bundle inlined in <script> must not close the element early. */
function scriptSafe(js: string): string {
  return js.replaceAll('</script', '<\\/script').replaceAll('<!--', '<\\!--');
}

export async function bundlePage(): Promise<string> {
  const result = await build({
    entryPoints: [join(PAGE, 'main.ts')],
    bundle: true,
    // platform "browser": an import of a Node module anywhere in the graph fails the build.
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    minify: true,
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const js = result.outputFiles[0]!.text;
  const css = readFileSync(join(PAGE, 'style.css'), 'utf8');
  const html = readFileSync(join(PAGE, 'index.html'), 'utf8');
  // Function replacers: a `$` in the bundle must not be read as a replacement pattern.
  return html.replace('/*STYLE*/', () => css).replace('/*SCRIPT*/', () => scriptSafe(js));
}

async function main(): Promise<void> {
  const html = await bundlePage();
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, html);
  process.stderr.write(`playground: ${OUT} (${Math.round(html.length / 1024)} KiB)\n`);
}

await main();
