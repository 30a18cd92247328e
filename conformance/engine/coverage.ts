/**
 * Which of the profile's rules decided at least one step compared against the
 * real kernel, and for the others, why this target cannot reach them: from
 * each rule's own metadata (`unobservable`, `needs`) and the features the
 * worker detected in the kernel it ran on, never from rule ids.
 */
import {
  DESTROY_RULES,
  FAMILY_RULES,
  familyRuleOrders,
  type KernelFeature,
  type Profile,
  SETUP_RULES,
} from '../../model/index.js';
import type { HostInfo, KernelFeatures } from '../../real/protocol.js';
import type { RuleCoverage } from './summary.js';
import type { CaseVerdict } from './verdict.js';

/** What a target offers of the features rules may need (see Rule.needs). */
export type TargetFeatures = ReadonlySet<KernelFeature>;

/** Why a target without a feature cannot reach the rules that need it. */
const LACKING: Readonly<Record<KernelFeature, string>> = {
  'fault-injection':
    'needs kernel fault injection (CONFIG_FAULT_INJECTION, /proc/self/fail-nth), which this kernel lacks (aiospec kernel build --fault-injection builds one)',
  'no-aio':
    'this kernel has AIO (CONFIG_AIO=y); a seccomp ENOSYS looks the same to the caller and is covered by seccomp.errno (aiospec kernel build --no-aio builds a kernel without it)',
  'seccomp-profile':
    'needs a seccomp profile giving the call this action: run with --seccomp-profile FILE',
  'no-block':
    'this kernel has a block layer (CONFIG_BLOCK=y); the UML kernels aiospec kernel build makes have none',
  'no-rt-ioprio':
    'the worker has CAP_SYS_NICE or CAP_SYS_ADMIN (run as root), so a realtime I/O priority is allowed',
};

/** A host as a worker reported it, or as an older trace recorded it (without features). */
export type ReportedHost = Omit<HostInfo, 'features'> & { readonly features?: KernelFeatures };

/**
 * The host's features; for a trace recorded before they were detected, what
 * its sysctls say (no /proc/sys/fs/aio-* on Linux: no AIO) and no fault injection.
 */
export function featuresOf(host: ReportedHost): KernelFeatures {
  return host.features ?? { faultInjection: false, aio: host.aioMaxNr !== null || host.gvisor };
}

/** Which of the features rules may need the target offers: its kernel's, and a seccomp profile if the run had one. */
export function targetFeatures(
  features: KernelFeatures,
  seccompProfile = false,
  capEff?: string,
): TargetFeatures {
  const offered: Readonly<Record<KernelFeature, boolean>> = {
    'fault-injection': features.faultInjection,
    'no-aio': !features.aio,
    'seccomp-profile': seccompProfile,
    // Absent in traces recorded before it was detected: those kernels had a block layer.
    'no-block': features.block === false,
    'no-rt-ioprio': capEff !== undefined && !hasRtIoprio(capEff),
  };
  return new Set((Object.keys(offered) as KernelFeature[]).filter((f) => offered[f]));
}

/** CapEff bits that let io_submit take a realtime I/O priority: CAP_SYS_ADMIN (21), CAP_SYS_NICE (23). */
export function hasRtIoprio(capEff: string): boolean {
  const caps = BigInt(`0x${capEff.replace(/^0x/, '')}`);
  return ((caps >> 21n) & 1n) === 1n || ((caps >> 23n) & 1n) === 1n;
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
    for (const s of v.steps)
      for (const rule of [s.rule, ...(s.alsoRules ?? [])])
        if (rule) hits.set(rule, (hits.get(rule) ?? 0) + 1);
}

/** A rule this target can reach that no case of the run reached (more runs, another seed). */
export const NOT_REACHED = 'no case reached it in this run';

/**
 * Features whose rules decide every call where the target offers them: a
 * kernel without AIO answers ENOSYS to each io_setup and io_destroy, so the
 * rules after its rule in the kernel's order never decide there.
 */
const DECIDES_EVERY_CALL: Readonly<Record<KernelFeature, boolean>> = {
  'fault-injection': false,
  'no-aio': true,
  'seccomp-profile': false,
  'no-block': false,
  'no-rt-ioprio': false,
};

type RuleMeta = Parameters<typeof unreachableHere>[0];

/** For each rule of `order` that comes after one deciding every call here: that rule's id. */
function shadowed(
  order: readonly string[],
  rules: Readonly<Record<string, RuleMeta>>,
  features: TargetFeatures,
): Map<string, string> {
  const out = new Map<string, string>();
  let first: string | undefined;
  for (const id of order) {
    if (first !== undefined) out.set(id, first);
    else if (rules[id]?.needs?.some((f) => DECIDES_EVERY_CALL[f] && features.has(f))) first = id;
  }
  return out;
}

/**
 * Every rule of the profile with its hits, or why it has none. `family`: the
 * run had family suites, so the family's rules (io_submit, io_getevents,
 * io_pgetevents, io_cancel, each in its profile's order) are listed too.
 */
export function ruleCoverage(
  profile: Profile,
  hits: ReadonlyMap<string, number>,
  kernel: KernelFeatures,
  seccompProfile = false,
  family = false,
  capEff?: string,
): RuleCoverage[] {
  const features = targetFeatures(kernel, seccompProfile, capEff);
  const rules: Record<string, RuleMeta> = { ...SETUP_RULES, ...DESTROY_RULES, ...FAMILY_RULES };
  const familyOrders = family
    ? familyRuleOrders(profile.name === 'gvisor' ? 'gvisor' : 'linux')
    : [];
  // A rule shared by several orders (the gate rules, P1-P8) is shadowed only where every order shadows it.
  const familyAfter = new Map<string, string>();
  const notShadowed = new Set<string>();
  for (const order of familyOrders) {
    const s = shadowed(order, rules, features);
    for (const id of order)
      if (!s.has(id)) notShadowed.add(id);
      else if (!familyAfter.has(id)) familyAfter.set(id, s.get(id)!);
  }
  for (const id of notShadowed) familyAfter.delete(id);
  const after = new Map([
    ...shadowed(profile.setupRules, rules, features),
    ...shadowed(profile.destroyRules, rules, features),
    ...familyAfter,
  ]);
  const ids = [
    ...new Set([...profile.setupRules, ...profile.destroyRules, ...familyOrders.flat()]),
  ];
  return ids.map((id) => {
    const n = hits.get(id) ?? 0;
    if (n > 0) return { id, hits: n };
    const first = after.get(id);
    return {
      id,
      hits: 0,
      // Shadowed first: whatever else a rule would need, the call never gets past `first` here.
      unreachable:
        first !== undefined
          ? `${first} decides every call on this target before it`
          : (unreachableHere(rules[id], features) ?? NOT_REACHED),
    };
  });
}
