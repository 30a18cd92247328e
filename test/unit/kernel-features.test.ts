/**
 * Which kernel features the worker reports, from what it saw: only the
 * kernel's own ENOSYS (no filter could have said it, no aio sysctls, not
 * gVisor) means CONFIG_AIO=n; and how coverage follows from those features and
 * each rule's `needs`, whatever the rules are called.
 */
import { describe, expect, it } from 'vitest';
import { ruleCoverage, targetFeatures } from '../../conformance/engine/coverage.js';
import { DESTROY_RULES, PROFILES, SETUP_RULES } from '../../model/index.js';
import { type FeatureEvidence, kernelFeatures } from '../../real/kernel-features.js';

const ENOSYS = 38;
const EINVAL = 22;
const EPERM = 1;

const plain: FeatureEvidence = {
  failNth: false,
  probeErrno: EINVAL,
  seccompMode: 0,
  aioSysctls: true,
  gvisor: false,
  procPartitions: true,
};

describe('kernelFeatures', () => {
  // CONFIG_BLOCK: block/genhd.c makes /proc/partitions; the small UML kernels have neither.
  it.each<[string, Partial<FeatureEvidence>, boolean]>([
    ['/proc/partitions present: a block layer', {}, true],
    ['no /proc/partitions on Linux: CONFIG_BLOCK=n', { procPartitions: false }, false],
    [
      'gVisor (no /proc/partitions): not taken as CONFIG_BLOCK=n',
      { procPartitions: false, gvisor: true },
      true,
    ],
  ])('block: %s', (_what, over, block) => {
    expect(kernelFeatures({ ...plain, ...over }).block).toBe(block);
  });

  it.each<[string, Partial<FeatureEvidence>, boolean]>([
    ['an AIO kernel (EINVAL for nr_events 0)', {}, true],
    [
      'a kernel without AIO (ENOSYS, no filter, no sysctls)',
      { probeErrno: ENOSYS, aioSysctls: false },
      false,
    ],
    [
      'ENOSYS under a seccomp filter: the filter may have said it',
      { probeErrno: ENOSYS, aioSysctls: false, seccompMode: 2 },
      true,
    ],
    ['ENOSYS while aio-nr exists: not the kernel', { probeErrno: ENOSYS }, true],
    ['gVisor (no sysctls, has AIO)', { aioSysctls: false, gvisor: true }, true],
    [
      'EPERM without sysctls (a security module): not evidence of CONFIG_AIO=n',
      { probeErrno: EPERM, aioSysctls: false },
      true,
    ],
    [
      'not probed, no sysctls, not gVisor: judged by the sysctls',
      { probeErrno: undefined, aioSysctls: false },
      false,
    ],
  ])('%s', (_what, over, aio) => {
    expect(kernelFeatures({ ...plain, ...over }).aio).toBe(aio);
  });

  it('fault injection is fail-nth being there', () => {
    expect(kernelFeatures({ ...plain, failNth: true }).faultInjection).toBe(true);
    expect(kernelFeatures(plain).faultInjection).toBe(false);
  });
});

/** Every rule of the linux profile that needs this feature, read from the rule table. */
function needing(feature: string): string[] {
  const all = { ...SETUP_RULES, ...DESTROY_RULES } as Record<string, { needs?: readonly string[] }>;
  const p = PROFILES.linux;
  return [...p.setupRules, ...p.destroyRules].filter((id) => all[id]?.needs?.includes(feature));
}

describe('coverage from features', () => {
  const none = new Map<string, number>();
  const reason = (features: { faultInjection: boolean; aio: boolean }, id: string) =>
    ruleCoverage(PROFILES.linux, none, features).find((c) => c.id === id)?.unreachable;

  it('the linux profile has rules needing each feature (else these tests prove nothing)', () => {
    expect(needing('fault-injection').length).toBeGreaterThan(0);
    expect(needing('no-aio').length).toBeGreaterThan(0);
  });

  it('rules needing fault injection are unreachable for lack of it only where the kernel lacks it', () => {
    for (const id of needing('fault-injection')) {
      expect(reason({ faultInjection: false, aio: true }, id)).toMatch(/lacks/);
      expect(reason({ faultInjection: true, aio: true }, id)).toBe(
        'no case reached it in this run',
      );
    }
  });

  it('rules needing a kernel without AIO are reachable exactly on such a kernel', () => {
    for (const id of needing('no-aio')) {
      expect(reason({ faultInjection: false, aio: true }, id)).toMatch(/CONFIG_AIO=y/);
      expect(reason({ faultInjection: false, aio: false }, id)).toBe(
        'no case reached it in this run',
      );
    }
  });

  it('on a kernel without AIO the rules after its rule are unreachable, naming it; those before are not', () => {
    const noAio = { faultInjection: false, aio: false };
    const p = PROFILES.linux;
    for (const order of [p.setupRules, p.destroyRules]) {
      const at = order.findIndex((id) => needing('no-aio').includes(id));
      expect(at, 'each call has a no-AIO rule').toBeGreaterThanOrEqual(0);
      for (const id of order.slice(at + 1))
        expect(reason(noAio, id), id).toBe(
          `${order[at]} decides every call on this target before it`,
        );
      for (const id of order.slice(0, at))
        expect(reason(noAio, id), id).not.toMatch(/decides every call/);
      // With AIO nothing is shadowed.
      for (const id of order)
        expect(reason({ faultInjection: false, aio: true }, id)).not.toMatch(/decides every call/);
    }
  });

  it('a rule hit counts whatever the features say', () => {
    const [id] = needing('no-aio');
    const hits = new Map([[id!, 3]]);
    expect(
      ruleCoverage(PROFILES.linux, hits, { faultInjection: false, aio: true }).find(
        (c) => c.id === id,
      ),
    ).toEqual({ id, hits: 3 });
  });

  it('targetFeatures maps the detection onto the features rules need', () => {
    expect([...targetFeatures({ faultInjection: true, aio: false })].sort()).toEqual([
      'fault-injection',
      'no-aio',
    ]);
    expect([...targetFeatures({ faultInjection: false, aio: true })]).toEqual([]);
  });
});
