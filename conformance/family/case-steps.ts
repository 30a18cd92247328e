/**
 * The AIO family's case steps (model/family/steps.ts) as JSON: parsed and
 * validated field by field with one-line errors naming the field, and
 * described as the C calls they make. u64/s64 fields travel as decimal
 * strings (or JSON numbers while exact); s64 fields may be negative.
 * References are checked here: a context names an earlier setup step, an
 * io_cancel target an iocb of an earlier submit step, an fd a file of the case.
 */
import { IOCB_CMD } from '../../model/abi/iocb.js';
import type {
  BufSpec,
  CancelTarget,
  CtxRef,
  FamilyOp,
  FamilyStep,
  FdRef,
  FileSpec,
  IocbEntry,
  IocbSpec,
  IovSpec,
  SigSpec,
  TimeoutSpec,
} from '../../model/family/steps.js';

export const FAMILY_OPS: readonly FamilyOp[] = [
  'submit',
  'getevents',
  'pgetevents',
  'cancel',
  'reap',
  'fdwrite',
  'fdread',
];

export function isFamilyOp(op: unknown): op is FamilyOp {
  return FAMILY_OPS.includes(op as FamilyOp);
}

/** A step as the family parser sees the steps before it: only `op` and, for submits, the iocbs. */
export type EarlierStep =
  | { readonly op: 'submit'; readonly iocbs: readonly IocbEntry[] }
  | { readonly op: string };

/** The most bytes one buffer, pipe fill or fd read/write may ask for (the worker allocates them). */
export const MAX_BUFFER_BYTES = 1 << 24;
/** Pipe capacity with 4 KiB pages (16 buffers): a fill beyond it would block the worker's write. */
export const PIPE_CAPACITY = 65_536;
/** The most iovecs a case may spell out (UIO_MAXIOV + 1 is the interesting edge; more is noise). */
export const MAX_IOVECS = 1025;
/** The most iocbs one submit step may list. */
export const MAX_IOCBS = 4096;
/**
 * Literal fds must be at least this: negative as an int, so no process can
 * have them open (a small literal fd could be the worker's own protocol pipe).
 */
export const LITERAL_FD_MIN = 0x8000_0000;

const U64_MAX = (1n << 64n) - 1n;
const S64_MIN = -(1n << 63n);
const S64_MAX = (1n << 63n) - 1n;

function fail(what: string): never {
  throw new Error(`case: ${what}`);
}

type Obj = Record<string, unknown>;

function obj(v: unknown, what: string, expected: string): Obj {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(`${what} must be ${expected}`);
  return v as Obj;
}

/** Refuse fields nobody reads: a misspelt field would otherwise be silently 0. */
function only(o: Obj, allowed: readonly string[], what: string): void {
  const extra = Object.keys(o).find((k) => !allowed.includes(k));
  if (extra !== undefined) fail(`${what} has an unknown field "${extra}"`);
}

function int(v: unknown, what: string, min: number, max: number, kind: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    fail(`${what} must be ${kind}`);
  return v;
}

const u16 = (v: unknown, what: string) => int(v, what, 0, 0xffff, 'a u16');
const s16 = (v: unknown, what: string) => int(v, what, -0x8000, 0x7fff, 'an s16');
const u32 = (v: unknown, what: string) => int(v, what, 0, 0xffff_ffff, 'a u32');
const nat = (v: unknown, what: string, max: number) =>
  int(v, what, 0, max, `an integer from 0 to ${max}`);
/** A C long (io_submit's nr, io_getevents' min_nr and nr): any exact integer, negative included. */
const long = (v: unknown, what: string) =>
  int(v, what, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 'an integer');

function bigint(v: unknown, what: string, min: bigint, max: bigint, kind: string): bigint {
  if (
    (typeof v === 'number' && Number.isSafeInteger(v)) ||
    (typeof v === 'string' && /^-?(0|[1-9][0-9]*)$/.test(v) && v !== '-0')
  ) {
    const n = BigInt(v);
    if (n >= min && n <= max) return n;
  }
  return fail(`${what} must be ${kind}`);
}

const u64 = (v: unknown, what: string) =>
  bigint(v, what, 0n, U64_MAX, 'a u64 (number, or decimal string)');
const s64 = (v: unknown, what: string) =>
  bigint(v, what, S64_MIN, S64_MAX, 'an s64 (number, or decimal string, maybe negative)');

function bool(v: unknown, what: string): boolean {
  if (typeof v !== 'boolean') fail(`${what} must be true or false`);
  return v;
}

function oneOf<T extends string>(v: unknown, values: readonly T[], what: string): T {
  if (!values.includes(v as T)) fail(`${what} must be one of ${values.join(', ')}`);
  return v as T;
}

/** Copy the optional fields present, each through its parser. */
function optionals<T>(o: Obj, parsers: { [K in keyof T]?: (v: unknown) => T[K] }): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, parse] of Object.entries(parsers) as [keyof T, (v: unknown) => never][])
    if (o[k as string] !== undefined) out[k] = parse(o[k as string]);
  return out;
}

// ---- files -------------------------------------------------------------------------------

const FILE_KINDS = ['file', 'pipe', 'eventfd', 'dir'] as const;

export function parseFiles(v: unknown): FileSpec[] {
  if (!Array.isArray(v)) fail('files must be an array');
  if (v.length > 64) fail('files may list at most 64 files');
  return v.map((raw, i) => parseFile(raw, `files[${i}]`));
}

function parseFile(raw: unknown, what: string): FileSpec {
  const o = obj(raw, what, 'an object with a kind (file, pipe, eventfd, dir)');
  const kind = oneOf(o.kind, FILE_KINDS, `${what}.kind`);
  if (kind === 'file') {
    only(o, ['kind', 'mode', 'size', 'append'], what);
    return {
      kind,
      mode: oneOf(o.mode, ['r', 'w', 'rw'] as const, `${what}.mode`),
      ...optionals<{ size: number; append: boolean }>(o, {
        size: (x) => nat(x, `${what}.size`, MAX_BUFFER_BYTES),
        append: (x) => bool(x, `${what}.append`),
      }),
    };
  }
  if (kind === 'pipe') {
    only(o, ['kind', 'nonblock', 'fill'], what);
    return {
      kind,
      ...optionals<{ nonblock: boolean; fill: number }>(o, {
        nonblock: (x) => bool(x, `${what}.nonblock`),
        fill: (x) => nat(x, `${what}.fill`, PIPE_CAPACITY),
      }),
    };
  }
  if (kind === 'eventfd') {
    only(o, ['kind', 'count', 'nonblock'], what);
    return {
      kind,
      ...optionals<{ count: number; nonblock: boolean }>(o, {
        count: (x) => u32(x, `${what}.count`),
        nonblock: (x) => bool(x, `${what}.nonblock`),
      }),
    };
  }
  only(o, ['kind'], what);
  return { kind };
}

// ---- references --------------------------------------------------------------------------

interface Scope {
  readonly files: readonly FileSpec[];
  readonly before: readonly EarlierStep[];
}

function parseFd(raw: unknown, what: string, scope: Scope): FdRef {
  const o = obj(raw, what, '{file} or {fd}');
  if ('fd' in o) {
    only(o, ['fd'], what);
    const fd = u32(o.fd, `${what}.fd`);
    if (fd < LITERAL_FD_MIN)
      fail(
        `${what}.fd ${fd} could be open in the worker: a literal fd must be at least 0x80000000 (negative as an int, never open); name a file of the case instead`,
      );
    return { fd };
  }
  only(o, ['file', 'end'], what);
  const file = u32(o.file, `${what}.file`);
  const spec = scope.files[file];
  if (!spec) fail(`${what}.file ${file} is not one of the case's ${scope.files.length} files`);
  if (spec.kind === 'pipe') {
    const end = oneOf(o.end, ['read', 'write'] as const, `${what}.end (file ${file} is a pipe)`);
    return { file, end };
  }
  if (o.end !== undefined) fail(`${what}.end is only for pipes (file ${file} is a ${spec.kind})`);
  return { file };
}

const HEX_OR_DECIMAL = /^(0x[0-9a-fA-F]+|[0-9]+)$/;

function parseCtx(raw: unknown, what: string, scope: Scope): CtxRef {
  const o = obj(raw, what, '{setup} or {address}');
  if ('setup' in o) {
    only(o, ['setup'], what);
    const setup = u32(o.setup, `${what}.setup`);
    if (scope.before[setup]?.op !== 'setup')
      fail(`${what} refers to step ${setup}, which is not an earlier setup`);
    return { setup };
  }
  only(o, ['address'], what);
  if (typeof o.address !== 'string' || !HEX_OR_DECIMAL.test(o.address))
    fail(`${what}.address must be a decimal or 0x string`);
  if (BigInt(o.address) > U64_MAX) fail(`${what}.address ${o.address} is above 2^64-1`);
  return { address: o.address };
}

// ---- iocbs -------------------------------------------------------------------------------

function parseIov(raw: unknown, what: string): IovSpec {
  const o = obj(raw, what, '{bytes} or {base, len}');
  if ('bytes' in o) {
    only(o, ['bytes'], what);
    return { bytes: nat(o.bytes, `${what}.bytes`, MAX_BUFFER_BYTES) };
  }
  only(o, ['base', 'len'], what);
  return { base: u64(o.base, `${what}.base`), len: u64(o.len, `${what}.len`) };
}

function parseBuf(raw: unknown, what: string): BufSpec {
  const o = obj(raw, what, '{bytes}, {value}, {unmapped: true} or {iov: [...]}');
  if ('bytes' in o) {
    only(o, ['bytes'], what);
    return { bytes: nat(o.bytes, `${what}.bytes`, MAX_BUFFER_BYTES) };
  }
  if ('value' in o) {
    only(o, ['value'], what);
    return { value: u64(o.value, `${what}.value`) };
  }
  if ('unmapped' in o) {
    only(o, ['unmapped'], what);
    if (o.unmapped !== true) fail(`${what}.unmapped must be true`);
    return { unmapped: true };
  }
  only(o, ['iov'], what);
  if (!Array.isArray(o.iov)) fail(`${what} must be {bytes}, {value}, {unmapped: true} or {iov}`);
  if (o.iov.length > MAX_IOVECS) fail(`${what}.iov may list at most ${MAX_IOVECS} iovecs`);
  return { iov: o.iov.map((x, k) => parseIov(x, `${what}.iov[${k}]`)) };
}

const IOCB_FIELDS = [
  'opcode',
  'fd',
  'data',
  'key',
  'rwFlags',
  'reqprio',
  'buf',
  'nbytes',
  'offset',
  'reserved2',
  'flags',
  'resfd',
  'readonly',
] as const;

export function parseIocb(raw: unknown, what: string, scope: Scope): IocbSpec {
  const o = obj(raw, what, 'an iocb (an object with opcode and fd)');
  only(o, IOCB_FIELDS, what);
  return {
    opcode: u16(o.opcode, `${what}.opcode`),
    fd: parseFd(o.fd, `${what}.fd`, scope),
    ...optionals<IocbSpec>(o, {
      data: (x) => u64(x, `${what}.data`),
      key: (x) => u32(x, `${what}.key`),
      rwFlags: (x) => u32(x, `${what}.rwFlags`),
      reqprio: (x) => s16(x, `${what}.reqprio`),
      buf: (x) => parseBuf(x, `${what}.buf`),
      nbytes: (x) => u64(x, `${what}.nbytes`),
      offset: (x) => s64(x, `${what}.offset`),
      reserved2: (x) => u64(x, `${what}.reserved2`),
      flags: (x) => u32(x, `${what}.flags`),
      resfd: (x) => parseFd(x, `${what}.resfd`, scope),
      readonly: (x) => bool(x, `${what}.readonly`),
    }),
  };
}

function parseEntry(raw: unknown, what: string, scope: Scope): IocbEntry {
  const o = obj(raw, what, 'an iocb, {null: true} or {unmapped: true}');
  if ('null' in o || 'unmapped' in o) {
    const key = 'null' in o ? 'null' : 'unmapped';
    only(o, [key], what);
    if (o[key] !== true) fail(`${what}.${key} must be true`);
    return key === 'null' ? { null: true } : { unmapped: true };
  }
  return parseIocb(o, what, scope);
}

// ---- the other arguments -----------------------------------------------------------------

function parseTimeout(raw: unknown, what: string): TimeoutSpec {
  if (raw === 'null' || raw === 'unmapped') return raw;
  const o = obj(raw, what, '"null", "unmapped" or {sec, nsec}');
  only(o, ['sec', 'nsec'], what);
  return { sec: s64(o.sec, `${what}.sec`), nsec: s64(o.nsec, `${what}.nsec`) };
}

const MASKS = ['null', 'unmapped', 'empty', 'block-usr1'] as const;

function parseSig(raw: unknown, what: string): SigSpec {
  if (raw === 'null' || raw === 'unmapped') return raw;
  const o = obj(raw, what, '"null", "unmapped" or {mask, size}');
  only(o, ['mask', 'size'], what);
  return { mask: oneOf(o.mask, MASKS, `${what}.mask`), size: u64(o.size, `${what}.size`) };
}

const EVENTS = ['buffer', 'null', 'unmapped', 'readonly'] as const;

function parseCancelTarget(raw: unknown, what: string, scope: Scope): CancelTarget {
  const o = obj(raw, what, '{submitted, index}, {null: true}, {unmapped: true} or {fresh}');
  if ('fresh' in o) {
    only(o, ['fresh'], what);
    return { fresh: parseIocb(o.fresh, `${what}.fresh`, scope) };
  }
  if ('null' in o || 'unmapped' in o) return parseEntry(o, what, scope) as CancelTarget;
  only(o, ['submitted', 'index'], what);
  const submitted = u32(o.submitted, `${what}.submitted`);
  const index = u32(o.index, `${what}.index`);
  const s = scope.before[submitted];
  if (s?.op !== 'submit')
    fail(`${what} refers to step ${submitted}, which is not an earlier submit`);
  const entry = (s as unknown as { iocbs: readonly IocbEntry[] }).iocbs[index];
  if (!entry || 'null' in entry || 'unmapped' in entry)
    fail(`${what} refers to entry ${index} of step ${submitted}, which is not an iocb`);
  return { submitted, index };
}

/** The ops whose fd must be a pipe or an eventfd of the case (write(2)/read(2) on anything else is not a family step). */
function ioFd(raw: unknown, what: string, scope: Scope): FdRef {
  const fd = parseFd(raw, what, scope);
  const kind = 'file' in fd ? scope.files[fd.file]!.kind : 'literal';
  if (kind !== 'pipe' && kind !== 'eventfd')
    fail(`${what} must name a pipe or an eventfd of the case (not a ${kind})`);
  return fd;
}

/** Parse family step `i` (its op already known to be a family op), checking its references. */
export function parseFamilyStep(
  s: Obj,
  i: number,
  files: readonly FileSpec[],
  before: readonly EarlierStep[],
): FamilyStep {
  const at = `steps[${i}]`;
  const scope: Scope = { files, before };
  const ctx = () => parseCtx(s.ctx, `${at}.ctx`, scope);
  switch (s.op as FamilyOp) {
    case 'submit': {
      only(s, ['op', 'ctx', 'nr', 'iocbs', 'array'], at);
      if (!Array.isArray(s.iocbs)) fail(`${at}.iocbs must be an array`);
      if (s.iocbs.length > MAX_IOCBS) fail(`${at}.iocbs may list at most ${MAX_IOCBS} entries`);
      return {
        op: 'submit',
        ctx: ctx(),
        ...(s.nr === undefined ? {} : { nr: long(s.nr, `${at}.nr`) }),
        iocbs: s.iocbs.map((x, k) => parseEntry(x, `${at}.iocbs[${k}]`, scope)),
        ...(s.array === undefined ? {} : { array: oneOf(s.array, ['unmapped'], `${at}.array`) }),
      };
    }
    case 'getevents':
    case 'pgetevents': {
      const pg = s.op === 'pgetevents';
      only(
        s,
        ['op', 'ctx', 'minNr', 'nr', 'events', 'timeout', ...(pg ? ['sig', 'pendingUsr1'] : [])],
        at,
      );
      const common = {
        ctx: ctx(),
        minNr: long(s.minNr, `${at}.minNr`),
        nr: long(s.nr, `${at}.nr`),
        ...(s.events === undefined ? {} : { events: oneOf(s.events, EVENTS, `${at}.events`) }),
        ...(s.timeout === undefined ? {} : { timeout: parseTimeout(s.timeout, `${at}.timeout`) }),
      };
      if (!pg) return { op: 'getevents', ...common };
      return {
        op: 'pgetevents',
        ...common,
        ...(s.sig === undefined ? {} : { sig: parseSig(s.sig, `${at}.sig`) }),
        ...(s.pendingUsr1 === undefined
          ? {}
          : { pendingUsr1: bool(s.pendingUsr1, `${at}.pendingUsr1`) }),
      };
    }
    case 'cancel':
      only(s, ['op', 'ctx', 'iocb', 'result'], at);
      return {
        op: 'cancel',
        ctx: ctx(),
        iocb: parseCancelTarget(s.iocb, `${at}.iocb`, scope),
        ...(s.result === undefined ? {} : { result: oneOf(s.result, ['null'], `${at}.result`) }),
      };
    case 'reap':
      only(s, ['op', 'ctx', 'max'], at);
      return { op: 'reap', ctx: ctx(), max: nat(s.max, `${at}.max`, 1 << 20) };
    case 'fdwrite':
    case 'fdread':
      only(s, ['op', 'fd', 'bytes'], at);
      return {
        op: s.op as 'fdwrite' | 'fdread',
        fd: ioFd(s.fd, `${at}.fd`, scope),
        bytes: nat(s.bytes, `${at}.bytes`, MAX_BUFFER_BYTES),
      };
  }
  return fail(`${at}.op ${String(s.op)} is not a family op`);
}

// ---- describing --------------------------------------------------------------------------

const OPCODE_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(IOCB_CMD).map(([name, n]) => [n, name.toLowerCase()]),
);

const hex = (n: number | bigint) => `0x${n.toString(16)}`;

export function describeFd(fd: FdRef): string {
  if ('fd' in fd) return `fd ${hex(fd.fd)}`;
  return `f${fd.file}${fd.end === undefined ? '' : fd.end === 'read' ? '.r' : '.w'}`;
}

function describeCtx(c: CtxRef): string {
  return 'setup' in c ? `#${c.setup}` : c.address;
}

function describeBuf(b: BufSpec): string {
  if ('bytes' in b) return `${b.bytes}`;
  if ('value' in b) return hex(b.value);
  if ('unmapped' in b) return 'unmapped';
  return `[${b.iov.map((v) => ('bytes' in v ? `${v.bytes}` : `${hex(v.base)}:${v.len}`)).join(', ')}]`;
}

const RW_OPS: ReadonlySet<number> = new Set([
  IOCB_CMD.PREAD,
  IOCB_CMD.PWRITE,
  IOCB_CMD.PREADV,
  IOCB_CMD.PWRITEV,
]);

/** `pread(f0, 4096@0)`, `poll(f1.r, 0x1)`, `op9(f0, rw=0x8, data=7)`: non-default fields as name=value. */
export function describeIocb(i: IocbSpec): string {
  const args = [describeFd(i.fd)];
  if (RW_OPS.has(i.opcode)) args.push(`${i.buf ? describeBuf(i.buf) : 'NULL'}@${i.offset ?? 0n}`);
  else {
    if (i.buf)
      args.push(i.opcode === IOCB_CMD.POLL ? describeBuf(i.buf) : `buf=${describeBuf(i.buf)}`);
    if (i.offset !== undefined) args.push(`off=${i.offset}`);
  }
  const extra: [string, unknown, (v: never) => string][] = [
    ['nbytes', i.nbytes, String],
    ['data', i.data, String],
    ['key', i.key, hex],
    ['rw', i.rwFlags, hex],
    ['prio', i.reqprio, String],
    ['res2', i.reserved2, String],
    ['flags', i.flags, hex],
    ['resfd', i.resfd, describeFd],
  ];
  for (const [name, v, show] of extra)
    if (v !== undefined) args.push(`${name}=${show(v as never)}`);
  if (i.readonly) args.push('read-only');
  return `${OPCODE_NAMES.get(i.opcode) ?? `op${i.opcode}`}(${args.join(', ')})`;
}

function describeEntry(e: IocbEntry): string {
  if ('null' in e) return 'NULL';
  if ('unmapped' in e) return 'unmapped';
  return describeIocb(e);
}

function describeTimeout(t: TimeoutSpec | undefined): string {
  if (t === undefined) return '0s';
  if (t === 'null') return 'NULL';
  if (t === 'unmapped') return 'unmapped';
  return t.nsec === 0n ? `${t.sec}s` : `${t.sec}s${t.nsec < 0n ? '' : '+'}${t.nsec}ns`;
}

function describeSig(s: SigSpec): string {
  return typeof s === 'string' ? (s === 'null' ? 'NULL' : s) : `{${s.mask}, ${s.size}}`;
}

export function describeFamilyStep(s: FamilyStep): string {
  switch (s.op) {
    case 'submit': {
      const array =
        s.array === 'unmapped' ? 'unmapped' : `[${s.iocbs.map(describeEntry).join(', ')}]`;
      return `io_submit(${describeCtx(s.ctx)}, ${s.nr ?? s.iocbs.length}, ${array})`;
    }
    case 'getevents':
    case 'pgetevents': {
      const args = [describeCtx(s.ctx), s.minNr, s.nr];
      if (s.events !== undefined && s.events !== 'buffer') args.push(`events=${s.events}`);
      args.push(describeTimeout(s.timeout));
      if (s.op === 'getevents') return `io_getevents(${args.join(', ')})`;
      const call = `io_pgetevents(${[...args, describeSig(s.sig ?? 'null')].join(', ')})`;
      return s.pendingUsr1 ? `${call} with SIGUSR1 pending` : call;
    }
    case 'cancel': {
      const t = s.iocb;
      const target =
        'submitted' in t
          ? `iocb ${t.index} of #${t.submitted}`
          : 'fresh' in t
            ? describeIocb(t.fresh)
            : 'null' in t
              ? 'NULL'
              : 'unmapped';
      return `io_cancel(${describeCtx(s.ctx)}, ${target}${s.result === 'null' ? ', NULL' : ''})`;
    }
    case 'reap':
      return `reap(${describeCtx(s.ctx)}, ${s.max})`;
    case 'fdwrite':
      return `write(${describeFd(s.fd)}, ${s.bytes})`;
    case 'fdread':
      return `read(${describeFd(s.fd)}, ${s.bytes})`;
  }
}

export function describeFile(f: FileSpec, i: number): string {
  const opts: string[] = [];
  if (f.kind === 'file') {
    opts.push(f.mode);
    if (f.size !== undefined) opts.push(`${f.size}`);
    if (f.append) opts.push('append');
  } else if (f.kind === 'pipe') {
    if (f.nonblock) opts.push('nonblock');
    if (f.fill !== undefined) opts.push(`fill ${f.fill}`);
  } else if (f.kind === 'eventfd') {
    if (f.count !== undefined) opts.push(`${f.count}`);
    if (f.nonblock) opts.push('nonblock');
  }
  return `f${i}=${f.kind}${opts.length > 0 ? `(${opts.join(', ')})` : ''}`;
}
