/**
 * The family stream for bench/c/family.c: family cases (model/family/steps.ts)
 * written as plain lines, one per operation, from the very Case objects the
 * engine runs. Symbolic names stay symbolic (the C harness resolves them as the
 * worker does): files by their index, contexts by the setup step that made
 * them, iocbs by submit step and entry. Absent fields are written as the value
 * the worker gives them, except aio_nbytes, whose default depends on the buffer
 * the harness allocates ("-"). The grammar (bench/c/family.c reads it):
 *
 *   case
 *   file file <r|w|rw> <size> <append 0|1>      file pipe <nonblock 0|1> <fill>
 *   file eventfd <nonblock 0|1> <count>          file dir
 *   setup <nr_events>                            (ctx kind zero: the only one family cases use)
 *   submit <ctx> <nr> <entries> <array: m|u>     then one line per entry:
 *     iocb <aio_data> <aio_key> <aio_rw_flags> <aio_lio_opcode> <aio_reqprio> <aio_fildes>
 *          <aio_buf> <aio_nbytes> <aio_offset> <aio_reserved2> <aio_flags> <aio_resfd> <readonly 0|1>
 *       followed, when aio_buf is i<n>, by n lines `iov b<bytes>` or `iov @<base> <len>`
 *     null | unmapped
 *   getevents <ctx> <min_nr> <nr> <events: b|n|u|r> <timeout: n|u|<sec>,<nsec>>
 *   cancel <ctx> <s<step>.<entry>|n|u> <result: b|n>
 *   fdwrite <fd> <bytes>                         fdread <fd> <bytes>
 *   end
 *
 * ctx: s<setup step> or @<address>. fd: f<file>, f<file>r, f<file>w (a pipe's
 * ends) or #<u32 literal>. aio_buf: - (0), b<bytes> (a fresh buffer), v<u64>
 * (a literal), u (unmapped), i<n> (an iovec array). Integers are decimal: u64
 * fields unsigned, s64 fields (aio_offset, timeout) signed.
 */

import type { Case, Step } from '../conformance/cases.js';
import type {
  BufSpec,
  CancelTarget,
  CtxRef,
  EventsSpec,
  FamilyStep,
  FdRef,
  FileSpec,
  IocbEntry,
  IocbSpec,
  TimeoutSpec,
} from '../model/family/steps.js';

const u64 = (v: bigint) => BigInt.asUintN(64, v).toString();
const s64 = (v: bigint) => BigInt.asIntN(64, v).toString();

function fileLine(f: FileSpec): string {
  switch (f.kind) {
    case 'file':
      return `file file ${f.mode} ${f.size ?? 0} ${f.append ? 1 : 0}`;
    case 'pipe':
      return `file pipe ${f.nonblock ? 1 : 0} ${f.fill ?? 0}`;
    case 'eventfd':
      return `file eventfd ${f.nonblock ? 1 : 0} ${f.count ?? 0}`;
    case 'dir':
      return 'file dir';
  }
}

function fd(r: FdRef): string {
  if ('fd' in r) return `#${r.fd >>> 0}`;
  return `f${r.file}${r.end === 'read' ? 'r' : r.end === 'write' ? 'w' : ''}`;
}

function ctx(c: CtxRef): string {
  return 'setup' in c ? `s${c.setup}` : `@${u64(BigInt(c.address))}`;
}

function buf(b: BufSpec | undefined): string {
  if (b === undefined) return '-';
  if ('bytes' in b) return `b${b.bytes}`;
  if ('value' in b) return `v${u64(b.value)}`;
  if ('unmapped' in b) return 'u';
  return `i${b.iov.length}`;
}

function iocbLines(i: IocbSpec): string[] {
  const fields = [
    u64(i.data ?? 0n),
    (i.key ?? 0) >>> 0,
    (i.rwFlags ?? 0) >>> 0,
    i.opcode & 0xffff,
    ((i.reqprio ?? 0) << 16) >> 16,
    fd(i.fd),
    buf(i.buf),
    i.nbytes === undefined ? '-' : u64(i.nbytes),
    s64(i.offset ?? 0n),
    u64(i.reserved2 ?? 0n),
    (i.flags ?? 0) >>> 0,
    i.resfd === undefined ? '#0' : fd(i.resfd),
    i.readonly ? 1 : 0,
  ];
  const iov =
    i.buf !== undefined && 'iov' in i.buf
      ? i.buf.iov.map((v) =>
          'bytes' in v ? `iov b${v.bytes}` : `iov @${u64(v.base)} ${u64(v.len)}`,
        )
      : [];
  return [`iocb ${fields.join(' ')}`, ...iov];
}

function entryLines(e: IocbEntry): string[] {
  if ('null' in e) return ['null'];
  if ('unmapped' in e) return ['unmapped'];
  return iocbLines(e);
}

function events(e: EventsSpec | undefined): string {
  return { buffer: 'b', null: 'n', unmapped: 'u', readonly: 'r' }[e ?? 'buffer'];
}

function timeout(t: TimeoutSpec | undefined): string {
  if (t === undefined) return '0,0';
  if (t === 'null') return 'n';
  if (t === 'unmapped') return 'u';
  return `${s64(t.sec)},${s64(t.nsec)}`;
}

function target(t: CancelTarget): string {
  if ('submitted' in t) return `s${t.submitted}.${t.index}`;
  if ('null' in t) return 'n';
  if ('unmapped' in t) return 'u';
  throw new Error('the family bench stream has no io_cancel of a fresh iocb');
}

function stepLines(s: Step): string[] {
  if (s.op === 'setup') {
    if (s.ctx !== 'zero' || s.asHeadroom !== undefined || s.failNth !== undefined)
      throw new Error('the family bench stream has only plain io_setup steps (ctx zero)');
    return [`setup ${s.nr}`];
  }
  const f = s as FamilyStep;
  switch (f.op) {
    case 'submit':
      return [
        `submit ${ctx(f.ctx)} ${f.nr ?? f.iocbs.length} ${f.iocbs.length} ${f.array === 'unmapped' ? 'u' : 'm'}`,
        ...f.iocbs.flatMap(entryLines),
      ];
    case 'getevents':
      return [
        `getevents ${ctx(f.ctx)} ${f.minNr} ${f.nr} ${events(f.events)} ${timeout(f.timeout)}`,
      ];
    case 'cancel':
      return [`cancel ${ctx(f.ctx)} ${target(f.iocb)} ${f.result === 'null' ? 'n' : 'b'}`];
    case 'fdwrite':
    case 'fdread':
      return [`${f.op} ${fd(f.fd)} ${f.bytes}`];
    default:
      throw new Error(`the family bench stream has no ${s.op} step`);
  }
}

/** One case as stream lines (throws on what the stream has no form for: headroom, seccomp, pgetevents, reap, destroy). */
export function familyCaseLines(c: Case): string[] {
  if (c.headroom !== undefined || c.seccomp !== undefined || c.freshProcess || c.pin)
    throw new Error('the family bench stream has no headroom, seccomp, fresh process or pinning');
  return ['case', ...(c.files ?? []).map(fileLine), ...c.steps.flatMap(stepLines), 'end'];
}

/** The whole stream, as the file bench/c/family.c reads. */
export function familyStream(cases: readonly Case[]): string {
  return `${cases.flatMap(familyCaseLines).join('\n')}\n`;
}
