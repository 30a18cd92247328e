/**
 * The largest accepted nr_events, and the accepted set behind it, agree with
 * decideIoSetup: at the boundary, across the u32 wrap, with aio-max-nr at 2^31
 * and beyond, with aio-nr near the limit and with the u64 sum wrapping.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  acceptedIntervals,
  accepts,
  decideFresh,
  largestAccepted,
  largestUnwrapped,
} from '../../conformance/doctor/accepted.js';
import { nrEventsArb, u64Arb } from '../../conformance/gen/nr-events.js';
import {
  type Environment,
  makeEnv,
  PAGE_SIZES,
  PROFILE_NAMES,
  U32_MAX,
  U64_MAX,
} from '../../model/index.js';

const envArb: fc.Arbitrary<Environment> = fc
  .record({
    profile: fc.constantFrom(...PROFILE_NAMES),
    aioMaxNr: fc.oneof(
      u64Arb(),
      fc.constantFrom(65536n, 0x8000_0000n, 0x8000_0001n, 0x8040_0000n, 1n << 32n, U64_MAX),
    ),
    possibleCpus: fc.oneof(fc.constantFrom(1, 2, 4, 64, 8192), fc.integer({ min: 1, max: 8192 })),
    pageSize: fc.constantFrom(...PAGE_SIZES),
    aioCompiled: fc.constantFrom(true, true, true, false),
    seccomp: fc.constantFrom<Environment['seccomp']>(
      { action: 'allow' },
      { action: 'allow' },
      { action: 'errno', errno: 'EPERM' },
    ),
    asHeadroom: fc.option(u64Arb(), { nil: null }),
    // aio-nr anywhere, or a little below the limit (and so a little below 2*limit's half, too).
    nearLimit: fc.option(fc.bigInt({ min: 0n, max: 70_000n }), { nil: null }),
    aioNr: u64Arb(),
  })
  .map(({ nearLimit, ...e }) =>
    makeEnv({
      ...e,
      aioNr: nearLimit === null ? e.aioNr : e.aioMaxNr >= nearLimit ? e.aioMaxNr - nearLimit : 0n,
    }),
  );

describe('largestAccepted', () => {
  it('is accepted, and the next value is not (any environment)', () => {
    fc.assert(
      fc.property(envArb, (env) => {
        const largest = largestAccepted(env);
        if (largest === null) {
          expect(accepts(env, 1)).toBe(false);
          return;
        }
        expect(decideFresh(env, largest).rule).toBe('setup.ok');
        if (largest < U32_MAX) expect(accepts(env, largest + 1)).toBe(false);
      }),
      { numRuns: 3000 },
    );
  });

  it('nothing above it is accepted, and the accepted set is exactly its intervals', () => {
    fc.assert(
      fc.property(
        envArb.chain((env) =>
          fc.tuple(
            fc.constant(env),
            fc.array(nrEventsArb(env.possibleCpus, env.pageSize), { minLength: 20, maxLength: 20 }),
          ),
        ),
        ([env, nrs]) => {
          const intervals = acceptedIntervals(env);
          const largest = largestAccepted(env);
          for (const nr of nrs) {
            const inside = intervals.some((i) => nr >= i.lo && nr <= i.hi);
            expect(accepts(env, nr), `nr ${nr}`).toBe(inside);
            if (largest !== null && nr > largest) expect(inside).toBe(false);
          }
        },
      ),
      { numRuns: 1500 },
    );
  });

  it.each([
    ['the default limit, nothing held', {}, 65536, 65536],
    ['aio-nr near the limit', { aioNr: 65000n }, 536, 536],
    ['aio-nr one below the limit', { aioNr: 65535n }, 1, 1],
    ['aio-nr at the limit', { aioNr: 65536n }, null, null],
    ['aio-nr above the limit (lowered aio-max-nr)', { aioNr: 70000n }, null, null],
    ['a large limit: the internal limit decides', { aioMaxNr: 10_000_000n }, 4_194_304, 4_194_304],
    [
      'aio-max-nr 2^31: no wrapped value fits yet',
      { aioMaxNr: 0x8000_0000n },
      4_194_304,
      4_194_304,
    ],
    [
      'aio-max-nr 2^31+1: the first wrapped value fits',
      { aioMaxNr: 0x8000_0001n },
      0x8000_0001,
      4_194_304,
    ],
    [
      'aio-max-nr 2^31+1 with 1 held: it no longer does',
      { aioMaxNr: 0x8000_0001n, aioNr: 1n },
      4_194_304,
      4_194_304,
    ],
    [
      'aio-max-nr 2^32: the last wrapped value below the internal limit',
      { aioMaxNr: 1n << 32n },
      0x8040_0000,
      4_194_304,
    ],
    ['aio-max-nr u64 max', { aioMaxNr: U64_MAX }, 0x8040_0000, 4_194_304],
    ['the u64 sum wraps past 5', { aioMaxNr: U64_MAX, aioNr: U64_MAX - 5n }, 5, 5],
    [
      'v3.12..v4.13 on defaults: wrapped values charge a small ne',
      { profile: 'linux-3.12' as const },
      0x8001_0000,
      65536,
    ],
    [
      'v3.12..v4.13, aio-nr 2*limit - 16: io_setup(1) on 2 CPUs charges exactly 16',
      { profile: 'linux-3.12' as const, possibleCpus: 2, aioNr: 131_056n },
      0x8000_0008,
      8,
    ],
    ['gVisor: everything', { profile: 'gvisor' as const }, U32_MAX, 0x7fff_ffff],
    ['no AIO', { aioCompiled: false }, null, null],
    ['a seccomp filter', { seccomp: { action: 'errno', errno: 'EPERM' } as const }, null, null],
  ])('%s', (_, overrides, largest, unwrapped) => {
    const env = makeEnv(overrides as Partial<Environment>);
    expect(largestAccepted(env)).toBe(largest);
    expect(largestUnwrapped(env)).toBe(unwrapped);
  });
});
