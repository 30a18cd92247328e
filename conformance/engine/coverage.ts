/**
 * Which of the profile's rules decided at least one step compared against the
 * real kernel, and for the others, why this host cannot reach them.
 */
import { DESTROY_RULES, type KernelFeature, type Profile, SETUP_RULES } from '../../model/index.js';
import type { HostInfo } from '../../real/protocol.js';
import type { RuleCoverage } from './summary.js';
import type { CaseVerdict } from './verdict.js';

/** What a target offers of the features rules may need (see Rule.needs). */
export type TargetFeatures = ReadonlySet<KernelFeature>;

/** Why a target without a feature cannot reach the rules that need it. */
const LACKING: Readonly<Record<KernelFeature, string>> = {
  'fault-injection':
    'needs kernel fault injection (CONFIG_FAULT_INJECTION, /proc/self/fail-nth), which this kernel lacks',
  'no-aio':
    'this kernel has AIO (CONFIG_AIO=y); a seccomp ENOSYS looks the same to the caller and is covered by seccomp.errno',
  'seccomp-profile':
    'needs a seccomp profile giving the call this action: run with --seccomp-profile FILE',
};

/** The features a kernel offers, from what the run detected. */
export function targetFeatures(
  host: HostInfo,
  faultInjection: boolean,
  seccompProfile = false,
): TargetFeatures {
  const features = new Set<KernelFeature>();
  if (seccompProfile) features.add('seccomp-profile');
  if (faultInjection) features.add('fault-injection');
  // Without /proc/sys/fs/aio-* a Linux kernel has no AIO; gVisor has AIO and no such files.
  if (host.aioMaxNr === null && !host.gvisor) features.add('no-aio');
  return features;
}

/** Why a rule cannot decide a call on this target (null: it could; no case reached it). */
function unreachableHere(
  rule: { readonly unobservable?: string; readonly needs?: readonly KernelFeature[] } | undefined,
  features: TargetFeatures,
): string | null {
  if (rule?.unobservable) return rule.unobservable;
  const missing = rule?.needs?.find((f) => !features.has(f));
  return missing === undefined ? null : LACKING[missing];
}

/** Count, per rule, the compared steps it decided (into `hits`). */
export function countRuleHits(verdicts: readonly CaseVerdict[], hits: Map<string, number>): void {
  for (const v of verdicts)
    for (const s of v.steps) if (s.rule) hits.set(s.rule, (hits.get(s.rule) ?? 0) + 1);
}

export function ruleCoverage(
  profile: Profile,
  hits: ReadonlyMap<string, number>,
  host: HostInfo,
  faultInjection: boolean,
  seccompProfile = false,
): RuleCoverage[] {
  const features = targetFeatures(host, faultInjection, seccompProfile);
  const rules: Record<string, Parameters<typeof unreachableHere>[0]> = {
    ...SETUP_RULES,
    ...DESTROY_RULES,
  };
  return [...profile.setupRules, ...profile.destroyRules].map((id) => {
    const n = hits.get(id) ?? 0;
    if (n > 0) return { id, hits: n };
    return {
      id,
      hits: 0,
      unreachable: unreachableHere(rules[id], features) ?? 'no case reached it in this run',
    };
  });
}
