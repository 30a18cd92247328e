/**
 * Helpers for tests that replay edited traces: a real fixture's lines, a way
 * to change one line's JSON, and the CLI run on the result. Bad traces are
 * made from real ones, so that only the edit is wrong.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

// biome-ignore lint/suspicious/noExplicitAny: trace lines are edited as the plain JSON they are
export type Json = any;

const BIN = resolve(import.meta.dirname, '../../bin/aiospec');

/** The lines of a fixture trace (recorded on a real system), without the final empty one. */
export function fixtureLines(name = 'host-linux.trace.jsonl'): string[] {
  const text = readFileSync(resolve(import.meta.dirname, '../../fixtures', name), 'utf8');
  return text.split('\n').filter((l) => l !== '');
}

/** The index of the first line whose JSON satisfies `pred` (throws when there is none). */
export function findLine(lines: readonly string[], pred: (o: Json) => boolean): number {
  const i = lines.findIndex((l) => pred(JSON.parse(l)));
  if (i < 0) throw new Error('no such line in the trace');
  return i;
}

/** Replace line i by what `edit` makes of its JSON (edit may change it in place and return nothing). */
export function editLine(lines: string[], i: number, edit: (o: Json) => Json | undefined): void {
  const o = JSON.parse(lines[i]!);
  lines[i] = JSON.stringify(edit(o) ?? o);
}

export function traceText(lines: readonly string[]): string {
  return `${lines.join('\n')}\n`;
}

/** A scratch directory for trace files, removed by `cleanup`. */
export function scratch(): {
  file: (name: string, lines: readonly string[]) => string;
  cleanup: () => void;
} {
  const dir = mkdtempSync(join(tmpdir(), 'aiospec-trace-'));
  return {
    file: (name, lines) => {
      const path = join(dir, name);
      writeFileSync(path, traceText(lines));
      return path;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** bin/aiospec with these arguments: exit status, stdout, stderr. */
export function aiospec(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

export const REPORTERS = ['human', 'tap', 'junit', 'json'] as const;
