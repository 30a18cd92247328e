/**
 * May this process make each AIO call? From what each harmless call did in a
 * child (filter-probe.ts) and what is known of the host: allowed; stopped by
 * seccomp (an errno, or trapped); killed by seccomp; ENOSYS because there is
 * no such call here (a kernel without AIO, one older than the call, gVisor);
 * or not known. Then whether the family is consistent for libaio: an
 * io_pgetevents denied with anything but ENOSYS while io_getevents is allowed
 * defeats libaio's fallback.
 */
import { AIO_CALLS, type AioCall, type HarmlessCall, harmlessCall } from './aio-calls.js';
import type { CallObservation } from './filter-probe.js';

export type CallVerdictName = 'allowed' | 'seccomp' | 'enosys' | 'killed' | 'unknown';

export interface CallReport {
  readonly call: AioCall;
  readonly verdict: CallVerdictName;
  /** The errno that stops the call (null: allowed, killed, trapped, or not known). */
  readonly errno: string | number | null;
  /** Why, in a few words: what the call returned and who answered. */
  readonly detail: string;
}

/** What is known of this process and host besides the calls' answers. */
export interface CallFacts {
  /** Seccomp: in /proc/self/status (2: filters; null: not shown). */
  readonly seccompMode: number | null;
  /** /proc/sys/fs/aio-nr exists (absent on a kernel built without CONFIG_AIO, and under gVisor). */
  readonly aioSysctls: boolean;
  readonly gvisor: boolean;
  /** uname -r. */
  readonly release: string;
}

/** A reason a call answers ENOSYS, tried in order: the first that holds is the one given. */
interface EnosysCause {
  readonly id: string;
  readonly verdict: 'enosys' | 'seccomp';
  readonly holds: (c: HarmlessCall, f: CallFacts) => boolean;
  readonly detail: (c: HarmlessCall, f: CallFacts) => string;
  readonly source: string;
}

/** major.minor of a release, or null when it is not a version. */
function version(release: string): [number, number] | null {
  const m = /^(\d+)\.(\d+)/.exec(release);
  return m ? [Number(m[1]), Number(m[2])] : null;
}

const older = (release: string, since: readonly [number, number]) => {
  const v = version(release);
  return v !== null && (v[0] < since[0] || (v[0] === since[0] && v[1] < since[1]));
};

const ENOSYS_CAUSES: readonly EnosysCause[] = [
  {
    id: 'gvisor-unimplemented',
    verdict: 'enosys',
    holds: (c, f) => f.gvisor && c.gvisorEnosys,
    detail: (c) => `gVisor does not implement ${c.call}, by design (ENOSYS whatever the arguments)`,
    source: 'gVisor pkg/sentry/syscalls/linux/sys_aio.go; aio-family.md §8',
  },
  {
    id: 'kernel-no-aio',
    verdict: 'enosys',
    holds: (_c, f) => !f.gvisor && !f.aioSysctls,
    detail: () => 'the kernel has no AIO (CONFIG_AIO=n: /proc/sys/fs/aio-nr is absent)',
    source: 'kernel/sys_ni.c (COND_SYSCALL); fs/aio.c provides the sysctls',
  },
  {
    id: 'kernel-too-old',
    verdict: 'enosys',
    holds: (c, f) => !f.gvisor && c.since !== null && older(f.release, c.since),
    detail: (c, f) =>
      `Linux ${f.release} is older than ${c.since!.join('.')}, which added ${c.call}`,
    source: 'aio-family.md §1.3 (io_pgetevents since 4.18)',
  },
  {
    id: 'filter-enosys',
    verdict: 'seccomp',
    holds: (_c, f) => f.seccompMode === 2,
    detail: (c) =>
      `a seccomp filter answers ENOSYS, not the kernel (which says ${reachedText(c)} here)${c.call === 'io_pgetevents' ? ': callers take the call as absent (libaio falls back to io_getevents)' : ''}`,
    source: 'seccomp(2): SECCOMP_RET_ERRNO, or SECCOMP_RET_TRACE without a tracer',
  },
];

function reachedText(c: HarmlessCall): string {
  return c.reached.map((a) => (a === 0 ? '0' : a)).join(' or ');
}

const returned = (o: CallObservation) =>
  o.ret === null ? '' : o.ret === -1 ? ` = -1 ${o.errno}` : ` = ${o.ret}`;

/** The verdict for one call, from its observation and the host's facts. */
export function callVerdict(o: CallObservation, f: CallFacts): CallReport {
  const c = harmlessCall(o.call);
  const at = `${o.shown}${returned(o)}`;
  const report = (verdict: CallVerdictName, errno: string | number | null, why: string) => ({
    call: o.call,
    verdict,
    errno,
    detail: `${at}: ${why}`,
  });
  switch (o.kind) {
    case 'kernel':
      return report('allowed', null, `reached AIO; ${c.why}`);
    case 'killed':
      return report('killed', null, 'killed by seccomp (SIGSYS): a KILL action');
    case 'trap':
      return report('seccomp', null, 'trapped by seccomp (SIGSYS delivered): the call did not run');
    case 'unknown':
      return report('unknown', o.errno, `not known (${o.note})`);
    case 'errno': {
      if (o.errno === 'ENOSYS') {
        const cause = ENOSYS_CAUSES.find((x) => x.holds(c, f));
        if (cause) return report(cause.verdict, 'ENOSYS', cause.detail(c, f));
        return report(
          'unknown',
          'ENOSYS',
          'ENOSYS with no seccomp filter, from a kernel that has AIO',
        );
      }
      if (f.seccompMode === 2)
        return report(
          'seccomp',
          o.errno,
          `a seccomp filter answers, not the kernel (which says ${reachedText(c)} here)`,
        );
      return report(
        'unknown',
        o.errno,
        `not the kernel's ${reachedText(c)}, and no seccomp filter is active (a security module?)`,
      );
    }
  }
}

/** The six verdicts, in AIO_CALLS' order (observations of other calls are ignored). */
export function callVerdicts(
  observed: readonly CallObservation[],
  f: CallFacts,
): readonly CallReport[] {
  return AIO_CALLS.flatMap((c) => {
    const o = observed.find((x) => x.call === c.call);
    return o ? [callVerdict(o, f)] : [];
  });
}

/** How a call is stopped, in a few words: `blocked with EPERM`, `killed by seccomp (SIGSYS)`. */
function stopped(r: CallReport): string {
  if (r.verdict === 'killed') return 'killed by seccomp (SIGSYS)';
  return r.errno === null ? 'trapped by seccomp (SIGSYS)' : `blocked with ${r.errno}`;
}

/** A combination of verdicts that breaks a caller, with the report that says so. */
interface Inconsistency {
  readonly id: string;
  readonly find: (byCall: (c: AioCall) => CallReport | undefined) => string | null;
  readonly source: string;
}

const INCONSISTENCIES: readonly Inconsistency[] = [
  {
    id: 'pgetevents-denied-getevents-allowed',
    // libaio >= 0.3.113 (Debian/Ubuntu 24.04 patch 0021-Add-time64-syscall-support) makes
    // io_getevents() call io_pgetevents first and fall back only on ENOSYS.
    find: (byCall) => {
      const get = byCall('io_getevents');
      const pget = byCall('io_pgetevents');
      if (get?.verdict !== 'allowed' || !pget) return null;
      const denied =
        pget.verdict === 'killed' || (pget.verdict === 'seccomp' && pget.errno !== 'ENOSYS');
      if (!denied) return null;
      const outcome = pget.verdict === 'killed' ? 'be killed' : 'fail';
      return `inconsistent: io_getevents allowed but io_pgetevents ${stopped(pget)}: libaio ≥ 0.3.113 will ${outcome} instead of falling back`;
    },
    source:
      'ceph/ceph-build PR #2720; moby/moby#38894, containerd/containerd#3105 (fixed by moby/moby PR #38895)',
  },
];

/** What in these verdicts breaks a caller (empty: nothing). */
export function inconsistencies(calls: readonly CallReport[]): readonly string[] {
  const byCall = (c: AioCall) => calls.find((r) => r.call === c);
  return INCONSISTENCIES.map((i) => i.find(byCall)).filter((x): x is string => x !== null);
}
