/** This aiospec's version, as package.json says it (one place to change it). */
import { readFileSync } from 'node:fs';

/** package.json is two folders up from conformance/cli/ in the sources, three from dist/conformance/cli/. */
function readVersion(): string {
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'aiospec' && typeof pkg.version === 'string') return pkg.version;
    } catch {}
  }
  return 'unknown';
}

let cached: string | undefined;

export function toolVersion(): string {
  cached ??= readVersion();
  return cached;
}
