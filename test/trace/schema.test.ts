/**
 * schema/trace.schema.json describes every line of the traces aiospec writes:
 * the fixtures recorded on real systems (trace versions 1 and 2) validate line
 * by line with every field described, and lines that break the format (a
 * wrong version, page size, errno, suite, signal, an empty case) are refused. (A freshly recorded trace, version 2, is validated in
 * trace.test.ts.)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { refusedTraceLines as refusedLines, schemaValidator } from '../support/consumers.js';

const FIXTURES = resolve(import.meta.dirname, '../../fixtures');
const strict = schemaValidator('trace', { strict: true });

describe('the trace schema', () => {
  const fixtures = readdirSync(FIXTURES).filter((f) => f.endsWith('.trace.jsonl'));

  it('has fixtures to check (the premise)', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(4);
  });

  it.each(fixtures)('describes every line of %s', (name) => {
    const text = readFileSync(join(FIXTURES, name), 'utf8');
    expect(refusedLines(text).slice(0, 3)).toEqual([]);
  });

  it('refuses lines that break the format', () => {
    const lines = readFileSync(join(FIXTURES, 'host-linux.trace.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const header = lines[0]!;
    const caseLine = lines.find((l) => l.t === 'case')!;
    const report = caseLine.report as { results: Record<string, unknown>[] };
    for (const bad of [
      { ...header, format: 'other' },
      { ...header, version: 3 },
      { ...header, environment: { ...(header.environment as object), pageSize: 8192 } },
      { ...caseLine, t: 'cases' },
      { ...caseLine, suite: 'other' },
      { ...caseLine, case: { steps: [] } },
      { ...caseLine, report: { ...report, results: [{ ...report.results[0], errno: 4096 }] } },
      { ...caseLine, report: { status: 'crashed', signal: 'KILL', code: null, stderr: '' } },
      { t: 'end', cases: -1 },
    ])
      expect(strict(bad), JSON.stringify(bad).slice(0, 200)).toBe(false);
  });
});
