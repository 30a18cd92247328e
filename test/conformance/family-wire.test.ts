/**
 * Family steps in the worker's wire form (real/family-protocol.ts): contexts
 * by setup step, 64-bit values as JSON numbers while exact and decimal
 * strings beyond (negative for s64), absent fields absent; files and pin
 * passed with the case.
 */
import { describe, expect, it } from 'vitest';
import { parseCase } from '../../conformance/cases.js';
import { realCase, realStep } from '../../conformance/engine/execute.js';
import { familyRealStep } from '../../conformance/family/to-wire.js';

const TWO_53 = 2n ** 53n;

describe('family steps on the wire', () => {
  it('names contexts by step and keeps 64-bit values exact', () => {
    expect(
      familyRealStep({
        op: 'submit',
        ctx: { setup: 2 },
        nr: -1,
        iocbs: [
          {
            opcode: 8,
            fd: { file: 1, end: 'write' },
            data: TWO_53, // 2^53: no longer exact as a double
            offset: -(2n ** 63n),
            nbytes: TWO_53 - 1n, // 2^53 - 1: still a number
            reserved2: 2n ** 64n - 1n,
            buf: { iov: [{ bytes: 3 }, { base: 0xffff_ffff_0000_0000n, len: 5n }] },
            resfd: { fd: 0xffff_ffff },
            flags: 1,
            key: 7,
            rwFlags: 8,
            reqprio: -1,
            readonly: true,
          },
          { null: true },
          { unmapped: true },
          { opcode: 5, fd: { file: 0 }, buf: { value: 1n }, offset: -1n },
        ],
      }),
    ).toEqual({
      op: 'submit',
      ctx: { step: 2 },
      nr: -1,
      iocbs: [
        {
          opcode: 8,
          fd: { file: 1, end: 'write' },
          data: '9007199254740992',
          offset: '-9223372036854775808',
          nbytes: 9007199254740991,
          reserved2: '18446744073709551615',
          buf: { iov: [{ bytes: 3 }, { base: '18446744069414584320', len: 5 }] },
          resfd: { fd: 4294967295 },
          flags: 1,
          key: 7,
          rwFlags: 8,
          reqprio: -1,
          readonly: true,
        },
        { null: true },
        { unmapped: true },
        { opcode: 5, fd: { file: 0 }, buf: { value: 1 }, offset: -1 },
      ],
    });
  });

  it('writes only the fields an iocb sets', () => {
    const wire = familyRealStep({
      op: 'submit',
      ctx: { address: '0' },
      iocbs: [{ opcode: 0, fd: { file: 0 } }],
      array: 'unmapped',
    });
    expect(JSON.stringify(wire)).toBe(
      '{"op":"submit","ctx":{"address":"0"},"iocbs":[{"opcode":0,"fd":{"file":0}}],"array":"unmapped"}',
    );
  });

  it('converts timeouts, sigsets and cancel targets', () => {
    expect(
      familyRealStep({
        op: 'pgetevents',
        ctx: { setup: 0 },
        minNr: 1,
        nr: 2,
        events: 'null',
        timeout: { sec: -(TWO_53 + 1n), nsec: 1_000_000_000n },
        sig: { mask: 'empty', size: 2n ** 64n - 1n },
        pendingUsr1: true,
      }),
    ).toEqual({
      op: 'pgetevents',
      ctx: { step: 0 },
      minNr: 1,
      nr: 2,
      events: 'null',
      timeout: { sec: '-9007199254740993', nsec: 1000000000 },
      sig: { mask: 'empty', size: '18446744073709551615' },
      pendingUsr1: true,
    });
    expect(
      familyRealStep({ op: 'getevents', ctx: { setup: 1 }, minNr: 0, nr: 1, timeout: 'null' }),
    ).toEqual({ op: 'getevents', ctx: { step: 1 }, minNr: 0, nr: 1, timeout: 'null' });
    expect(
      familyRealStep({
        op: 'cancel',
        ctx: { setup: 0 },
        iocb: { fresh: { opcode: 0, fd: { file: 0 }, data: 2n ** 64n - 1n } },
        result: 'null',
      }),
    ).toEqual({
      op: 'cancel',
      ctx: { step: 0 },
      iocb: { fresh: { opcode: 0, fd: { file: 0 }, data: '18446744073709551615' } },
      result: 'null',
    });
    expect(
      familyRealStep({ op: 'cancel', ctx: { setup: 0 }, iocb: { submitted: 1, index: 3 } }),
    ).toEqual({ op: 'cancel', ctx: { step: 0 }, iocb: { submitted: 1, index: 3 } });
    expect(familyRealStep({ op: 'reap', ctx: { setup: 0 }, max: 4 })).toEqual({
      op: 'reap',
      ctx: { step: 0 },
      max: 4,
    });
    expect(familyRealStep({ op: 'fdread', fd: { file: 2 }, bytes: 8 })).toEqual({
      op: 'fdread',
      fd: { file: 2 },
      bytes: 8,
    });
  });

  it('leaves io_setup/io_destroy steps as they were', () => {
    expect(realStep({ op: 'destroy', target: { handle: 1 } })).toEqual({
      op: 'destroy',
      target: { step: 1 },
    });
    expect(realStep({ op: 'clobber', setup: 0, id: 3 })).toEqual({ op: 'clobber', step: 0, id: 3 });
  });

  it('sends a case with its files and pin, and a case without them as before', () => {
    const c = parseCase({
      files: [{ kind: 'pipe', fill: 3 }, { kind: 'eventfd' }],
      pin: true,
      steps: [
        { op: 'setup', nr: 1, ctx: 'zero' },
        { op: 'fdwrite', fd: { file: 0, end: 'write' }, bytes: 1 },
      ],
    });
    expect(realCase(c, 4, true)).toEqual({
      id: 4,
      release: true,
      files: [{ kind: 'pipe', fill: 3 }, { kind: 'eventfd' }],
      pin: true,
      steps: [
        { op: 'setup', nr: 1, ctx: 'zero' },
        { op: 'fdwrite', fd: { file: 0, end: 'write' }, bytes: 1 },
      ],
    });
    expect(realCase({ steps: [{ op: 'setup', nr: 1, ctx: 'zero' }] }, 0, false)).toEqual({
      id: 0,
      release: false,
      steps: [{ op: 'setup', nr: 1, ctx: 'zero' }],
    });
  });
});
