/**
 * `aiospec doctor`: gather the facts (sysctls, holders, a probe in a worker)
 * and put the model's answers next to them. Reading happens here; every
 * figure is computed by the pure files next to this one.
 */
import {
  type Environment,
  type ProfileName,
  profile as profileOf,
  type SeccompFilter,
  type SeccompVerdict,
  type SetupOutcome,
  U32_MAX,
} from '../../model/index.js';
import { type HolderScan, pageSizeFromSmaps, scanAioHolders } from '../../real/aio-holders.js';
import { detectHost, readAioSysctl } from '../../real/host.js';
import type { HostInfo } from '../../real/protocol.js';
import { WorkerProcess } from '../../real/worker-process.js';
import { hostEnvironment } from '../engine/host-env.js';
import { decideFresh, largestAccepted, largestUnwrapped } from './accepted.js';
import { type Advice, advise, headroom } from './advice.js';
import { type Availability, availability, seccompAction } from './availability.js';
import { type CallReport, callVerdicts, inconsistencies } from './call-verdicts.js';
import {
  type CallObservation,
  ownSeccompStatus,
  probeCalls,
  type SeccompStatus,
} from './filter-probe.js';
import { type HolderTable, holderTable, type Reconciliation, reconcile } from './holders.js';
import { type Confirmation, confirmLargest, type ProfileProbe, probeProfile } from './probe.js';
import { profileFromRelease } from './profile-detect.js';
import { answerRequest, type RequestAnswer } from './request.js';
import { ringBoundsFor } from './ring-bounds.js';
import {
  type CallVerdict,
  observationMatches,
  profileVerdicts,
  verdictForProbe,
} from './seccomp-check.js';
import { type Whereabouts, whereabouts } from './where.js';

export interface DoctorOptions {
  readonly nrEvents?: number;
  /** Confirm largestAccepted in a worker. */
  readonly probe?: boolean;
  /** Use this profile instead of detecting one. */
  readonly profile?: ProfileName;
  /** --seccomp-profile, resolved for this machine: what it does to the calls, and the request under it. */
  readonly seccompProfile?: SeccompFilter;
}

/** A call this process's filter was seen making, with what the profile given says of that same call. */
export interface ObservedCall {
  readonly observed: CallObservation;
  /** The profile's verdict for exactly that call, and whether the observation is it (null: no profile). */
  readonly profile: { readonly verdict: SeccompVerdict; readonly matches: boolean } | null;
}

export interface SeccompReport {
  /** This process's own filters (/proc/self/status). */
  readonly status: SeccompStatus;
  /** What they do to io_setup and io_destroy, probed in children (null: no filter, nothing to probe). */
  readonly observed: readonly ObservedCall[] | null;
  /** What --seccomp-profile does to io_setup(N) and io_destroy (null: none given). */
  readonly profile: { readonly source: string; readonly calls: readonly CallVerdict[] } | null;
}

export type ProfileSource = 'flag' | 'probe' | 'gvisor' | 'release' | 'default';

export interface DoctorReport {
  readonly host: HostInfo;
  readonly profile: ProfileName;
  readonly profileSource: ProfileSource;
  /** The probe's io_setup(1) (null: it could not run, with `probeError` saying why). */
  readonly profileProbe: ProfileProbe | null;
  readonly probeError: string | null;
  readonly availability: Availability;
  readonly aioMaxNr: bigint | null;
  readonly aioNr: bigint | null;
  /** What io_setup can still charge (aio-max-nr - aio-nr since v4.14; 2*aio-max-nr - aio-nr before). */
  readonly available: bigint | null;
  readonly largestAccepted: number | null;
  readonly largestUnwrapped: number | null;
  /** io_setup(largestAccepted + 1) as the model sees it (null when there is no such u32). */
  readonly beyondLargest: { readonly nrEvents: number; readonly outcome: SetupOutcome } | null;
  readonly confirmation: Confirmation | null;
  readonly request: RequestAnswer | null;
  readonly seccomp: SeccompReport;
  /** May this process make each of the six AIO calls (each made harmlessly in a child)? */
  readonly calls: readonly CallReport[];
  /** What in `calls` breaks a caller, one line each (empty: nothing). */
  readonly inconsistencies: readonly string[];
  readonly scan: HolderScan;
  readonly holders: HolderTable;
  /** aio-nr while the holders were read, and how the holders add up against it. */
  readonly aioNrAtScan: bigint | null;
  readonly reconciliation: Reconciliation;
  readonly where: Whereabouts;
  /** Whether the doctor ran as root (unreadable processes then mean something else than "not ours"). */
  readonly asRoot: boolean;
  readonly advice: Advice;
  readonly env: Environment;
  readonly elapsedMs: number;
}

interface Probed {
  readonly host: HostInfo | null;
  readonly profileProbe: ProfileProbe | null;
  readonly confirmation: Confirmation | null;
  readonly error: string | null;
}

/** The profile to model with, and what decided it. */
function chooseProfile(
  opts: DoctorOptions,
  host: HostInfo,
  probe: ProfileProbe | null,
): [ProfileName, ProfileSource] {
  if (opts.profile) return [opts.profile, 'flag'];
  if (host.gvisor) return ['gvisor', 'gvisor'];
  if (probe?.profile) return [probe.profile, 'probe'];
  const byRelease = profileFromRelease(host.release);
  return byRelease ? [byRelease, 'release'] : ['linux', 'default'];
}

function environment(
  host: HostInfo,
  name: ProfileName,
  avail: Availability,
  aioMaxNr: bigint | null,
  aioNr: bigint | null,
): Environment {
  return {
    ...hostEnvironment(
      { ...host, aioMaxNr: aioMaxNr?.toString() ?? null, aioNr: aioNr?.toString() ?? null },
      name,
      seccompAction(avail),
    ),
    aioCompiled: avail.state !== 'no-aio',
  };
}

/** Everything the worker is needed for; never throws (a worker that cannot start is reported). */
async function probeInWorker(
  starting: Promise<WorkerProcess>,
  opts: DoctorOptions,
  local: HostInfo,
): Promise<Probed> {
  let w: WorkerProcess;
  try {
    w = await starting;
  } catch (e) {
    return { host: null, profileProbe: null, confirmation: null, error: (e as Error).message };
  }
  try {
    const host = w.host;
    const draft = environment(
      host,
      opts.profile ?? 'linux',
      availabilityOf(host, undefined),
      null,
      null,
    );
    const profileProbe = await probeProfile(w, draft);
    let confirmation: Confirmation | null = null;
    if (opts.probe) {
      const avail = availabilityOf(host, profileProbe.errno);
      const [name] = chooseProfile(opts, host, profileProbe);
      confirmation = await confirmLargest(w, (max, nr) => environment(host, name, avail, max, nr));
    }
    return { host, profileProbe, confirmation, error: null };
  } catch (e) {
    return { host: local, profileProbe: null, confirmation: null, error: (e as Error).message };
  } finally {
    await w.close();
  }
}

function availabilityOf(host: HostInfo, probeErrno: number | null | undefined): Availability {
  return availability({
    sysctls: host.aioNr !== null,
    gvisor: host.gvisor,
    probeErrno,
    seccompMode: host.seccompMode,
  });
}

export async function gatherDoctor(opts: DoctorOptions = {}): Promise<DoctorReport> {
  const t0 = performance.now();
  // The worker boots (~0.1 s) while this process reads /proc; it makes no context before we ask.
  const starting = WorkerProcess.start();
  starting.catch(() => {});
  const status = ownSeccompStatus();
  // Each AIO call, made harmlessly in a child (another after a KILL) while the rest is read.
  const probeNr = opts.nrEvents ?? 1;
  const calling = probeCalls(probeNr);
  const local = detectHost(pageSizeFromSmaps() ?? 4096, process.pid);
  const aioNrAtScan = readAioSysctl('aio-nr');
  const scan = scanAioHolders();
  const probed = await probeInWorker(starting, opts, local);

  const host = probed.host ?? local;
  const avail = availabilityOf(host, probed.profileProbe ? probed.profileProbe.errno : undefined);
  const [name, source] = chooseProfile(opts, host, probed.profileProbe);
  const accounting = profileOf(name).accounting !== null;
  // The figures are for now: after the probe, which gave back all it took.
  const aioMaxNr = readAioSysctl('aio-max-nr');
  const aioNr = readAioSysctl('aio-nr');
  const env = environment(host, name, avail, aioMaxNr, aioNr);
  const known = accounting && aioMaxNr !== null && aioNr !== null;
  const holders = holderTable(scan, host.pageSize, ringBoundsFor(env, aioNrAtScan));
  // The profile stands for the process's filters: it replaces the errno guessed from the probe.
  const profiled: Environment | null = opts.seccompProfile
    ? { ...env, seccomp: { action: 'allow' }, seccompFilters: [opts.seccompProfile] }
    : null;
  // Under a profile, the request is decided as a process under it would see it.
  const request =
    opts.nrEvents === undefined ? null : answerRequest(profiled ?? env, opts.nrEvents);
  const called = await calling;
  // The seccomp section shows the two io_setup/io_destroy probes, only under a filter.
  const observed =
    status.mode === 2
      ? called.filter((o) => o.call === 'io_setup' || o.call === 'io_destroy')
      : null;
  const calls = callVerdicts(called, {
    seccompMode: status.mode,
    aioSysctls: host.aioNr !== null,
    gvisor: host.gvisor,
    release: host.release,
  });
  const seccomp: SeccompReport = {
    status,
    observed:
      observed?.map((o) => {
        const v = profiled && verdictForProbe(profiled, o, probeNr);
        return {
          observed: o,
          profile: v ? { verdict: v, matches: observationMatches(o, v) } : null,
        };
      }) ?? null,
    profile:
      profiled && opts.seccompProfile
        ? { source: opts.seccompProfile.source, calls: profileVerdicts(profiled, probeNr) }
        : null,
  };
  const where = whereabouts();
  const largest = largestAccepted(env);
  const next = largest === null ? 1 : largest < U32_MAX ? largest + 1 : null;
  return {
    host,
    profile: name,
    profileSource: source,
    profileProbe: probed.profileProbe,
    probeError: probed.error,
    availability: avail,
    aioMaxNr,
    aioNr,
    available: known ? headroom(env) : null,
    largestAccepted: largest,
    largestUnwrapped: largestUnwrapped(env),
    beyondLargest: next === null ? null : { nrEvents: next, outcome: decideFresh(env, next) },
    confirmation: probed.confirmation,
    request,
    seccomp,
    calls,
    inconsistencies: inconsistencies(calls),
    scan,
    holders,
    aioNrAtScan,
    reconciliation: reconcile(holders.totals, known ? aioNrAtScan : null),
    where,
    asRoot: process.getuid?.() === 0,
    advice: advise(env, avail, request, where),
    env,
    elapsedMs: performance.now() - t0,
  };
}
