/**
 * Dependencies point one way: conformance -> model, real. The model imports
 * nothing outside model/ (it runs in a browser); real/ does not use the model's
 * rules: of the model it may import only the kernel's ABI facts (model/abi/),
 * which import nothing else.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile() && d.name.endsWith('.ts'))
    .map((d) => relative(ROOT, join(d.parentPath, d.name)));
}

function imports(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [
    ...text.matchAll(
      /(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g,
    ),
  ].map((m) => (m[1] ?? m[2])!);
}

function target(file: string, spec: string): string {
  return spec.startsWith('.') ? relative(ROOT, resolve(ROOT, dirname(file), spec)) : spec;
}

describe('architecture', () => {
  it('model/ imports only files inside model/', () => {
    const files = sources('model');
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      for (const spec of imports(file)) {
        expect(`${file} -> ${target(file, spec)}`).toMatch(/-> model\//);
      }
    }
  });

  it('model/ uses no Node or DOM globals', () => {
    for (const file of sources('model')) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      expect(text, file).not.toMatch(/\b(process|Buffer|require|__dirname|window|document)\b[.(]/);
    }
  });

  it('real/ imports of the model only its ABI facts (model/abi/)', () => {
    let abi = 0;
    for (const file of sources('real')) {
      for (const spec of imports(file)) {
        const edge = `${file} -> ${target(file, spec)}`;
        if (/-> model\//.test(edge)) expect(edge).toMatch(/-> model\/abi\//);
        if (/-> model\/abi\//.test(edge)) abi++;
      }
    }
    expect(abi).toBeGreaterThan(0);
  });

  it('model/abi/ imports nothing, not even the rest of the model', () => {
    const files = sources('model/abi');
    expect(files.length).toBeGreaterThan(2);
    for (const file of files)
      for (const spec of imports(file))
        expect(`${file} -> ${target(file, spec)}`).toMatch(/-> model\/abi\//);
  });

  it('replay and the confirmation policy reach nothing that starts a worker or a process', () => {
    // Follow every relative import from replay.ts; none may lead to the worker launcher or child_process.
    const seen = new Set<string>();
    const todo = ['conformance/trace/replay.ts', 'conformance/engine/confirm.ts'];
    while (todo.length > 0) {
      const file = todo.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      for (const spec of imports(file)) {
        const to = target(file, spec).replace(/\.js$/, '.ts');
        expect(`${file} -> ${to}`).not.toMatch(
          /-> (real\/worker-process|real\/targets\/|node:child_process)/,
        );
        if (spec.startsWith('.')) todo.push(to);
      }
    }
    expect(seen.size).toBeGreaterThan(5);
  });

  it('model/ has no import cycles (each file can be read before the ones that use it)', () => {
    const edges = new Map(
      sources('model').map((f) => [
        f,
        imports(f)
          .filter((spec) => spec.startsWith('.'))
          .map((spec) => target(f, spec).replace(/\.js$/, '.ts')),
      ]),
    );
    const done = new Set<string>();
    const visit = (f: string, path: string[]): void => {
      expect(path, `import cycle: ${[...path, f].join(' -> ')}`).not.toContain(f);
      if (done.has(f)) return;
      for (const to of edges.get(f) ?? []) visit(to, [...path, f]);
      done.add(f);
    };
    for (const f of edges.keys()) visit(f, []);
  });
});
