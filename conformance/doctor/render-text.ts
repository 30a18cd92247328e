/** The doctor's report for people: short sections, the numbers first. */
import {
  describeErrno,
  type ErrnoName,
  errnoName,
  hex,
  profile,
  SETUP_RULES,
} from '../../model/index.js';
import { NODE_WIDE, pct, SYSCTL } from './advice.js';
import type { CallReport } from './call-verdicts.js';
import type { HolderRow } from './holders.js';
import type { CallSeen } from './probe.js';
import type { DoctorReport } from './report.js';
import type { RequestVerdict } from './request.js';
import { observationText, verdictText } from './seccomp-check.js';

const range = (lo: number | bigint, hi: number | bigint) => (lo === hi ? `${lo}` : `${lo}..${hi}`);

function ret(errno: ErrnoName | number | null): string {
  if (errno === null) return '0';
  const name = typeof errno === 'number' ? errnoName(errno) : errno;
  return name ? `-1 ${describeErrno(name)}` : `-1 errno ${errno}`;
}

function call(c: CallSeen): string {
  return `io_setup(${c.nrEvents}) = ${ret(c.errno)}`;
}

function kernel(r: DoctorReport): string[] {
  const h = r.host;
  const probe = r.profileProbe;
  const how: Record<DoctorReport['profileSource'], string> = {
    flag: `--profile${probe?.profile && probe.profile !== r.profile ? `; the probe says ${probe.profile}` : ''}`,
    probe: `probe: io_setup(1) moved aio-nr by ${probe?.delta}`,
    gvisor: 'gVisor detected',
    release: `from the release${probe?.note ? `; the probe could not tell: ${probe.note}` : probe?.errno ? `; the probe's io_setup(1) failed (${ret(probe.errno)})` : r.probeError ? `; no probe: ${r.probeError}` : ''}`,
    default: `assumed${r.probeError ? `; no probe: ${r.probeError}` : ''}`,
  };
  return [
    'Kernel',
    `  Linux ${h.release} ${h.machine}, ${h.possibleCpus} possible CPUs, ${h.pageSize}-byte pages`,
    `  accounting   ${profile(r.profile).title} (${how[r.profileSource]})`,
    `  AIO          ${r.availability.text}`,
  ];
}

function largestText(r: DoctorReport): string {
  const beyond = r.beyondLargest;
  const next = beyond ? `; ${beyond.nrEvents} gets ${ret(beyond.outcome.errno)}` : '';
  if (r.largestAccepted === null) return `none: no io_setup fits now${next}`;
  if (!profile(r.profile).accounting)
    return `${r.largestAccepted} (this kernel puts no limit on nr_events)`;
  const wrapped =
    r.largestAccepted !== r.largestUnwrapped
      ? ` = ${hex(r.largestAccepted)}, a value whose 2*nr_events wraps in u32 (tiny ring, huge charge); the largest below 2^31 is ${r.largestUnwrapped}`
      : '';
  return `${r.largestAccepted}${wrapped} (io_setup accepts nothing larger now${next})`;
}

function confirmationText(r: DoctorReport): string {
  const c = r.confirmation;
  if (!c)
    return r.probeError
      ? `not run (${r.probeError})`
      : 'not run (add --probe to try it in a worker)';
  const calls = c.calls.map(call).join(', ');
  const says: Record<typeof c.status, string> = {
    confirmed: `confirmed in a worker: ${calls}`,
    moved: `inconclusive: aio-nr kept moving under the probe (${c.attempts} tries; last: ${calls})`,
    disagrees: `THE KERNEL DISAGREES WITH THE MODEL at aio-nr ${c.aioNr}: ${c.calls.map((x) => `${call(x)} (model: ${ret(x.predicted)})`).join(', ')}`,
  };
  return says[c.status];
}

function events(r: DoctorReport): string[] {
  if (r.aioMaxNr === null || r.aioNr === null)
    return [
      'Events',
      '  no /proc/sys/fs/aio-max-nr or aio-nr here: this kernel keeps no AIO accounting',
      `  largest io_setup  ${largestText(r)}`,
    ];
  const limit = (r.available ?? 0n) + r.aioNr;
  const used = limit === 0n ? 1 : Number(r.aioNr) / Number(limit);
  const doubled = profile(r.profile).accounting?.limitFactor === 2n;
  return [
    `Events (${SYSCTL} and fs.aio-nr are one pair for the whole kernel, not per container)`,
    `  aio-max-nr        ${r.aioMaxNr}${doubled ? ` (this kernel allows aio-nr up to twice that: ${limit})` : ''}${r.where.container ? `: the node's limit, ${r.where.sysctlWritable ? 'writable from this container (for the whole node)' : 'read-only in this container'}` : ''}`,
    `  aio-nr            ${r.aioNr} (${pct(used)} used)`,
    `  available         ${r.available}`,
    `  largest io_setup  ${largestText(r)}`,
    `  --probe           ${confirmationText(r)}`,
  ];
}

const VERDICT_TEXT: Record<RequestVerdict, string> = {
  ok: 'fits now',
  'alone-exceeds': 'fails by itself: it alone exceeds the limit, retrying never helps',
  transient: 'fails now only because of what others hold (transient)',
  'internal-limit': 'invalid: past the internal limit (EINVAL), whatever the sysctls',
  other: 'fails for a reason no sysctl changes',
};

/** Whether a request that does not fit now ever can, and what it takes (the doctor's exit status is 1 for all of them). */
function everText(q: NonNullable<DoctorReport['request']>): string | null {
  switch (q.verdict) {
    case 'ok':
      return null;
    case 'transient':
      return `can it ever fit? yes: once others release ${q.mustRelease} events${q.neededAioMaxNr === null ? '' : `, or with ${SYSCTL} >= ${q.neededAioMaxNr}`}`;
    case 'alone-exceeds':
      return q.neededAloneAioMaxNr === null
        ? `can it ever fit? no: no ${SYSCTL} is large enough`
        : `can it ever fit? only with ${SYSCTL} >= ${q.neededAloneAioMaxNr} (and nothing else held)`;
    case 'internal-limit':
      return 'can it ever fit? no: no sysctl changes an invalid nr_events';
    case 'other':
      return 'can it ever fit? not by a sysctl: see the rule above';
  }
}

/** This process's own filter, seen stopping the call (the gate's no even when the model says it fits). */
function ownFilterLine(r: DoctorReport, n: number): string[] {
  const c = r.seccomp.observed?.find((x) => x.observed.call === 'io_setup');
  if (!c || !['errno', 'trap', 'killed'].includes(c.observed.kind)) return [];
  return [
    `  this process's own seccomp filter stops io_setup(${n}): ${observationText(c.observed)}`,
  ];
}

function request(r: DoctorReport): string[] {
  const q = r.request;
  if (!q) return [];
  return [
    '',
    `Request io_setup(${q.nrEvents})`,
    `  = ${q.errno === null && q.verdict !== 'ok' ? `(${q.seccomp?.action})` : ret(q.errno)}: ${VERDICT_TEXT[q.verdict]}`,
    `  rule ${q.rule}: ${SETUP_RULES[q.rule].when}`,
    ...(q.seccomp ? [`  profile rule: ${q.seccomp.rule}`] : []),
    ...ownFilterLine(r, q.nrEvents),
    ...(q.neededAioMaxNr !== null && q.verdict !== 'ok'
      ? [`  fits with ${SYSCTL} >= ${q.neededAioMaxNr} (with what is held now)`]
      : []),
    ...(everText(q) === null ? [] : [`  ${everText(q)}`]),
  ];
}

function cgroupText(h: HolderRow): string {
  if (h.container) return h.container;
  return h.cgroup ?? '?';
}

function holderLines(rows: readonly HolderRow[]): string[] {
  const head = ['PID', 'COMMAND', 'CTX', 'PAGES', 'NR_EVENTS', 'CONTAINER/CGROUP'];
  const cells = rows.map((h) => [
    String(h.pid),
    h.comm ?? '?',
    String(h.contexts),
    String(h.ringPages),
    range(h.nrEventsMin, h.nrEventsMax) + (h.unexplained ? ` (+${h.unexplained} odd rings)` : ''),
    cgroupText(h),
  ]);
  const widths = head.map((t, i) => Math.max(t.length, ...cells.map((c) => c[i]!.length)));
  const right = [true, false, true, true, false, false];
  const fmt = (c: readonly string[]) =>
    `  ${c.map((x, i) => (i === c.length - 1 ? x : right[i] ? x.padStart(widths[i]!) : x.padEnd(widths[i]!))).join('  ')}`;
  return [fmt(head), ...cells.map(fmt)];
}

/** "mysqld (1), node (3), ..." for the most common names, then how many more. */
function byName(procs: readonly { readonly pid: number; readonly comm: string | null }[]): string {
  const counts = new Map<string, number>();
  for (const p of procs) counts.set(p.comm ?? '?', (counts.get(p.comm ?? '?') ?? 0) + 1);
  const top = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const shown = top.slice(0, 6).map(([name, n]) => (n === 1 ? name : `${name} (${n})`));
  return top.length > 6 ? `${shown.join(', ')}, ${top.length - 6} more names` : shown.join(', ');
}

function holders(r: DoctorReport): string[] {
  const t = r.holders.totals;
  const s = r.scan;
  const charge = range(t.chargeMin, t.chargeMax);
  const against: Record<DoctorReport['reconciliation'], string> = {
    within: `aio-nr ${r.aioNrAtScan} lies within their charges (${charge}): every context is accounted for`,
    unseen: `aio-nr ${r.aioNrAtScan} is above their charges (at most ${t.chargeMax}): ${(r.aioNrAtScan ?? 0n) - t.chargeMax} events are held by processes not seen here (unreadable, or in other PID namespaces: aio-nr counts the whole kernel)`,
    below: `aio-nr ${r.aioNrAtScan} is below their charges (at least ${t.chargeMin}): contexts came and went while we read${r.profileSource === 'flag' ? ', or --profile is not this kernel' : ''}`,
    none: 'no aio-nr to compare with',
  };
  const lines = [
    '',
    `Holders: ${count(t.processes, 'process', 'processes')}, ${count(t.contexts, 'context', 'contexts')}, ${count(t.ringPages, 'ring page', 'ring pages')}, nr_events ${range(t.nrEventsMin, t.nrEventsMax)} (biggest first)`,
    ...(r.where.hostPidNamespace === false
      ? [
          `  only the processes this PID namespace can see (${r.where.pidNamespace}): the node's others hold events too, counted in aio-nr but not listed here`,
        ]
      : []),
    ...(r.holders.rows.length > 0
      ? holderLines(r.holders.rows)
      : ['  (no process holds an AIO context)']),
    `  ${against[r.reconciliation]}`,
  ];
  const notes = [
    s.unreadable.length > 0 &&
      `${count(s.unreadable.length, 'process', 'processes')} could not be read, ${r.asRoot ? 'even as root' : 'not ours (run as root to see them)'}: ${byName(s.unreadable)}`,
    s.hidepid && "/proc is mounted with hidepid: other users' processes are not even listed",
    s.exited > 0 && `${s.exited} processes exited while we read (they hold nothing now)`,
    r.holders.forkCopies.length > 0 &&
      `${r.holders.forkCopies.length} processes map rings inherited through fork, not their contexts: ${r.holders.forkCopies.map((f) => `${f.pid} (${f.comm})`).join(', ')}`,
    s.ambiguous > 0 &&
      `${s.ambiguous} rings are mapped by unrelated processes (creator gone?); counted once, for the lowest pid`,
  ].filter((x): x is string => typeof x === 'string');
  return [
    ...lines,
    ...notes.map((n) => `  ${n}`),
    `  (${s.scanned} processes scanned in ${s.elapsedMs.toFixed(0)} ms)`,
  ];
}

function advice(r: DoctorReport): string[] {
  const a = r.advice;
  const s = a.sysctl;
  return [
    '',
    'Advice',
    ...a.lines.map((l) => `  ${l}`),
    ...(s
      ? [
          `  Raise ${SYSCTL} from ${s.current} to ${s.recommended} (at least ${s.minimum}), ${s.where}:`,
          ...s.commands.map((c) => `    ${c}`),
          `  ${NODE_WIDE}`,
          '  The limit only caps the sum of nr_events; raising it reserves no memory (each context pins its own ring, about 32 bytes per event).',
        ]
      : []),
  ];
}

/** What seccomp does to the calls here: this process's own filter as seen, and the profile given. */
function seccomp(r: DoctorReport): string[] {
  const s = r.seccomp;
  const n = s.status.filters === null ? '' : `, Seccomp_filters: ${s.status.filters}`;
  const own =
    s.status.mode === 2
      ? `this process runs under a seccomp filter (Seccomp: 2${n}); probed in child processes:`
      : `this process runs under no seccomp filter (Seccomp: ${s.status.mode ?? 'not shown'})`;
  const observed = (s.observed ?? []).flatMap((c) => [
    `    ${c.observed.shown} → ${observationText(c.observed)}`,
    ...(c.profile
      ? [
          c.profile.matches
            ? `      as the profile says: ${c.profile.verdict.rule}`
            : `      NOT what the profile says (${verdictText(c.profile.verdict)}, ${c.profile.verdict.rule}): this filter is another one`,
        ]
      : []),
  ]);
  const p = s.profile;
  const profiled = p
    ? [
        `  profile ${p.source}:`,
        ...p.calls.map((c) => `    ${c.shown} → ${verdictText(c.verdict)}: ${c.verdict.rule}`),
      ]
    : [];
  return ['', 'Seccomp', `  ${own}`, ...observed, ...profiled];
}

/** A verdict as the calls table shows it: `allowed`, `seccomp EPERM`, `seccomp trap`, `enosys`. */
function verdictLabel(c: CallReport): string {
  if (c.verdict === 'seccomp') return `seccomp ${c.errno ?? 'trap'}`;
  return c.verdict;
}

/** One aligned line per AIO call, then what in them breaks a caller. */
function calls(r: DoctorReport): string[] {
  const rows = r.calls.map((c) => [c.call, verdictLabel(c), c.detail]);
  const widths = [0, 1].map((i) => Math.max(...rows.map((x) => x[i]!.length)));
  return [
    '',
    'AIO calls (each made once, harmlessly, in a child process; nothing is created)',
    ...rows.map((x) => `  ${x[0]!.padEnd(widths[0]!)}  ${x[1]!.padEnd(widths[1]!)}  ${x[2]}`),
    ...r.inconsistencies.map((l) => `  ${l}`),
  ];
}

export function doctorText(r: DoctorReport): string {
  return [
    ...kernel(r),
    ...seccomp(r),
    ...calls(r),
    '',
    ...events(r),
    ...request(r),
    ...holders(r),
    ...advice(r),
  ].join('\n');
}

/** "1 process", "2 processes". */
function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
