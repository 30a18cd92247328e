/**
 * `aiospec explain io_submit|io_getevents|io_pgetevents|io_cancel`: one family
 * call through the model, as JSON or as text a C programmer reads: the
 * verdict, the rule trail with sources (and, for io_submit, each iocb's), what
 * changed: aio_key, the events, the ring's head and tail, the slots.
 */

import {
  CANCEL_RULES,
  describeErrno,
  type EntryOutcome,
  type ErrnoName,
  type EventObs,
  errnoName,
  FAMILY_KERNEL_FACTS,
  GETEVENTS_RULES,
  hex,
  IOCB_CMD,
  IOCB_RULES,
  type IocbEntry,
  kernelOf,
  nbytesOf,
  type PageSize,
  PROFILES,
  type PredictedEvent,
  type Rule,
  type SeccompVerdict,
  SUBMIT_RULES,
  type TimeoutSpec,
} from '../../model/index.js';
import { jsonInteger, jsonIntegerOrNull } from '../../real/protocol.js';
import type {
  CancelTargetKind,
  FamilyExplainInput,
  GetArgs,
  SubmitArgs,
} from '../cli/explain-family-input.js';
import {
  CALL_STEP,
  type CtxSnapshot,
  type FamilyExplained,
  PRIOR_STEP,
} from '../cli/explain-family-run.js';
import { describeFd } from '../cli/explain-family-values.js';
import { envJson } from './explain.js';

type AnyRule = Rule<string, never>;
type Table = Readonly<Record<string, AnyRule>>;

function sourceOf(r: AnyRule, gvisor: boolean): string {
  const s = r.source;
  return (gvisor ? s.gvisor : s.linux) ?? s.linux ?? s.gvisor ?? '';
}

export interface TrailJson {
  id: string;
  verdict: 'pass' | 'decides';
  errno: string | null;
  when: string;
  man: string;
  source: string;
}

function trailJson(
  table: Table,
  trail: readonly string[],
  rule: string,
  errno: ErrnoName | null,
  gvisor: boolean,
): TrailJson[] {
  return trail.map((id) => {
    const r = table[id]!;
    return {
      id,
      verdict: id === rule ? 'decides' : 'pass',
      errno: r.errno === 'filter' ? (id === rule ? errno : 'filter') : r.errno,
      when: r.when,
      man: r.source.man,
      source: sourceOf(r, gvisor),
    };
  });
}

/** How the event's obj reads: the call's iocbpp[i], or a request made before the call. */
export function objName(obj: EventObs['obj']): string {
  if ('raw' in obj) return hex(obj.raw);
  const { submitted, index } = obj;
  if (submitted === CALL_STEP) return `iocbpp[${index}]`;
  if (submitted === PRIOR_STEP.pending) return `pending[${index}]`;
  if (submitted === PRIOR_STEP.inFlight) return `in-flight[${index}]`;
  return 'cancel-target';
}

function eventJson(e: PredictedEvent) {
  return {
    data: jsonInteger(e.data),
    obj: objName(e.obj),
    res: jsonInteger(e.res),
    res2: jsonInteger(e.res2),
    ordered: e.ordered,
    resMask: jsonIntegerOrNull(e.resMask),
  };
}

function snapshotJson(s: CtxSnapshot) {
  return {
    head: s.head,
    tail: s.tail,
    events: s.events,
    inFlight: s.inFlight,
    polls: s.polls,
    slots: s.pool && {
      pool: s.pool.global,
      cpuCaches: [...s.pool.cpu],
      batch: s.pool.batch,
      completed: s.pool.completed,
    },
  };
}

function timeoutJson(t: TimeoutSpec) {
  return typeof t === 'string' ? t : { sec: jsonInteger(t.sec), nsec: jsonInteger(t.nsec) };
}

function iocbJson(e: IocbEntry) {
  if ('null' in e) return 'null';
  if ('unmapped' in e) return 'unmapped';
  const buf = e.buf;
  return {
    opcode: e.opcode,
    fd: e.fd,
    buf:
      buf === undefined
        ? 0
        : 'value' in buf
          ? jsonInteger(buf.value)
          : 'iov' in buf
            ? { iov: buf.iov }
            : buf,
    nbytes: jsonIntegerOrNull(e.nbytes ?? null),
    offset: jsonInteger(e.offset ?? 0n),
    rwFlags: e.rwFlags ?? 0,
    reqprio: e.reqprio ?? 0,
    flags: e.flags ?? 0,
    resfd: e.resfd ?? null,
    reserved2: jsonInteger(e.reserved2 ?? 0n),
    key: e.key ?? 0,
    data: jsonInteger(e.data ?? 0n),
    readonly: e.readonly ?? false,
  };
}

function argsJson(input: FamilyExplainInput) {
  const c = input.call;
  switch (c.syscall) {
    case 'io_submit':
      return {
        nr: jsonInteger(c.args.nr),
        iocbpp: c.args.iocbpp,
        iocbs: c.args.iocbs.length,
        iocb: c.args.iocbs.length > 0 ? iocbJson(c.args.iocbs[0]!) : null,
      };
    case 'io_getevents':
    case 'io_pgetevents': {
      const a = c.args;
      const sig =
        typeof a.sig === 'string'
          ? a.sig
          : { sigmask: a.sig.mask, sigsetsize: jsonInteger(a.sig.size) };
      return {
        minNr: jsonInteger(a.minNr),
        nr: jsonInteger(a.nr),
        events: a.events,
        timeout: timeoutJson(a.timeout),
        ...(c.syscall === 'io_pgetevents' ? { usig: sig, pendingUsr1: a.pendingUsr1 } : {}),
      };
    }
    case 'io_cancel':
      return { iocb: c.args.target, key: c.args.key, result: c.args.result };
  }
}

function seccompJson(v: SeccompVerdict) {
  return { ...v, returned: jsonIntegerOrNull(v.returned) };
}

function entryJson(e: EntryOutcome, entry: IocbEntry | undefined, key: number | null) {
  return {
    index: e.index,
    rule: e.rule,
    errno: e.errno,
    keyBefore: entry && 'opcode' in entry ? (entry.key ?? 0) : null,
    keyAfter: key,
    keyWritten: e.keyWritten,
    completes: e.completes,
    event: e.event ? eventJson(e.event) : null,
    doubt: e.doubt,
    /** Rule ids in order (every one but the last passed); iocbRules has their text. */
    trail: [...e.trail],
  };
}

/** The iocb rules the entries' trails name, once each, with their text and sources. */
function iocbRulesJson(entries: readonly EntryOutcome[], gvisor: boolean) {
  const ids = [...new Set(entries.flatMap((e) => e.trail))];
  return Object.fromEntries(
    ids.map((id) => {
      const r = (IOCB_RULES as Table)[id]!;
      return [id, { errno: r.errno, when: r.when, man: r.source.man, source: sourceOf(r, gvisor) }];
    }),
  );
}

export function explainFamilyJson(input: FamilyExplainInput, x: FamilyExplained) {
  const gvisor = input.env.profile === 'gvisor';
  const o = x.outcome;
  const table = (
    x.syscall === 'io_submit'
      ? SUBMIT_RULES
      : x.syscall === 'io_cancel'
        ? CANCEL_RULES
        : GETEVENTS_RULES
  ) as Table;
  const base = {
    call: { syscall: x.syscall, ...argsJson(input) },
    env: {
      ...envJson(input.env),
      kernel: kernelOf(input.env),
      rtIoprio: input.env.rtIoprio ?? false,
    },
    context: {
      nrEvents: input.ctxNr,
      handle: hex(x.live.handle),
      named: !input.badCtx,
      capacity: x.capacity,
      pending: input.pending,
      inFlight: input.inFlight,
    },
    errno: o.errno,
    ret: o.ret,
    rule: o.rule,
    seccomp: seccompJson(o.seccomp),
    signal: o.signal,
    wouldBlock: 'wouldBlock' in o ? o.wouldBlock : null,
    trail: trailJson(table, o.trail, o.rule, o.errno, gvisor),
    before: snapshotJson(x.before),
    after: snapshotJson(x.after),
  };
  if (x.syscall === 'io_submit') {
    const iocbs = input.call.syscall === 'io_submit' ? input.call.args.iocbs : [];
    return {
      ...base,
      iocbs: x.outcome.entries.map((e) =>
        entryJson(e, iocbs[e.index], x.outcome.keys[e.index] ?? null),
      ),
      iocbRules: iocbRulesJson(x.outcome.entries, gvisor),
      capacityDoubt: x.outcome.capacityDoubt,
    };
  }
  if (x.syscall === 'io_cancel')
    return {
      ...base,
      queuedEvent: x.outcome.queuedEvent,
      resultUntouched: x.outcome.resultUntouched,
    };
  return {
    ...base,
    events: x.outcome.events.map(eventJson),
    exact: x.outcome.exact,
    waits: x.outcome.waits,
    usr1: x.outcome.usr1,
  };
}

// ---- text -----------------------------------------------------------------

const OPCODE_NAME: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(IOCB_CMD).map(([k, v]) => [v, `IOCB_CMD_${k}`]),
);

function timeoutC(t: TimeoutSpec): string {
  if (t === 'null') return 'NULL';
  if (t === 'unmapped') return '(struct __kernel_timespec *)unmapped';
  return `&(struct __kernel_timespec){${t.sec}, ${t.nsec}}`;
}

function eventsC(e: GetArgs['events']): string {
  return {
    buffer: 'events',
    null: 'NULL',
    unmapped: '(struct io_event *)unmapped',
    readonly: 'ro_events',
  }[e];
}

function sigC(a: GetArgs): string {
  const s = a.sig;
  if (s === 'null') return 'NULL';
  if (s === 'unmapped') return '(struct __aio_sigset *)unmapped';
  const mask = {
    null: 'NULL',
    unmapped: '(sigset_t *)unmapped',
    empty: '&empty',
    'block-usr1': '&usr1',
  }[s.mask];
  return `&(struct __aio_sigset){${mask}, ${s.size}}`;
}

const CANCEL_TARGET_TEXT: Readonly<Record<CancelTargetKind, string>> = {
  'pending-poll':
    'a POLLIN on file #6 (an empty pipe), submitted before the call and still pending (on ctx->active_reqs)',
  completed:
    'a PREAD of file #0, submitted before the call; it completed inside io_submit (its event is in the ring)',
  'never-submitted': 'a PREAD iocb never given to io_submit',
  null: 'NULL',
  unmapped: 'a pointer to unmapped memory',
};

function cancelC(t: CancelTargetKind): string {
  if (t === 'null') return 'NULL';
  if (t === 'unmapped') return '(struct iocb *)unmapped';
  return '&iocb';
}

function cCall(input: FamilyExplainInput): string {
  const ctx = input.badCtx ? '0 /* no context */' : 'ctx';
  const c = input.call;
  switch (c.syscall) {
    case 'io_submit': {
      const a: SubmitArgs = c.args;
      const pp = { array: 'iocbpp', null: 'NULL', unmapped: '(struct iocb **)unmapped' }[a.iocbpp];
      return `io_submit(${ctx}, ${a.nr}, ${pp})`;
    }
    case 'io_getevents':
    case 'io_pgetevents': {
      const a = c.args;
      const head = `${c.syscall}(${ctx}, ${a.minNr}, ${a.nr}, ${eventsC(a.events)}, ${timeoutC(a.timeout)}`;
      return c.syscall === 'io_pgetevents' ? `${head}, ${sigC(a)})` : `${head})`;
    }
    case 'io_cancel':
      return `io_cancel(${ctx}, ${cancelC(c.args.target)}, ${c.args.result === 'null' ? 'NULL' : '&result'})`;
  }
}

function verdict(input: FamilyExplainInput, x: FamilyExplained): string {
  const o = x.outcome;
  const call = cCall(input);
  if (o.signal === 'killed')
    return `${call}: never returns: killed by SIGSYS (${o.seccomp.action === 'kill-thread' ? 'the calling thread' : 'the whole process'})`;
  if ('wouldBlock' in o && o.wouldBlock !== null) return `${call}: never returns: ${o.wouldBlock}`;
  const sig = o.signal === 'delivered' ? ' (and SIGSYS delivered, si_code SYS_SECCOMP)' : '';
  if (o.errno === null) return `${call} = ${o.ret}${sig}`;
  return `${call} = -1 ${describeErrno(o.errno)}${sig}`;
}

function resText(res: bigint): string {
  if (res >= 0n) return String(res);
  const name = errnoName(Number(-res));
  return name ? `${res} (-${name})` : String(res);
}

function eventText(e: PredictedEvent): string {
  const notes = [
    e.ordered ? '' : 'place in the ring not fixed',
    e.resMask === null ? '' : `res compared under mask ${hex(e.resMask)}`,
  ].filter((n) => n !== '');
  const tail = notes.length > 0 ? `  (${notes.join('; ')})` : '';
  return `{data ${hex(e.data)}, obj ${objName(e.obj)}, res ${resText(e.res)}, res2 ${e.res2}}${tail}`;
}

function trailLines(
  table: Table,
  trail: readonly string[],
  rule: string,
  errno: ErrnoName | null,
  gvisor: boolean,
  seccomp: SeccompVerdict | null,
  indent = '  ',
): string[] {
  const width = Math.max(...trail.map((id) => id.length));
  return trail.flatMap((id) => {
    const decides = id === rule;
    const r = table[id]!;
    const mark = decides ? '→' : '✓';
    const e = decides ? (errno ?? 'ok') : 'pass';
    const head = `${indent}${mark} ${id.padEnd(width)}  ${e.padEnd(11)}  ${sourceOf(r, gvisor)}`;
    const profileRule =
      seccomp && id.startsWith('seccomp.') ? [`${indent}    profile rule: ${seccomp.rule}`] : [];
    return decides
      ? [head, `${indent}    ${r.when}`, ...profileRule, `${indent}    man: ${r.source.man}`]
      : [head];
  });
}

function iocbText(e: IocbEntry, pageSize: PageSize, fill: number): string {
  if ('null' in e) return 'NULL';
  if ('unmapped' in e) return '(struct iocb *)unmapped';
  const b = e.buf;
  const buf =
    b === undefined
      ? '0'
      : 'value' in b
        ? hex(b.value)
        : 'unmapped' in b
          ? 'unmapped memory'
          : 'iov' in b
            ? `iovec[${b.iov.length}] {${b.iov.map((v) => ('bytes' in v ? `${v.bytes}-byte buffer` : `${hex(v.base)}, ${v.len}`)).join('; ')}}`
            : `a ${b.bytes}-byte buffer`;
  const fields = [
    `aio_lio_opcode ${e.opcode}${OPCODE_NAME[e.opcode] ? ` (${OPCODE_NAME[e.opcode]})` : ''}`,
    `aio_fildes ${describeFd(e.fd, fill)}`,
    `aio_buf ${buf}`,
    `aio_nbytes ${nbytesOf(e, pageSize)}`,
    `aio_offset ${e.offset ?? 0n}`,
    `aio_data ${hex(e.data ?? 0n)}`,
    `aio_key ${hex(e.key ?? 0)}`,
  ];
  if (e.rwFlags) fields.push(`aio_rw_flags ${hex(e.rwFlags)}`);
  if (e.reqprio) fields.push(`aio_reqprio ${hex(e.reqprio & 0xffff)}`);
  if (e.flags) fields.push(`aio_flags ${hex(e.flags)}`);
  if (e.resfd) fields.push(`aio_resfd ${describeFd(e.resfd, fill)}`);
  if (e.reserved2) fields.push(`aio_reserved2 ${hex(e.reserved2)}`);
  if (e.readonly) fields.push('in a read-only page');
  return `struct iocb {${fields.join(', ')}}`;
}

function snapshotText(s: CtxSnapshot): string {
  const pool = s.pool
    ? `; slots: pool ${s.pool.global}, CPU caches [${s.pool.cpu.join(', ')}], completed_events ${s.pool.completed}`
    : '';
  return `head ${s.head}, tail ${s.tail}: ${s.events} event(s) in the ring, ${s.inFlight} in flight, ${s.polls} POLL(s) pending${pool}`;
}

function contextLines(input: FamilyExplainInput, x: FamilyExplained): string[] {
  const cap = x.capacity;
  const lines = [
    `context (made by io_setup(${input.ctxNr}) before the call, outside any filter)`,
    cap
      ? `  ring->nr N ${cap.ringNr}; req_batch B ${cap.batch}; K ${cap.pinned} submissions from a pinned CPU before EAGAIN; at least L ${cap.lowerBound} wherever completions run`
      : `  gVisor: at most nr_events ${input.ctxNr} requests outstanding; the ring page stays zero`,
  ];
  if (input.pending > 0)
    lines.push(
      `  before: ${input.pending} PREAD(s) of file #0 completed, unreaped (pending[i], data 0x100 + i)`,
    );
  if (input.inFlight > 0)
    lines.push(
      `  before: ${input.inFlight} FSYNC(s) of file #0 on the workqueue (in-flight[i], data 0x200 + i)`,
    );
  lines.push(`  before the call: ${snapshotText(x.before)}`);
  if (input.badCtx) lines.push('  the call is given handle 0, which names no context');
  return lines;
}

function submitLines(
  input: FamilyExplainInput,
  x: FamilyExplained & { syscall: 'io_submit' },
): string[] {
  const gvisor = input.env.profile === 'gvisor';
  const iocbs = input.call.syscall === 'io_submit' ? input.call.args.iocbs : [];
  const entries = x.outcome.entries;
  const lines: string[] = [];
  for (let i = 0; i < entries.length; ) {
    const e = entries[i]!;
    let j = i;
    while (
      j + 1 < entries.length &&
      entries[j + 1]!.rule === e.rule &&
      entries[j + 1]!.trail.length === e.trail.length
    )
      j++;
    lines.push('', `iocbpp[${i}] (checked in order)`);
    lines.push(...trailLines(IOCB_RULES as Table, e.trail, e.rule, e.errno, gvisor, null));
    const entry = iocbs[i];
    if (entry && 'opcode' in entry) {
      const before = entry.key ?? 0;
      lines.push(
        e.keyWritten
          ? `  aio_key ${hex(before)} → 0 (KIOCB_KEY, written at P7)`
          : `  aio_key ${hex(before)} left as it was`,
      );
    }
    if (e.event)
      lines.push(
        `  event ${e.completes === 'now' ? 'in the ring' : 'later'}: ${eventText(e.event)}`,
      );
    else if (e.completes === 'later')
      lines.push('  no event yet: the POLL waits on its file (on ctx->active_reqs)');
    if (e.doubt) lines.push(`  doubt: ${e.doubt}`);
    if (j > i) lines.push(`iocbpp[${i + 1}..${j}]: the same, each → ${e.rule}`);
    i = j + 1;
  }
  const past = input.call.syscall === 'io_submit' ? input.call.args.nr : 0n;
  if (
    x.outcome.rule === 'submit.loop' &&
    BigInt(entries.length) < past &&
    x.outcome.wouldBlock === null
  ) {
    const stop = entries.at(-1);
    if (stop?.errno)
      lines.push(`(the loop stops at iocbpp[${stop.index}]; later entries are never read)`);
  }
  if (x.outcome.capacityDoubt) lines.push(`capacity: ${x.outcome.capacityDoubt}`);
  return lines;
}

function getLines(x: FamilyExplained & { syscall: 'io_getevents' | 'io_pgetevents' }): string[] {
  const o = x.outcome;
  const lines = ['', `events copied out: ${o.events.length}`];
  for (const [i, e] of o.events.entries()) lines.push(`  events[${i}] = ${eventText(e)}`);
  if (o.waits)
    lines.push('  the call waits (a timeout to let run, or in-flight completions to land)');
  if (!o.exact)
    lines.push('  the count depends on timing (in-flight completions the call need not wait for)');
  if (o.usr1 > 0) lines.push(`  the SIGUSR1 handler runs ${o.usr1} time(s) under the call's mask`);
  return lines;
}

function cancelLines(x: FamilyExplained & { syscall: 'io_cancel' }): string[] {
  const o = x.outcome;
  return [
    '',
    o.queuedEvent
      ? 'the POLL leaves ctx->active_reqs; its completion is queued: an event with res 0 (not -ECANCELED) lands later'
      : 'no request changes',
    '`result` is never read or written',
  ];
}

export function explainFamilyText(input: FamilyExplainInput, x: FamilyExplained): string {
  const env = input.env;
  const gvisor = env.profile === 'gvisor';
  const o = x.outcome;
  const k = kernelOf(env);
  const profiles = (env.seccompFilters ?? []).map((f) => `profile ${f.source}`);
  const seccomp =
    [
      ...profiles,
      ...(env.seccomp.action === 'allow'
        ? []
        : [`SECCOMP_RET_ERRNO(${env.seccomp.errno}) on ${x.syscall}`]),
    ].join(' + ') || 'none';
  const table = (
    x.syscall === 'io_submit'
      ? SUBMIT_RULES
      : x.syscall === 'io_cancel'
        ? CANCEL_RULES
        : GETEVENTS_RULES
  ) as Table;
  const lines = [verdict(input, x)];
  if (input.call.syscall === 'io_submit') {
    const a = input.call.args;
    if (a.iocbs.length > 0)
      lines.push(
        `  iocbpp[0${a.iocbs.length > 1 ? `..${a.iocbs.length - 1}` : ''}] → ${iocbText(a.iocbs[0]!, env.pageSize, input.fill)}`,
      );
    else lines.push('  iocbpp holds no entry');
  }
  if (input.call.syscall === 'io_cancel') {
    const { target, key } = input.call.args;
    const k = key === null ? '' : `; aio_key ${hex(key)} at the call`;
    lines.push(`  iocb: ${CANCEL_TARGET_TEXT[target]}${k}`);
  }
  lines.push(
    '',
    'environment',
    `  profile ${env.profile} (${PROFILES[env.profile].title})${gvisor ? '' : `; kernel ${k} (${FAMILY_KERNEL_FACTS[k].title})`}; ${env.possibleCpus} possible CPUs; ${env.pageSize}-byte pages`,
    `  seccomp filter ${seccomp}${env.aioCompiled ? '' : '; CONFIG_AIO=n'}${env.rtIoprio ? '; CAP_SYS_NICE' : ''}`,
    '',
    ...contextLines(input, x),
    '',
    `rule trail: ${x.syscall} (checked in order; the first that applies decides)`,
    ...trailLines(table, o.trail, o.rule, o.errno, gvisor, o.seccomp),
  );
  if ((env.seccompFilters ?? []).length > 0 && !o.rule.startsWith('seccomp.'))
    lines.push('', `seccomp: ${o.seccomp.rule} lets the call run (${o.seccomp.action})`);
  if (x.syscall === 'io_submit') lines.push(...submitLines(input, x));
  else if (x.syscall === 'io_cancel') lines.push(...cancelLines(x));
  else lines.push(...getLines(x));
  const blocked = 'wouldBlock' in o && o.wouldBlock !== null;
  lines.push(
    '',
    blocked
      ? 'afterwards: nothing (the call never returns)'
      : `afterwards: ${snapshotText(x.after)}`,
  );
  return lines.join('\n');
}
