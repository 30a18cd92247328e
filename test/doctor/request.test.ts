/** Will io_setup(N) fit: the model's rule sorted into what a user can do, and the aio-max-nr that would do. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { accepts } from '../../conformance/doctor/accepted.js';
import { answerRequest } from '../../conformance/doctor/request.js';
import { u64Arb } from '../../conformance/gen/nr-events.js';
import { makeEnv, PROFILE_NAMES } from '../../model/index.js';

describe('answerRequest', () => {
  it.each([
    ['fits', 1000, {}, 'ok', null],
    ['fits exactly', 536, { aioNr: 65000n }, 'ok', null],
    ['others hold too much', 537, { aioNr: 65000n }, 'transient', 'EAGAIN'],
    ['alone over the limit', 65537, {}, 'alone-exceeds', 'EAGAIN'],
    ['alone over, and others hold some too', 70000, { aioNr: 100n }, 'alone-exceeds', 'EAGAIN'],
    ['2*nr_events wraps to 0', 0x8000_0000, { aioMaxNr: 1n << 40n }, 'alone-exceeds', 'EAGAIN'],
    ['past the internal limit', 4_194_305, { aioMaxNr: 1n << 40n }, 'internal-limit', 'EINVAL'],
    ['-1', 0xffff_ffff, {}, 'internal-limit', 'EINVAL'],
    ['zero', 0, {}, 'internal-limit', 'EINVAL'],
    [
      'a seccomp filter',
      1,
      { seccomp: { action: 'errno', errno: 'EPERM' } as const },
      'other',
      'EPERM',
    ],
    ['no AIO', 1, { aioCompiled: false }, 'other', 'ENOSYS'],
  ])('%s: io_setup(%i) is %s', (_, nr, env, verdict, errno) => {
    const a = answerRequest(makeEnv(env), nr);
    expect(a).toMatchObject({ verdict, errno });
  });

  it('says how much others must give back, and what limit would fit it now and on an idle host', () => {
    expect(answerRequest(makeEnv({ aioNr: 65000n }), 1000)).toMatchObject({
      neededAioMaxNr: 66000n,
      neededAloneAioMaxNr: 1000n,
      mustRelease: 464n,
    });
    expect(answerRequest(makeEnv({ aioNr: 100n }), 70000)).toMatchObject({
      neededAioMaxNr: 70100n,
      neededAloneAioMaxNr: 70000n,
      mustRelease: null,
    });
    // v3.12..v4.13 charge ne = 2*max(nr, 4C) against 2*aio-max-nr: io_setup(1) on 4 CPUs needs 16 of it.
    expect(answerRequest(makeEnv({ profile: 'linux-3.12', aioMaxNr: 0n }), 1)).toMatchObject({
      verdict: 'alone-exceeds',
      neededAioMaxNr: 16n,
    });
    // No limit makes these work.
    expect(answerRequest(makeEnv(), 0x8000_0000).neededAioMaxNr).toBeNull();
    expect(answerRequest(makeEnv(), 4_194_305).neededAioMaxNr).toBeNull();
  });

  it('neededAioMaxNr is the smallest limit that works (any profile, aio-nr, request)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...PROFILE_NAMES.filter((p) => p !== 'gvisor')),
        fc.oneof(fc.bigInt({ min: 0n, max: 1n << 33n }), u64Arb()),
        fc.oneof(fc.integer({ min: 0, max: 5_000_000 }), fc.integer({ min: 0, max: 0xffff_ffff })),
        (profile, aioNr, nr) => {
          const env = makeEnv({ profile, aioNr });
          const m = answerRequest(env, nr).neededAioMaxNr;
          if (m === null) return;
          expect(accepts({ ...env, aioMaxNr: m }, nr)).toBe(true);
          if (m > 0n) expect(accepts({ ...env, aioMaxNr: m - 1n }, nr)).toBe(false);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
