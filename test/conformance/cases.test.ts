import { describe, expect, it } from 'vitest';
import { type Case, caseToString, describeCase, parseCase } from '../../conformance/cases.js';

describe('cases as JSON', () => {
  it('round-trip, u64 values included', () => {
    const c: Case = {
      name: 'x',
      headroom: (1n << 64n) - 1n,
      seccomp: 'EPERM',
      steps: [
        { op: 'setup', nr: 0xffff_ffff, ctx: 'readonly', asHeadroom: 4096n },
        { op: 'destroy', target: { handle: 0 } },
        { op: 'clobber', setup: 0, id: 7 },
        { op: 'destroy', target: { bogus: { u32: 3, offset: 8 } } },
        { op: 'destroy', target: { unmapped: true } },
        { op: 'destroy', target: { address: '0xffffffffffffffff' } },
      ],
    };
    expect(parseCase(JSON.parse(caseToString(c)))).toEqual(c);
    expect(describeCase(c)).toBe(
      '[headroom 18446744073709551615, seccomp EPERM] io_setup(0xffffffff, readonly, AS+4096); io_destroy(#0); ring#0->id = 7; io_destroy(bogus(u32 3, +8)); io_destroy(unmapped); io_destroy(0xffffffffffffffff)',
    );
  });

  it.each([
    [{}, /steps must be a non-empty array/],
    [{ steps: [{ op: 'setup', nr: -1, ctx: 'zero' }] }, /steps\[0\]\.nr must be a u32/],
    [{ steps: [{ op: 'setup', nr: 1, ctx: 'weird' }] }, /steps\[0\]\.ctx must be one of/],
    [
      { steps: [{ op: 'destroy', target: { handle: 0 } }] },
      /refers to step 0, which is not an earlier setup/,
    ],
    [
      {
        steps: [
          { op: 'setup', nr: 1, ctx: 'zero' },
          { op: 'clobber', setup: 5, id: 0 },
        ],
      },
      /refers to step 5/,
    ],
    [{ steps: [{ op: 'fork' }] }, /op must be setup, destroy or clobber/],
    [{ headroom: '-3', steps: [{ op: 'setup', nr: 1, ctx: 'zero' }] }, /headroom must be a u64/],
    [
      { seccomp: 'ENOPE', steps: [{ op: 'setup', nr: 1, ctx: 'zero' }] },
      /seccomp must be an errno name/,
    ],
  ])('rejects %j clearly', (json, message) => {
    expect(() => parseCase(json)).toThrow(message);
  });
});
