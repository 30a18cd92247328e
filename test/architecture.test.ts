/**
 * Dependencies point one way: conformance -> model, real. The model imports
 * nothing outside model/ (it runs in a browser); real/ does not use the model's rules.
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

  it('real/ does not import the model', () => {
    for (const file of sources('real')) {
      for (const spec of imports(file))
        expect(`${file} -> ${target(file, spec)}`).not.toMatch(/-> model\//);
    }
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
});
