import { describe, expect, it } from 'vitest';
import {
  type Case,
  caseProblem,
  caseToString,
  describeCase,
  parseCase,
} from '../../conformance/cases.js';

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

describe('destroy targets that name no address or leave their page', () => {
  const destroy = (target: unknown) => ({
    steps: [
      { op: 'setup', nr: 1, ctx: 'zero' },
      { op: 'destroy', target },
    ],
  });

  it('takes every u64 address, decimal or hex, and nothing above 2^64-1', () => {
    for (const address of [
      '0',
      '18446744073709551615',
      '0xffffffffffffffff',
      '0x0000ffffffffffffffff',
    ])
      expect(parseCase(destroy({ address })).steps[1]).toEqual({
        op: 'destroy',
        target: { address },
      });
    for (const address of ['18446744073709551616', '0x10000000000000000', '9'.repeat(40)])
      expect(() => parseCase(destroy({ address }))).toThrow(
        /^case: steps\[1\]\.target\.address \S+ is above 2\^64-1$/,
      );
  });

  it('refuses a bogus offset past the last u32 of the largest page (64 KiB)', () => {
    const at = (offset: number) => destroy({ bogus: { u32: 7, offset } });
    expect(parseCase(at(65532)).steps[1]).toEqual({
      op: 'destroy',
      target: { bogus: { u32: 7, offset: 65532 } },
    });
    expect(() => parseCase(at(65533))).toThrow(/steps\[1\]\.target\.bogus\.offset 65533 leaves/);
    expect(() => parseCase(at(0xffff_ffff))).toThrow(/steps\[1\]\.target\.bogus\.offset/);
  });

  it('caseProblem holds the offset to the page size of the host', () => {
    const c = parseCase({
      steps: [
        { op: 'destroy', target: { bogus: { u32: 0, offset: 0 } } },
        { op: 'destroy', target: { bogus: { u32: 0, offset: 4093 } } },
      ],
    });
    expect(caseProblem(c, 4096)).toMatch(
      /^case: steps\[1\]\.target\.bogus\.offset 4093 leaves the 4096-byte page/,
    );
    expect(caseProblem(c, 16384)).toBeNull();
    // The last u32 of each page size fits; one byte further does not.
    for (const page of [4096, 16384, 65536]) {
      const last = parseCase({
        steps: [{ op: 'destroy', target: { bogus: { u32: 0, offset: page - 4 } } }],
      });
      expect(caseProblem(last, page)).toBeNull();
      if (page < 65536) {
        const past = parseCase({
          steps: [{ op: 'destroy', target: { bogus: { u32: 0, offset: page - 3 } } }],
        });
        expect(caseProblem(past, page)).toMatch(/steps\[0\]/);
      }
    }
    expect(
      caseProblem(parseCase({ steps: [{ op: 'setup', nr: 1, ctx: 'zero' }] }), 4096),
    ).toBeNull();
  });

  it('says which step is malformed rather than failing on it', () => {
    expect(() => parseCase({ steps: [null] })).toThrow(/^case: steps\[0\]\.op must be/);
  });
});
