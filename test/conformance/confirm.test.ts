/**
 * The confirmation policy as a table: the runs a case has had, and what the
 * policy concludes. Each row is a situation a busy host or a broken kernel
 * produces; the expected verdicts follow from the rules stated in
 * conformance/engine/confirm.ts's header, not from running it.
 */
import { describe, expect, it } from 'vitest';
import { type Attempt, decide, fingerprint, MAX_RERUNS } from '../../conformance/engine/confirm.js';
import type { Difference } from '../../conformance/observe.js';

/** A run whose step 0 shows these differences. */
function run(
  diffs: Difference[],
  opts: { candidate?: number; disturbed?: string; failure?: string; quiet?: boolean } = {},
): Attempt {
  return {
    candidate: opts.candidate ?? 0,
    steps: [{ index: 0, op: 'setup', model: {}, real: {}, diffs }],
    disturbed: opts.disturbed ?? null,
    failure: opts.failure ?? null,
    quiet: opts.quiet ?? false,
  };
}

const agree = (candidate = 0) => run([], { candidate });
/** Another process's context landed in the call's window: the charge looks 427 too big. */
const charge = (real: bigint, o = {}) => run([{ field: 'aioNrDelta', model: 62n, real }], o);
/** Something no other process can cause: an errno that is not EAGAIN. */
const einval = (o = {}) => run([{ field: 'errno', model: 'EINVAL', real: 'EFAULT' }], o);
/** The model forgets the final write's EFAULT: success (charging 1) where the kernel refuses; the delta carries noise. */
const efault = (noise: bigint, o = {}) =>
  run(
    [
      { field: 'errno', model: null, real: 'EFAULT' },
      { field: 'aioNrDelta', model: 1n, real: noise },
    ],
    o,
  );
/** The model keeps no aio-nr (gVisor's); the kernel's moved by its charge plus noise. */
const noCounter = (real: bigint, o = {}) => run([{ field: 'aioNrDelta', model: null, real }], o);
const eagain = (o = {}) => run([{ field: 'errno', model: null, real: 'EAGAIN' }], o);
const moved = { disturbed: 'aio-nr moved by +427 before step 0 (another process)' };

describe('confirmation policy', () => {
  it.each<[string, Attempt, Attempt[], number, string]>([
    [
      'EAGAIN against success that repeats in two unwatched re-runs is not enough (its values never vary)',
      eagain(),
      [eagain(), eagain()],
      1,
      'rerun 0 watched',
    ],
    [
      '...nor in three re-runs whose counters were not seen still around them',
      eagain(),
      [eagain(), eagain({ quiet: false }), eagain()],
      1,
      'rerun 0 watched',
    ],
    [
      'EAGAIN against success in three quiet re-runs is a divergence',
      eagain(),
      [eagain({ quiet: true }), eagain({ quiet: true }), eagain({ quiet: true })],
      1,
      'diverge',
    ],
    [
      'EAGAIN that never gets a quiet re-run ends inconclusive',
      eagain(),
      Array.from({ length: 6 }, () => eagain()),
      1,
      'inconclusive',
    ],
    [
      'success against EFAULT repeats even while aio-nr moves: the errno decides, the delta is its consequence',
      efault(0n, moved),
      [efault(427n, moved), efault(5n, moved)],
      1,
      'diverge',
    ],
    [
      'a counter the model does not keep (gVisor profile on Linux) is a difference whatever its value',
      noCounter(62n, moved),
      [noCounter(489n, moved), noCounter(70n, moved)],
      1,
      'diverge',
    ],
    ['agreement at once is a pass', agree(), [], 1, 'pass'],
    [
      'a worker that died gives no evidence',
      run([], { failure: 'the worker died' }),
      [],
      1,
      'inconclusive',
    ],
    ['any difference is re-run first', einval(), [], 1, 'rerun 0'],
    ['one re-run alone is not enough', einval(), [einval()], 1, 'rerun 0'],
    ['two identical re-runs alone confirm it', einval(), [einval(), einval()], 1, 'diverge'],
    [
      'a deterministic difference is confirmed even while aio-nr moves (it does not depend on it)',
      einval(moved),
      [einval(moved), einval(moved)],
      1,
      'diverge',
    ],
    [
      'a charge difference while aio-nr moved is not evidence, however often it repeats',
      charge(489n, moved),
      [charge(489n, moved), charge(489n, moved)],
      1,
      'rerun 0',
    ],
    [
      'a charge difference that repeats exactly with aio-nr steady is a divergence',
      charge(63n),
      [charge(63n), charge(63n)],
      1,
      'diverge',
    ],
    [
      'charge differences that do not repeat to the event are noise',
      charge(489n),
      [charge(100n), charge(7n)],
      1,
      'rerun 0',
    ],
    [
      'a counter difference the re-run does not show was another process',
      charge(489n),
      [agree()],
      1,
      'pass',
    ],
    [
      'EAGAIN against success that goes away alone was another process',
      eagain(),
      [agree()],
      1,
      'pass',
    ],
    [
      'a deterministic difference that goes away alone is not reproducible',
      einval(),
      [agree()],
      1,
      'inconclusive',
    ],
    [
      'a case that ran after others in its batch is tried with them when it agrees alone',
      einval(),
      [agree(0)],
      2,
      'rerun 1',
    ],
    [
      '...and confirmed in that form',
      einval(),
      [agree(0), einval({ candidate: 1 }), einval({ candidate: 1 })],
      2,
      'diverge',
    ],
    [
      'a counter difference that goes away alone is not tried with the batch (noise)',
      charge(489n),
      [agree(0)],
      2,
      'pass',
    ],
    [
      'a re-run whose worker died settles nothing',
      einval(),
      [run([], { failure: 'SIGKILL' })],
      1,
      'inconclusive',
    ],
  ])('%s', (_name, first, reruns, candidates, expected) => {
    const d = decide({ first, reruns, candidates });
    expect(d.kind === 'rerun' ? `rerun ${d.candidate}${d.watch ? ' watched' : ''}` : d.status).toBe(
      expected,
    );
  });

  it(`gives up after ${MAX_RERUNS} re-runs that never repeat`, () => {
    const noisy = Array.from({ length: MAX_RERUNS }, (_, i) => charge(BigInt(100 + i), moved));
    const d = decide({ first: charge(489n, moved), reruns: noisy, candidates: 1 });
    expect(d).toMatchObject({ kind: 'settled', status: 'inconclusive' });
    expect(d.kind === 'settled' && d.reason).toMatch(/another process/);
  });

  it('shows a confirming re-run for a divergence, so that what is printed is what repeated', () => {
    const r1 = einval();
    const r2 = einval();
    const d = decide({ first: einval(moved), reruns: [r1, r2], candidates: 1 });
    expect(d.kind === 'settled' && d.shown).toBe(r2);
  });

  it('fingerprints tell differences apart by step, field and both values', () => {
    expect(fingerprint(charge(489n))).not.toBe(fingerprint(charge(490n)));
    expect(fingerprint(charge(489n))).toBe(fingerprint(charge(489n, moved)));
    expect(fingerprint(einval())).not.toBe(fingerprint(eagain()));
  });
});
