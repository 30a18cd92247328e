/**
 * The package as a user gets it: `npm pack`, then `npm install` of the tarball
 * in an empty directory (offline: see lockFor), and
 * both entry points imported from JavaScript and type-checked from TypeScript.
 * `aiospec/model` must need nothing from Node.js: its files import only each
 * other, and a consumer with the DOM's types and no Node types compiles.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const dir = mkdtempSync(join(tmpdir(), 'aiospec-pack-'));
const app = join(dir, 'app');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Packed {
  filename: string;
  size: number;
  unpackedSize: number;
  files: { path: string }[];
}
let packed: Packed;

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

type LockEntry = Record<string, unknown> & {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
};

/**
 * A lockfile for an app depending on the tarball: the tarball's own entry, and
 * its dependencies' entries as this repository's lockfile pins them. npm's cache
 * holds those packages (npm ci put them there) but not the registry's metadata
 * about them, which `npm install --offline <tarball>` would otherwise ask for.
 */
function lockFor(tarball: string): object {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const pinned: Record<string, LockEntry> = JSON.parse(
    readFileSync(join(ROOT, 'package-lock.json'), 'utf8'),
  ).packages;
  const bytes = readFileSync(join(app, tarball));
  const packages: Record<string, object> = {
    '': { name: 'app', dependencies: { aiospec: `file:${tarball}` } },
    'node_modules/aiospec': {
      version: pkg.version,
      resolved: `file:${tarball}`,
      integrity: `sha512-${createHash('sha512').update(bytes).digest('base64')}`,
      license: pkg.license,
      dependencies: pkg.dependencies,
      bin: pkg.bin,
      engines: pkg.engines,
    },
  };
  const todo = Object.keys(pkg.dependencies);
  for (let name = todo.pop(); name !== undefined; name = todo.pop()) {
    const key = `node_modules/${name}`;
    if (packages[key] || !pinned[key]) continue;
    const { dev: _dev, devOptional: _devOptional, ...entry } = pinned[key];
    packages[key] = entry;
    todo.push(...Object.keys(entry.dependencies ?? {}));
    todo.push(...Object.keys(entry.optionalDependencies ?? {}));
  }
  return { name: 'app', lockfileVersion: 3, requires: true, packages };
}

beforeAll(() => {
  mkdirSync(app);
  // npm test has just built dist/; packing must not build again (--ignore-scripts).
  [packed] = JSON.parse(
    npm(['pack', '--json', '--ignore-scripts', '--pack-destination', app], ROOT),
  );
  const dependencies = { aiospec: `file:${packed.filename}` };
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'app', private: true, type: 'module', dependencies }),
  );
  writeFileSync(join(app, 'package-lock.json'), JSON.stringify(lockFor(packed.filename)));
  npm(['install', '--offline', '--no-audit', '--no-fund'], app);
}, 180_000);

function node(file: string): string {
  const r = spawnSync(process.execPath, [file], { cwd: app, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`node ${file}: ${r.stderr}`);
  return r.stdout;
}

function tsc(config: object, source: string): { code: number | null; out: string } {
  writeFileSync(join(app, 'consumer.ts'), source);
  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ ...config, files: ['consumer.ts'] }));
  const r = spawnSync(process.execPath, [TSC, '-p', app, '--noEmit'], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout + r.stderr };
}

describe('the packed package', () => {
  it('holds what a user runs (CLI, library, types, the playground page, LICENSE) and nothing only tests or the benchmark need', () => {
    const paths = packed.files.map((f) => f.path);
    for (const p of [
      'bin/aiospec',
      'LICENSE',
      'README.md',
      'package.json',
      'dist/conformance/cli/main.js',
      'dist/conformance/index.js',
      'dist/conformance/index.d.ts',
      'dist/model/index.js',
      'dist/model/index.d.ts',
      'dist/real/worker/main.js',
      'dist/playground/index.html',
      'schema/report.schema.json',
      'schema/trace.schema.json',
      'schema/matrix.schema.json',
    ])
      expect(paths).toContain(p);
    const stray = paths.filter(
      (p) =>
        !/^(bin\/aiospec|LICENSE|README\.md|package\.json|dist\/playground\/index\.html|schema\/(report|trace|case|matrix)\.schema\.json|dist\/(conformance|model|real)\/.+\.(js|d\.ts))$/.test(
          p,
        ),
    );
    expect(stray).toEqual([]);
  });

  it('is as big as the README says', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const m = /The package is about (\d+) kB packed \((\d+) kB unpacked, (\d+) files\)/.exec(
      readme,
    );
    expect(m, 'the README states the size').not.toBeNull();
    // Within 10%: the figure is for people; it must not go stale as the code grows.
    expect(Math.abs(Number(m![1]) * 1000 - packed.size) / packed.size).toBeLessThan(0.1);
    expect(Math.abs(Number(m![2]) * 1000 - packed.unpackedSize) / packed.unpackedSize).toBeLessThan(
      0.1,
    );
    expect(Math.abs(Number(m![3]) - packed.files.length) / packed.files.length).toBeLessThan(0.1);
  });

  it('imports aiospec/model and aiospec from JavaScript', () => {
    writeFileSync(
      join(app, 'use.mjs'),
      `import { readFileSync } from 'node:fs';
import { decideIoSetup, makeEnv, newProcessState } from 'aiospec/model';
import { explain, replay } from 'aiospec';
const env = makeEnv({ aioMaxNr: 65536n });
const call = (nrEvents) => decideIoSetup(env, newProcessState(env), { nrEvents, ctx: 'zero' }).errno;
const report = await replay(readFileSync(${JSON.stringify(join(ROOT, 'fixtures/host-linux.trace.jsonl'))}, 'utf8'));
console.log(JSON.stringify({
  zero: call(0), one: call(1), over: call(65537),
  explained: explain({ nrEvents: 65537, env: { aioMaxNr: 65536n } }).errno,
  replayed: { ...report, wallMs: 0 },
}));
`,
    );
    const got = JSON.parse(node('use.mjs'));
    // io_setup(0) is EINVAL, io_setup(1) fits, more events than aio-max-nr is EAGAIN (fs/aio.c).
    expect(got).toMatchObject({ zero: 'EINVAL', one: null, over: 'EAGAIN', explained: 'EAGAIN' });
    // The library's replay is what `aiospec replay --reporter json` prints.
    const cli = spawnSync(
      process.execPath,
      [
        join(app, 'node_modules/aiospec/bin/aiospec'),
        'replay',
        join(ROOT, 'fixtures/host-linux.trace.jsonl'),
        '--reporter',
        'json',
      ],
      { encoding: 'utf8' },
    );
    expect(cli.status, cli.stderr).toBe(0);
    expect(got.replayed).toEqual({ ...JSON.parse(cli.stdout), wallMs: 0 });
  });

  it('type-checks a TypeScript consumer of both entry points, and rejects a wrong call', () => {
    const config = {
      compilerOptions: {
        strict: true,
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        types: ['node'],
        typeRoots: [join(ROOT, 'node_modules/@types')],
      },
    };
    const source = `import { type Environment, type SetupOutcome, decideIoSetup, makeEnv, newProcessState } from 'aiospec/model';
import { type ExplainJson, type JsonReport, doctor, explain, run } from 'aiospec';
const env: Environment = makeEnv({ possibleCpus: 8 });
const outcome: SetupOutcome = decideIoSetup(env, newProcessState(env), { nrEvents: 128, ctx: 'zero' });
const explained: ExplainJson = explain({ nrEvents: 128, ctx: 'zero', env: { possibleCpus: 8 } });
export async function check(): Promise<[SetupOutcome, ExplainJson, JsonReport, unknown]> {
  const report: JsonReport = await run({ suites: ['props'], runs: 10, signal: AbortSignal.timeout(5000) });
  return [outcome, explained, report, await doctor({ nrEvents: 128 })];
}
`;
    const good = tsc(config, source);
    expect(good.out).toBe('');
    expect(good.code).toBe(0);
    // Types, not any: a wrong argument must be refused.
    const bad = tsc(config, `${source}explain({ nrEvents: '128' });\n`);
    expect(bad.code).not.toBe(0);
    expect(bad.out).toMatch(/consumer\.ts.*error TS2322/);
  });

  it('aiospec/model type-checks for a browser bundle: DOM types, no Node types', () => {
    const r = tsc(
      {
        compilerOptions: {
          strict: true,
          module: 'esnext',
          moduleResolution: 'bundler',
          target: 'es2022',
          lib: ['es2022', 'dom'],
          types: [],
        },
      },
      `import { DEFAULT_ENV, decideIoSetup, newProcessState } from 'aiospec/model';
const o = decideIoSetup(DEFAULT_ENV, newProcessState(DEFAULT_ENV), { nrEvents: 1, ctx: 'zero' });
document.body.textContent = String(o.errno);
`,
    );
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
  });

  it("aiospec/model's files import only each other: nothing from Node.js or other packages", () => {
    const modelDir = join(app, 'node_modules/aiospec/dist/model');
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      const specs = [
        ...text.matchAll(
          /(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g,
        ),
      ].map((m) => (m[1] ?? m[2])!);
      for (const spec of specs) {
        expect(spec, `${relative(modelDir, file)} imports ${spec}`).toMatch(/^\.\.?\//);
        const target = resolve(dirname(file), spec);
        expect(
          relative(modelDir, target),
          `${relative(modelDir, file)} imports ${spec}`,
        ).not.toMatch(/^\.\./);
        expect(existsSync(target)).toBe(true);
        visit(target);
      }
      expect(text, relative(modelDir, file)).not.toMatch(/\brequire\s*\(|\bprocess\.|\bBuffer\b/);
    };
    visit(join(modelDir, 'index.js'));
    expect(seen.size).toBeGreaterThan(10);
  });
});
