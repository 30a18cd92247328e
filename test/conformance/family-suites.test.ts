/**
 * The family suites as data: every table row and every generated case parses
 * back from its JSON (references to earlier setups, submits and files
 * checked), starts with its setup, never asks for a call that could block the
 * worker (aio-family.md §9), and waits only where a completion is to come.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Case,
  caseToJson,
  caseToString,
  describeCase,
  parseCase,
} from '../../conformance/cases.js';
import { completion } from '../../conformance/family/expect.js';
import { wouldBlock } from '../../conformance/family/would-block.js';
import { familyPropsArb, familyPropsCases, iocbArb } from '../../conformance/gen/family-props.js';
import { familySequenceArb, familySequenceCase } from '../../conformance/suites/family-stateful.js';
import { familyTableRows } from '../../conformance/suites/family-table.js';
import { IOCB_CMD } from '../../model/abi/iocb.js';
import type { IocbSpec } from '../../model/family/steps.js';
import { schemaValidator } from '../support/consumers.js';

const rows = familyTableRows();
const runnable = rows.filter((r) => r.skip === undefined).map((r) => r.case);

/** schema/case.schema.json, closed: every field a case carries must be described. */
const caseSchema = schemaValidator('case' as 'trace', { strict: true });

/** Every way a case must hold for any family suite. */
function expectWellFormed(c: Case): void {
  expect(parseCase(JSON.parse(caseToString(c)))).toEqual(c);
  expect(
    caseSchema(JSON.parse(caseToString(c))),
    JSON.stringify(caseSchema.errors?.slice(0, 2)),
  ).toBe(true);
  expect(c.steps[0]!.op).toBe('setup');
  expect(wouldBlock(c)).toBeNull();
  expect(describeCase(c)).not.toMatch(/undefined|NaN|\[object/);
}

describe('the family table', () => {
  it('has a row for every anchor test named in aio-family.md §10', () => {
    const sources = rows.map((r) => r.case.source ?? '').join('\n');
    for (const t of [
      'io_submit01',
      'io_submit02',
      'io_submit03',
      'io_submit04',
      'io_getevents01',
      'io_getevents02',
      'io_pgetevents01',
      'io_pgetevents02',
      'io_cancel01',
      'io_cancel02',
      ...['3', '4', '7', '8', '15', '16', '17', '18', '21', '22'].map(
        (n) => `libaio harness ${n}.t`,
      ),
      'aio.cc BasicWrite',
      'aio.cc BadOffset',
      'aio.cc BadIOVecs',
      'aio.cc Timeout',
    ])
      expect(sources, t).toContain(t);
  });

  it('has a row deciding each ordered check of the notes', () => {
    const sources = rows.map((r) => r.case.source ?? '').join('\n');
    const checks = [
      ...['P1', 'P2', 'P3', 'P4', 'P5', 'P6', 'P7', 'P8'],
      ...['R1', 'R2', 'R3', 'R4', 'R5', 'R6', 'R7'],
      ...['F1', 'F2', 'F4', 'Q1', 'Q2'],
      ...['§3', '§4', '§5', '§6'],
    ];
    for (const check of checks) expect(sources, check).toMatch(new RegExp(`${check}\\b`));
  });

  it('names every row, each name once', () => {
    const names = rows.map((r) => r.case.name);
    expect(names.every((n) => typeof n === 'string' && n.length > 0)).toBe(true);
    expect(new Set(names.map((n, i) => `${n}/${rows[i]!.case.source}`)).size).toBe(names.length);
  });

  it.each(runnable.map((c) => [c.name!, c] as const))('%s: well formed', (_name, c) => {
    expectWellFormed(c);
  });

  it('waits (min_nr > 0 with a timeout) only after something that completes later', () => {
    for (const c of runnable)
      for (const [k, s] of c.steps.entries()) {
        if (s.op !== 'getevents' || s.minNr <= 0 || typeof s.timeout !== 'object') continue;
        if (s.timeout.sec * 1_000_000_000n + s.timeout.nsec < 1_000_000_000n) continue;
        const before = c.steps.slice(0, k);
        const submitted = before.some((x) => x.op === 'submit');
        expect(submitted, `${c.name}: steps[${k}]`).toBe(true);
      }
  });
});

describe('family-props', () => {
  it('makes well-formed cases: a setup, one submit of one iocb, then what collects', () => {
    // Seed 13 once made a wake-up write to a regular file (which parseCase refuses, so its replay failed).
    for (const c of [...familyPropsCases(300, 7), ...familyPropsCases(1000, 13)]) {
      expectWellFormed(c);
      expect(c.steps[1]!.op).toBe('submit');
      const s = c.steps[1] as Extract<Case['steps'][number], { op: 'submit' }>;
      expect(s.iocbs).toHaveLength(1);
      expect(c.steps.some((x) => x.op === 'getevents')).toBe(true);
    }
  });

  it('waits exactly when the iocb completes later, and wakes or cancels a pending POLL first', () => {
    for (const c of familyPropsCases(300, 11)) {
      const s = c.steps[1] as Extract<Case['steps'][number], { op: 'submit' }>;
      const will = completion(s.iocbs[0] as never, c.files ?? []);
      const get = c.steps.find((x) => x.op === 'getevents') as Extract<
        Case['steps'][number],
        { op: 'getevents' }
      >;
      expect(get.minNr).toBe(will === 'now' ? 0 : 1);
      if (will === 'poll-wake') {
        // The write wakes the very file the POLL waits on (once it woke the case's first file instead).
        const wake = c.steps[2] as Extract<Case['steps'][number], { op: 'fdwrite' }>;
        expect(wake.op).toBe('fdwrite');
        expect('file' in wake.fd && wake.fd.file).toBe(
          'file' in s.iocbs[0]! && (s.iocbs[0] as { fd: { file: number } }).fd.file,
        );
      }
      if (will === 'poll-stuck') expect(c.steps[2]!.op).toBe('cancel');
    }
  });

  it('draws the edges: opcodes 4, 6 and ≥ 9, the nbytes sign bit, negative offsets, reserved2, RESFD, IOPRIO', () => {
    const iocbs = fc.sample(iocbArb(), { numRuns: 2000, seed: 3 }).map((x) => x.iocb);
    expect(iocbs.some((i) => i.opcode === 4)).toBe(true);
    expect(iocbs.some((i) => i.opcode === IOCB_CMD.NOOP)).toBe(true);
    expect(iocbs.some((i) => i.opcode >= 9)).toBe(true);
    expect(iocbs.some((i) => (i.nbytes ?? 0n) >= 1n << 63n)).toBe(true);
    expect(iocbs.some((i) => (i.offset ?? 0n) < 0n)).toBe(true);
    expect(iocbs.some((i) => (i.reserved2 ?? 0n) !== 0n)).toBe(true);
    expect(iocbs.some((i) => ((i.flags ?? 0) & 1) !== 0 && i.resfd !== undefined)).toBe(true);
    expect(iocbs.some((i) => ((i.flags ?? 0) & 2) !== 0 && i.reqprio !== undefined)).toBe(true);
    expect(iocbs.some((i) => (i.rwFlags ?? 0) !== 0)).toBe(true);
    expect(iocbs.some((i) => 'fd' in i.fd)).toBe(true);
  });

  it('never could block, whatever the seed', () => {
    fc.assert(
      fc.property(familyPropsArb(), (c) => wouldBlock(c) === null),
      { numRuns: 500, seed: 5 },
    );
  });
});

describe('family-stateful', () => {
  it('makes well-formed sequences that begin with a setup', () => {
    for (const cmds of fc.sample(familySequenceArb(), { numRuns: 200, seed: 9 }))
      expectWellFormed(familySequenceCase(cmds));
  });

  it('uses every kind of step', () => {
    const ops = new Set(
      fc
        .sample(familySequenceArb(), { numRuns: 200, seed: 13 })
        .flatMap((cmds) => familySequenceCase(cmds).steps.map((s) => s.op)),
    );
    for (const op of ['setup', 'submit', 'getevents', 'reap', 'cancel', 'fdwrite', 'destroy'])
      expect(ops.has(op as never), op).toBe(true);
  });

  it('keeps the iocbs of a sequence well under a context’s capacity', () => {
    for (const cmds of fc.sample(familySequenceArb(), { numRuns: 200, seed: 17 })) {
      const c = familySequenceCase(cmds);
      const iocbs = c.steps.reduce((n, s) => n + (s.op === 'submit' ? s.iocbs.length : 0), 0);
      expect(iocbs).toBeLessThanOrEqual(64);
    }
  });
});

describe('memory a case gives the kernel', () => {
  /** Whether an iocb could make the kernel touch memory past what the case gave it. */
  function overruns(i: IocbSpec, files: Case['files']): boolean {
    const n = i.nbytes;
    if (n === undefined || n >= 1n << 63n) return false;
    const b = i.buf;
    if ((i.opcode === 0 || i.opcode === 1) && b && 'bytes' in b) {
      const file = 'file' in i.fd ? files?.[i.fd.file] : undefined;
      const emptyFile = file?.kind === 'file' && (file.size ?? 0) === 0 && i.opcode === 0;
      return n > BigInt(b.bytes) && !emptyFile;
    }
    if ((i.opcode === 7 || i.opcode === 8) && b && 'iov' in b) {
      const within = (c: bigint) => c <= BigInt(b.iov.length) || c > 1024n;
      return !within(n) || !within(n & 0xffff_ffffn);
    }
    return (i.opcode === 7 || i.opcode === 8) && b !== undefined && 'bytes' in b;
  }
  const iocbsOf = (c: Case) =>
    c.steps.flatMap((s) =>
      s.op === 'submit' ? s.iocbs.filter((e): e is IocbSpec => 'opcode' in e) : [],
    );

  it('no table row, generated case or sequence reads or writes past its buffers', () => {
    const cases = [
      ...runnable,
      ...familyPropsCases(2000, 23),
      ...fc.sample(familySequenceArb(), { numRuns: 100, seed: 29 }).map(familySequenceCase),
    ];
    for (const c of cases)
      for (const i of iocbsOf(c))
        expect(overruns(i, c.files), JSON.stringify(caseToJson(c))).toBe(false);
  });
});

describe('the would-block check', () => {
  const wait = (timeout: unknown, minNr = 1) =>
    parseCase({
      steps: [
        { op: 'setup', nr: 1, ctx: 'zero' },
        { op: 'getevents', ctx: { setup: 0 }, minNr, nr: 1, timeout },
      ],
    });
  it('flags waits that may never end or last longer than a second', () => {
    expect(wouldBlock(wait('null'))).toMatch(/NULL timeout can wait forever/);
    expect(wouldBlock(wait({ sec: 0, nsec: -1 }))).toMatch(/negative timeout .* never expires/);
    expect(wouldBlock(wait({ sec: 2, nsec: 0 }))).toMatch(/longer than 1 s/);
    expect(wouldBlock(wait({ sec: 1, nsec: 0 }))).toBeNull();
    expect(wouldBlock(wait({ sec: -1, nsec: 1_000_000_000 }))).toBeNull(); // sums to 0: no wait
    expect(wouldBlock(wait('null', 0))).toBeNull(); // min_nr 0 never waits
  });

  it('flags a read of an empty blocking pipe into an unmapped buffer (pipe_read sleeps before it copies)', () => {
    // family-props, seed 11, case 466 hung a worker for 60 s before this was flagged.
    const c = parseCase({
      files: [{ kind: 'pipe' }, { kind: 'eventfd', nonblock: true }],
      steps: [
        { op: 'setup', nr: 128, ctx: 'zero' },
        {
          op: 'submit',
          ctx: { setup: 0 },
          iocbs: [
            { opcode: 0, fd: { file: 0, end: 'read' }, buf: { unmapped: true }, offset: '1' },
          ],
        },
        { op: 'getevents', ctx: { setup: 0 }, minNr: 0, nr: 16 },
      ],
    });
    expect(wouldBlock(c)).toMatch(/empty blocking pipe blocks io_submit/);
  });

  it('flags reads of empty blocking pipes and eventfds, and writes that may fill a pipe', () => {
    const io = (files: unknown[], steps: unknown[]) =>
      wouldBlock(parseCase({ files, steps: [{ op: 'setup', nr: 1, ctx: 'zero' }, ...steps] }));
    const read = (fd: unknown, extra = {}) => ({
      op: 'submit',
      ctx: { setup: 0 },
      iocbs: [{ opcode: 0, fd, buf: { bytes: 8 }, ...extra }],
    });
    expect(io([{ kind: 'pipe' }], [read({ file: 0, end: 'read' })])).toMatch(/empty blocking pipe/);
    expect(io([{ kind: 'pipe', fill: 8 }], [read({ file: 0, end: 'read' })])).toBeNull();
    expect(
      io(
        [{ kind: 'pipe', fill: 8 }],
        [read({ file: 0, end: 'read' }), read({ file: 0, end: 'read' })],
      ),
    ).toMatch(/empty blocking pipe/);
    expect(io([{ kind: 'pipe', nonblock: true }], [read({ file: 0, end: 'read' })])).toBeNull();
    expect(io([{ kind: 'pipe' }], [read({ file: 0, end: 'read' }, { rwFlags: 8 })])).toBeNull();
    expect(io([{ kind: 'eventfd' }], [read({ file: 0 })])).toMatch(/empty blocking eventfd/);
    expect(io([{ kind: 'eventfd' }], [{ op: 'fdread', fd: { file: 0 }, bytes: 8 }])).toMatch(
      /count may be 0/,
    );
    expect(
      io(
        [{ kind: 'pipe', fill: 65_000 }],
        [{ op: 'fdwrite', fd: { file: 0, end: 'write' }, bytes: 1000 }],
      ),
    ).toMatch(/may be full/);
    expect(
      io([{ kind: 'pipe' }], [{ op: 'fdread', fd: { file: 0, end: 'read' }, bytes: 1 }]),
    ).toMatch(/may be empty/);
  });
});
