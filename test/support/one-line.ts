/** What every refusal of the CLI must look like: its exit status and one line on stderr, no stack. */
import { expect } from 'vitest';

export interface CliResult {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
}

export function expectOneLine(r: CliResult, code: number, message: RegExp): void {
  expect(r.code, r.err).toBe(code);
  const line = r.err.trim();
  expect(line.split('\n')).toHaveLength(1);
  expect(line).toMatch(message);
  expect(line).not.toMatch(/\n\s+at /);
}
