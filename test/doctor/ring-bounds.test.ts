/**
 * Ring size -> nr_events inverts the model's ring geometry exactly: every
 * accepted nr lies in the bounds of its own ring's page count, the bounds'
 * ends give that page count, and the values just outside them do not.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { accepts } from '../../conformance/doctor/accepted.js';
import { ringBoundsFor, unrestricted } from '../../conformance/doctor/ring-bounds.js';
import { nrEventsArb } from '../../conformance/gen/nr-events.js';
import {
  type Environment,
  makeEnv,
  newProcessState,
  PAGE_SIZES,
  type ProfileName,
  setupFacts,
} from '../../model/index.js';

const pagesOf = (env: Environment, nr: number) =>
  setupFacts(env, newProcessState(env), { nrEvents: nr, ctx: 'zero' }).ring.pages;
const chargeOf = (env: Environment, nr: number) =>
  setupFacts(env, newProcessState(env), { nrEvents: nr, ctx: 'zero' }).charge;

const machineArb = fc.record({
  profile: fc.constantFrom<ProfileName>('linux', 'linux-3.12', 'gvisor'),
  possibleCpus: fc.oneof(fc.constantFrom(1, 2, 4, 64, 8192), fc.integer({ min: 1, max: 8192 })),
  pageSize: fc.constantFrom(...PAGE_SIZES),
});

describe('ring bounds', () => {
  it('round-trips: every nr io_setup can accept lies in the bounds of its ring, and the bounds are tight', () => {
    fc.assert(
      fc.property(
        machineArb.chain((m) =>
          fc.tuple(
            fc.constant(m),
            fc.array(nrEventsArb(m.possibleCpus, m.pageSize), { minLength: 10, maxLength: 10 }),
          ),
        ),
        ([m, nrs]) => {
          const env = unrestricted(makeEnv(m));
          const bounds = ringBoundsFor(env, null);
          for (const nr of nrs.filter((n) => accepts(env, n))) {
            const pages = pagesOf(env, nr);
            const b = bounds(pages);
            expect(b, `nr ${nr}`).not.toBeNull();
            const own = b!.ranges.find((r) => nr >= r.nrMin && nr <= r.nrMax);
            expect(
              own,
              `nr ${nr} in ${b!.ranges.map((r) => `${r.nrMin}..${r.nrMax}`).join(', ')}`,
            ).toBeDefined();
            expect(chargeOf(env, nr) >= own!.chargeMin && chargeOf(env, nr) <= own!.chargeMax).toBe(
              true,
            );
            for (const r of b!.ranges) {
              expect(pagesOf(env, r.nrMin)).toBe(pages);
              expect(pagesOf(env, r.nrMax)).toBe(pages);
              // Just outside, in the same half of the u32 range: a different ring, or a value io_setup never accepts.
              const half = (n: number) => n >= 0x8000_0000;
              for (const out of [r.nrMin - 1, r.nrMax + 1])
                if (
                  out >= 0 &&
                  out <= 0xffff_ffff &&
                  half(out) === half(r.nrMin) &&
                  accepts(env, out)
                )
                  expect(pagesOf(env, out)).not.toBe(pages);
            }
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it.each([
    // 2 CPUs, 4 KiB: ne = 2*max(nr, 8); one page holds ne <= 125, two pages ne <= 253.
    [2, 4096, 1, 1, 62],
    [2, 4096, 2, 63, 126],
    [2, 4096, 79, 4991, 5054],
    [2, 4096, 5, 255, 318],
    // 64 CPUs: the 4C floor (256) makes every small ring four pages.
    [64, 4096, 1, null, null],
    [64, 4096, 5, 1, 318],
    // 64 KiB pages: one page holds ne <= 2045.
    [4, 65536, 1, 1, 1022],
    // The largest rings: ne 0x7ffffe and 0x800000 need ceil(32 * (ne + 3) / 4096) = 65537 pages.
    [4, 4096, 65537, 4194303, 4194304],
    [4, 4096, 65538, null, null],
  ])(
    '%i CPUs, %i-byte pages: a %i-page ring came from nr_events %s..%s',
    (cpus, pageSize, pages, lo, hi) => {
      const env = makeEnv({ possibleCpus: cpus, pageSize: pageSize as 4096 });
      const b = ringBoundsFor(env, 0n)(pages);
      expect(b && [b.nrMin, b.nrMax]).toEqual(lo === null ? null : [lo, hi]);
    },
  );

  it('counts wrapped values only when aio-nr could hold their charge (v4.14+: over 2^31 each)', () => {
    const env = makeEnv({ possibleCpus: 2 });
    expect(ringBoundsFor(env, 1000n)(1)).toMatchObject({ nrMin: 1, nrMax: 62 });
    const big = ringBoundsFor(env, 0x8000_0001n)(1)!;
    expect(big).toMatchObject({ nrMin: 1, nrMax: 0x8000_003e });
    expect(big.ranges).toHaveLength(2);
    // v3.12..v4.13 charge ne, so a wrapped context costs as little as an ordinary one (2 for 0x80000001).
    const old = ringBoundsFor(makeEnv({ profile: 'linux-3.12', possibleCpus: 2 }), 16n)(1)!;
    expect(old).toMatchObject({ nrMin: 1, nrMax: 0x8000_003e, chargeMin: 2n, chargeMax: 124n });
  });
});
