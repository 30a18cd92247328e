/**
 * A trace holding a family case: its case line (files, family steps) and the
 * worker's family results (real/family-protocol.ts FamilyStepResult) are
 * described by schema/trace.schema.json and read back by the trace reader;
 * a result that breaks the format is refused with the field named.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { caseToJson } from '../../conformance/cases.js';
import { parseTrace } from '../../conformance/trace/format.js';
import type { FamilyStepResult } from '../../real/family-protocol.js';
import { refusedTraceLines } from '../support/consumers.js';

const FIXTURE = resolve(import.meta.dirname, '../../fixtures/host-linux.trace.jsonl');

const RESULTS: FamilyStepResult[] = [
  { op: 'submit', ret: 2, errno: 0, keys: [0, null], ring: { head: 0, tail: 1 } },
  {
    op: 'getevents',
    ret: 1,
    errno: 0,
    events: [
      { data: '18446744073709551615', obj: { submitted: 1, index: 0 }, res: -14, res2: 0 },
      { data: 3, obj: { raw: '18446744069414584320' }, res: '-9223372036854775808', res2: 0 },
    ],
    ring: null,
  },
  { op: 'pgetevents', ret: -1, errno: 4, events: [], ring: { head: 1, tail: 1 }, usr1: 1 },
  { op: 'cancel', ret: -1, errno: 115, resultUntouched: true, ring: { head: 1, tail: 1 } },
  { op: 'reap', events: [], ring: { head: 1, tail: 1 } },
  { op: 'fdwrite', ret: 8, errno: 0 },
  { op: 'fdread', ret: 8, errno: 0, value: '9007199254740993' },
];

const CASE = caseToJson({
  files: [
    { kind: 'file', mode: 'rw' },
    { kind: 'eventfd', nonblock: true },
  ],
  steps: [
    { op: 'setup', nr: 1, ctx: 'zero' },
    {
      op: 'submit',
      ctx: { setup: 0 },
      iocbs: [{ opcode: 0, fd: { file: 0 }, buf: { bytes: 8 }, offset: -1n }, { null: true }],
    },
    { op: 'getevents', ctx: { setup: 0 }, minNr: 0, nr: 2 },
    {
      op: 'pgetevents',
      ctx: { setup: 0 },
      minNr: 0,
      nr: 1,
      sig: { mask: 'empty', size: 8n },
      pendingUsr1: true,
    },
    { op: 'cancel', ctx: { setup: 0 }, iocb: { submitted: 1, index: 0 } },
    { op: 'reap', ctx: { setup: 0 }, max: 1 },
    { op: 'fdwrite', fd: { file: 1 }, bytes: 8 },
    { op: 'fdread', fd: { file: 1 }, bytes: 8 },
  ],
});

/** The fixture with its first case line replaced by the family case and `results`. */
function traceWith(results: readonly unknown[]): string {
  const lines = readFileSync(FIXTURE, 'utf8').split('\n').filter(Boolean);
  const i = lines.findIndex((l) => l.includes('"t":"case"'));
  const line = JSON.parse(lines[i]!) as Record<string, unknown>;
  const setup = (line.report as { results: unknown[] }).results[0];
  lines[i] = JSON.stringify({
    ...line,
    suite: 'family-table',
    case: CASE,
    report: { status: 'ok', results: [setup, ...results] },
  });
  return `${lines.join('\n')}\n`;
}

describe('family results in a trace', () => {
  it('are described by the trace schema and read back', () => {
    const text = traceWith(RESULTS);
    expect(refusedTraceLines(text)).toEqual([]);
    expect(() => parseTrace(text)).not.toThrow();
  });

  it.each([
    [{ ...RESULTS[0], ret: -2 }, /ret/, true],
    [{ ...RESULTS[0], keys: [-1, null] }, /keys/, true],
    [{ ...RESULTS[1], events: [{ data: -1, obj: { raw: 0 }, res: 0, res2: 0 }] }, /data/, true],
    [
      {
        ...RESULTS[1],
        events: [{ data: 0, obj: { raw: 0 }, res: '9223372036854775808', res2: 0 }],
      },
      /res/,
      false, // a pattern cannot bound an s64: only the reader sees it is out of range
    ],
    [{ ...RESULTS[6], value: -1 }, /value/, true],
  ])('refuse %j', (bad, field, bySchema) => {
    const results = RESULTS.map((r) => (r.op === (bad as FamilyStepResult).op ? bad : r));
    expect(() => parseTrace(traceWith(results))).toThrow(field);
    if (bySchema) expect(refusedTraceLines(traceWith(results))).not.toEqual([]);
  });
});
