/**
 * Family case steps as JSON and as text: every step kind round-trips through
 * caseToString/parseCase, describes as the C call it makes, and bad input is
 * refused with one line naming the field.
 */
import { describe, expect, it } from 'vitest';
import { type Case, caseToString, describeCase, parseCase } from '../../conformance/cases.js';

const EVERY_KIND: Case = {
  name: 'every family step',
  files: [
    { kind: 'file', mode: 'rw', size: 4096, append: true },
    { kind: 'pipe', nonblock: true, fill: 10 },
    { kind: 'eventfd', count: 3, nonblock: true },
    { kind: 'dir' },
  ],
  pin: true,
  steps: [
    { op: 'setup', nr: 128, ctx: 'zero' },
    {
      op: 'submit',
      ctx: { setup: 0 },
      iocbs: [
        { opcode: 0, fd: { file: 0 }, buf: { bytes: 4096 } },
        { opcode: 6, fd: { file: 0 } },
        { opcode: 5, fd: { file: 1, end: 'read' }, buf: { value: 1n }, data: 7n },
        {
          opcode: 8,
          fd: { file: 0 },
          buf: { iov: [{ bytes: 512 }, { base: 0xffff_ffff_0000_0000n, len: 1n << 63n }] },
          offset: -1n,
          nbytes: (1n << 64n) - 1n,
          data: (1n << 64n) - 1n,
          key: 0xdead_beef,
          rwFlags: 8,
          reqprio: -32768,
          reserved2: 1n,
          flags: 3,
          resfd: { file: 2 },
          readonly: true,
        },
        { null: true },
        { unmapped: true },
        { opcode: 1, fd: { fd: 0xffff_ffff }, buf: { unmapped: true }, nbytes: 64n },
      ],
    },
    { op: 'submit', ctx: { address: '0' }, nr: -1, iocbs: [], array: 'unmapped' },
    { op: 'getevents', ctx: { setup: 0 }, minNr: 1, nr: 8, timeout: { sec: 0n, nsec: 0n } },
    {
      op: 'getevents',
      ctx: { setup: 0 },
      minNr: -1,
      nr: 1,
      events: 'null',
      timeout: { sec: -(1n << 63n), nsec: 1_000_000_000n },
    },
    {
      op: 'pgetevents',
      ctx: { setup: 0 },
      minNr: 0,
      nr: 1,
      timeout: 'unmapped',
      sig: { mask: 'block-usr1', size: 8n },
      pendingUsr1: true,
    },
    { op: 'pgetevents', ctx: { setup: 0 }, minNr: 0, nr: 1, sig: 'unmapped', events: 'readonly' },
    { op: 'cancel', ctx: { setup: 0 }, iocb: { submitted: 1, index: 2 } },
    { op: 'cancel', ctx: { setup: 0 }, iocb: { null: true }, result: 'null' },
    { op: 'cancel', ctx: { setup: 0 }, iocb: { unmapped: true } },
    { op: 'cancel', ctx: { setup: 0 }, iocb: { fresh: { opcode: 0, fd: { file: 0 }, key: 1 } } },
    { op: 'reap', ctx: { setup: 0 }, max: 4 },
    { op: 'fdwrite', fd: { file: 1, end: 'write' }, bytes: 16 },
    { op: 'fdread', fd: { file: 2 }, bytes: 8 },
    { op: 'destroy', target: { handle: 0 } },
  ],
};

describe('family cases as JSON', () => {
  it('round-trip every step kind, u64 and negative s64 values included', () => {
    expect(parseCase(JSON.parse(caseToString(EVERY_KIND)))).toEqual(EVERY_KIND);
  });

  it('carry u64 beyond 2^53 and negative s64 as decimal strings', () => {
    const text = caseToString(EVERY_KIND);
    expect(text).toContain('"data":"18446744073709551615"');
    expect(text).toContain('"offset":"-1"');
    expect(text).toContain('"sec":"-9223372036854775808"');
  });

  it('take exact JSON numbers for 64-bit fields too', () => {
    const c = parseCase({
      steps: [
        { op: 'setup', nr: 1, ctx: 'zero' },
        {
          op: 'getevents',
          ctx: { setup: 0 },
          minNr: 0,
          nr: 1,
          timeout: { sec: -5, nsec: 12 },
        },
      ],
    });
    expect(c.steps[1]).toMatchObject({ timeout: { sec: -5n, nsec: 12n } });
  });

  it('leave a case without files or pin as it was', () => {
    const c = parseCase({ steps: [{ op: 'setup', nr: 1, ctx: 'zero' }], pin: false });
    expect(c).toEqual({ steps: [{ op: 'setup', nr: 1, ctx: 'zero' }] });
  });
});

describe('family steps described', () => {
  it('as C-like calls, one per step', () => {
    expect(describeCase(EVERY_KIND).split('; ')).toEqual([
      '[files f0=file(rw, 4096, append) f1=pipe(nonblock, fill 10) f2=eventfd(3, nonblock) f3=dir, pinned] io_setup(128, zero)',
      'io_submit(#0, 7, [pread(f0, 4096@0), noop(f0), poll(f1.r, 0x1, data=7), pwritev(f0, [512, 0xffffffff00000000:9223372036854775808]@-1, nbytes=18446744073709551615, data=18446744073709551615, key=0xdeadbeef, rw=0x8, prio=-32768, res2=1, flags=0x3, resfd=f2, read-only), NULL, unmapped, pwrite(fd 0xffffffff, unmapped@0, nbytes=64)])',
      'io_submit(0, -1, unmapped)',
      'io_getevents(#0, 1, 8, 0s)',
      'io_getevents(#0, -1, 1, events=null, -9223372036854775808s+1000000000ns)',
      'io_pgetevents(#0, 0, 1, unmapped, {block-usr1, 8}) with SIGUSR1 pending',
      'io_pgetevents(#0, 0, 1, events=readonly, 0s, unmapped)',
      'io_cancel(#0, iocb 2 of #1)',
      'io_cancel(#0, NULL, NULL)',
      'io_cancel(#0, unmapped)',
      'io_cancel(#0, pread(f0, NULL@0, key=0x1))',
      'reap(#0, 4)',
      'write(f1.w, 16)',
      'read(f2, 8)',
      'io_destroy(#0)',
    ]);
  });

  it('name opcodes the ABI lacks by number', () => {
    const c = parseCase({
      files: [{ kind: 'file', mode: 'r' }],
      steps: [
        { op: 'setup', nr: 1, ctx: 'zero' },
        {
          op: 'submit',
          ctx: { setup: 0 },
          iocbs: [
            { opcode: 4, fd: { file: 0 } },
            { opcode: 9, fd: { file: 0 } },
          ],
        },
      ],
    });
    expect(describeCase(c)).toBe(
      '[files f0=file(r)] io_setup(1, zero); io_submit(#0, 2, [op4(f0), op9(f0)])',
    );
  });
});

const base = (
  steps: unknown[],
  files: unknown[] = [{ kind: 'file', mode: 'rw' }, { kind: 'pipe' }],
) => ({
  files,
  steps: [{ op: 'setup', nr: 1, ctx: 'zero' }, ...steps],
});
const submitOf = (iocb: Record<string, unknown>) =>
  base([{ op: 'submit', ctx: { setup: 0 }, iocbs: [{ opcode: 0, fd: { file: 0 }, ...iocb }] }]);

describe('bad family input', () => {
  it.each([
    [
      { steps: [{ op: 'submit', ctx: { setup: 0 }, iocbs: [] }] },
      /^case: steps\[0\]\.ctx refers to step 0, which is not an earlier setup$/,
    ],
    [
      base([{ op: 'submit', ctx: { setup: 0 }, iocbs: {} }]),
      /^case: steps\[1\]\.iocbs must be an array$/,
    ],
    [submitOf({ opcode: 0x10000 }), /^case: steps\[1\]\.iocbs\[0\]\.opcode must be a u16$/],
    [
      submitOf({ fd: { file: 5 } }),
      /^case: steps\[1\]\.iocbs\[0\]\.fd\.file 5 is not one of the case's 2 files$/,
    ],
    [
      submitOf({ fd: { file: 1 } }),
      /^case: steps\[1\]\.iocbs\[0\]\.fd\.end \(file 1 is a pipe\) must be one of read, write$/,
    ],
    [
      submitOf({ fd: { file: 0, end: 'read' } }),
      /^case: steps\[1\]\.iocbs\[0\]\.fd\.end is only for pipes \(file 0 is a file\)$/,
    ],
    [
      submitOf({ fd: { fd: 1 } }),
      /^case: steps\[1\]\.iocbs\[0\]\.fd\.fd 1 could be open in the worker/,
    ],
    [
      submitOf({ data: '18446744073709551616' }),
      /^case: steps\[1\]\.iocbs\[0\]\.data must be a u64/,
    ],
    [submitOf({ data: -1 }), /^case: steps\[1\]\.iocbs\[0\]\.data must be a u64/],
    [
      submitOf({ offset: '-9223372036854775809' }),
      /^case: steps\[1\]\.iocbs\[0\]\.offset must be an s64/,
    ],
    [submitOf({ offset: '0x10' }), /^case: steps\[1\]\.iocbs\[0\]\.offset must be an s64/],
    [submitOf({ offset: 2 ** 60 }), /^case: steps\[1\]\.iocbs\[0\]\.offset must be an s64/],
    [submitOf({ reqprio: 32768 }), /^case: steps\[1\]\.iocbs\[0\]\.reqprio must be an s16$/],
    [submitOf({ rwflags: 1 }), /^case: steps\[1\]\.iocbs\[0\] has an unknown field "rwflags"$/],
    [
      submitOf({ buf: { iov: Array(1026).fill({ bytes: 1 }) } }),
      /^case: steps\[1\]\.iocbs\[0\]\.buf\.iov may list at most 1025 iovecs$/,
    ],
    [
      submitOf({ buf: { unmapped: false } }),
      /^case: steps\[1\]\.iocbs\[0\]\.buf\.unmapped must be true$/,
    ],
    [
      submitOf({ resfd: { file: 9 } }),
      /^case: steps\[1\]\.iocbs\[0\]\.resfd\.file 9 is not one of/,
    ],
    [submitOf({ readonly: 1 }), /^case: steps\[1\]\.iocbs\[0\]\.readonly must be true or false$/],
    [
      base([{ op: 'submit', ctx: { setup: 0 }, iocbs: [], nr: 1.5 }]),
      /^case: steps\[1\]\.nr must be an integer$/,
    ],
    [
      base([{ op: 'submit', ctx: { address: '2**64' }, iocbs: [] }]),
      /^case: steps\[1\]\.ctx\.address must be a decimal or 0x string$/,
    ],
    [
      base([{ op: 'submit', ctx: { address: '0x10000000000000000' }, iocbs: [] }]),
      /^case: steps\[1\]\.ctx\.address 0x10000000000000000 is above 2\^64-1$/,
    ],
    [
      base([{ op: 'getevents', ctx: { setup: 0 }, minNr: 0 }]),
      /^case: steps\[1\]\.nr must be an integer$/,
    ],
    [
      base([{ op: 'getevents', ctx: { setup: 0 }, minNr: 0, nr: 1, timeout: 'never' }]),
      /^case: steps\[1\]\.timeout must be "null", "unmapped" or \{sec, nsec\}$/,
    ],
    [
      base([{ op: 'getevents', ctx: { setup: 0 }, minNr: 0, nr: 1, events: 'heap' }]),
      /^case: steps\[1\]\.events must be one of buffer, null, unmapped, readonly$/,
    ],
    [
      base([{ op: 'getevents', ctx: { setup: 0 }, minNr: 0, nr: 1, sig: 'null' }]),
      /^case: steps\[1\] has an unknown field "sig"$/,
    ],
    [
      base([
        { op: 'pgetevents', ctx: { setup: 0 }, minNr: 0, nr: 1, sig: { mask: 'full', size: 8 } },
      ]),
      /^case: steps\[1\]\.sig\.mask must be one of null, unmapped, empty, block-usr1$/,
    ],
    [
      base([
        { op: 'pgetevents', ctx: { setup: 0 }, minNr: 0, nr: 1, sig: { mask: 'empty', size: -8 } },
      ]),
      /^case: steps\[1\]\.sig\.size must be a u64/,
    ],
    [
      base([{ op: 'cancel', ctx: { setup: 0 }, iocb: { submitted: 0, index: 0 } }]),
      /^case: steps\[1\]\.iocb refers to step 0, which is not an earlier submit$/,
    ],
    [
      base([
        { op: 'submit', ctx: { setup: 0 }, iocbs: [{ null: true }] },
        { op: 'cancel', ctx: { setup: 0 }, iocb: { submitted: 1, index: 0 } },
      ]),
      /^case: steps\[2\]\.iocb refers to entry 0 of step 1, which is not an iocb$/,
    ],
    [
      base([
        { op: 'cancel', ctx: { setup: 0 }, iocb: { submitted: 2, index: 0 } },
        { op: 'submit', ctx: { setup: 0 }, iocbs: [] },
      ]),
      /^case: steps\[1\]\.iocb refers to step 2, which is not an earlier submit$/,
    ],
    [
      base([{ op: 'reap', ctx: { setup: 0 }, max: -1 }]),
      /^case: steps\[1\]\.max must be an integer from 0 to/,
    ],
    [
      base([{ op: 'fdwrite', fd: { file: 0 }, bytes: 8 }]),
      /^case: steps\[1\]\.fd must name a pipe or an eventfd of the case \(not a file\)$/,
    ],
    [
      base([{ op: 'fdread', fd: { fd: 0xffff_ffff }, bytes: 8 }]),
      /^case: steps\[1\]\.fd must name a pipe or an eventfd of the case \(not a literal\)$/,
    ],
    [
      base([], [{ kind: 'socket' }]),
      /^case: files\[0\]\.kind must be one of file, pipe, eventfd, dir$/,
    ],
    [base([], [{ kind: 'file' }]), /^case: files\[0\]\.mode must be one of r, w, rw$/],
    [
      base([], [{ kind: 'pipe', fill: 65537 }]),
      /^case: files\[0\]\.fill must be an integer from 0 to 65536$/,
    ],
    [base([], [{ kind: 'eventfd', count: -1 }]), /^case: files\[0\]\.count must be a u32$/],
    [base([], [{ kind: 'dir', mode: 'r' }]), /^case: files\[0\] has an unknown field "mode"$/],
    [{ files: {}, steps: [{ op: 'setup', nr: 1, ctx: 'zero' }] }, /^case: files must be an array$/],
    [
      { pin: 'yes', steps: [{ op: 'setup', nr: 1, ctx: 'zero' }] },
      /^case: pin must be true or false$/,
    ],
  ])('refuses %j in one line', (json, message) => {
    let error: Error | undefined;
    try {
      parseCase(json);
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).toMatch(message);
    expect(error!.message.split('\n')).toHaveLength(1);
  });

  it('still names the ops it knows when the op is unknown', () => {
    expect(() => parseCase({ steps: [{ op: 'fork' }] })).toThrow(
      /^case: steps\[0\]\.op must be setup, destroy or clobber, or one of the family's: submit, getevents, pgetevents, cancel, reap, fdwrite, fdread$/,
    );
  });
});
