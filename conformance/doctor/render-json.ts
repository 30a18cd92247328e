/** The doctor's report as one JSON object (u64 values: numbers up to 2^53-1, decimal strings above). */
import { errnoName, type SeccompVerdict } from '../../model/index.js';
import { jsonInteger, jsonIntegerOrNull } from '../../real/protocol.js';
import { NODE_WIDE } from './advice.js';
import type { HolderRow } from './holders.js';
import type { DoctorReport, SeccompReport } from './report.js';

function holder(h: HolderRow) {
  return {
    pid: h.pid,
    comm: h.comm,
    contexts: h.contexts,
    ringPages: h.ringPages,
    nrEventsMin: h.nrEventsMin,
    nrEventsMax: h.nrEventsMax,
    chargeMin: jsonInteger(h.chargeMin),
    chargeMax: jsonInteger(h.chargeMax),
    cgroup: h.cgroup,
    container: h.container,
    inherited: h.inherited,
    unexplained: h.unexplained,
  };
}

const verdictJson = (v: SeccompVerdict) => ({
  action: v.action,
  errno: v.errno === null ? null : (errnoName(v.errno) ?? v.errno),
  signal: v.signal,
  rule: v.rule,
});

function seccompJson(s: SeccompReport) {
  return {
    mode: s.status.mode,
    filters: s.status.filters,
    observed:
      s.observed?.map((c) => ({
        call: c.observed.call,
        shown: c.observed.shown,
        kind: c.observed.kind,
        errno: c.observed.errno,
        ret: c.observed.ret,
        note: c.observed.note,
        profile: c.profile && { ...verdictJson(c.profile.verdict), matches: c.profile.matches },
      })) ?? null,
    profile: s.profile && {
      source: s.profile.source,
      calls: s.profile.calls.map((c) => ({
        call: c.call,
        shown: c.shown,
        ...verdictJson(c.verdict),
      })),
    },
  };
}

export function doctorJson(r: DoctorReport) {
  const t = r.holders.totals;
  const p = r.profileProbe;
  const c = r.confirmation;
  const q = r.request;
  const s = r.advice.sysctl;
  return {
    kernel: {
      release: r.host.release,
      machine: r.host.machine,
      possibleCpus: r.host.possibleCpus,
      pageSize: r.host.pageSize,
      gvisor: r.host.gvisor,
    },
    profile: r.profile,
    profileSource: r.profileSource,
    profileProbe: p && {
      errno: p.errno,
      delta: jsonIntegerOrNull(p.delta),
      attempts: p.attempts,
      note: p.note,
    },
    probeError: r.probeError,
    aio: {
      state: r.availability.state,
      probeErrno: r.availability.probeErrno ?? null,
      seccompMode: r.availability.seccompMode,
      text: r.availability.text,
    },
    aioMaxNr: jsonIntegerOrNull(r.aioMaxNr),
    aioNr: jsonIntegerOrNull(r.aioNr),
    available: jsonIntegerOrNull(r.available),
    largestAccepted: r.largestAccepted,
    largestUnwrapped: r.largestUnwrapped,
    beyondLargest: r.beyondLargest && {
      nrEvents: r.beyondLargest.nrEvents,
      errno: r.beyondLargest.outcome.errno,
      rule: r.beyondLargest.outcome.rule,
    },
    confirmation: c && {
      status: c.status,
      aioNr: jsonIntegerOrNull(c.aioNr),
      largest: c.largest,
      calls: c.calls,
      attempts: c.attempts,
    },
    request: q && {
      nrEvents: q.nrEvents,
      verdict: q.verdict,
      rule: q.rule,
      errno: q.errno,
      charge: jsonInteger(q.charge),
      neededAioMaxNr: jsonIntegerOrNull(q.neededAioMaxNr),
      neededAloneAioMaxNr: jsonIntegerOrNull(q.neededAloneAioMaxNr),
      mustRelease: jsonIntegerOrNull(q.mustRelease),
      seccomp: q.seccomp,
    },
    seccomp: seccompJson(r.seccomp),
    calls: r.calls.map((c) => ({
      call: c.call,
      verdict: c.verdict,
      errno: c.errno,
      detail: c.detail,
    })),
    inconsistencies: r.inconsistencies,
    holders: r.holders.rows.map(holder),
    totals: {
      processes: t.processes,
      contexts: t.contexts,
      ringPages: t.ringPages,
      nrEventsMin: t.nrEventsMin,
      nrEventsMax: t.nrEventsMax,
      chargeMin: jsonInteger(t.chargeMin),
      chargeMax: jsonInteger(t.chargeMax),
    },
    aioNrAtScan: jsonIntegerOrNull(r.aioNrAtScan),
    reconciliation: r.reconciliation,
    unreadable: r.scan.unreadable.length,
    unreadableProcesses: r.scan.unreadable,
    exited: r.scan.exited,
    hidepid: r.scan.hidepid,
    scanned: r.scan.scanned,
    forkCopies: r.holders.forkCopies,
    ambiguousRings: r.scan.ambiguous,
    where: r.where,
    advice: {
      lines: r.advice.lines,
      sysctl: s && {
        name: s.sysctl,
        current: jsonInteger(s.current),
        minimum: jsonInteger(s.minimum),
        recommended: jsonInteger(s.recommended),
        commands: s.commands,
        where: s.where,
        note: NODE_WIDE,
      },
    },
    elapsedMs: { total: Math.round(r.elapsedMs), scan: Math.round(r.scan.elapsedMs) },
  };
}
