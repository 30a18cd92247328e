/**
 * Everything an iocb rule may look at, computed once per iocb: the entry's
 * readability, its fields with their defaults, the file its fd names, and the
 * results of the few checks that need arithmetic (ioprio, RWF bits, buffer
 * import). The rules (rules/family-iocb-rules.ts) only read these facts.
 */
import {
  IOCB_CMD,
  IOCB_FLAG_IOPRIO,
  IOCB_FLAG_RESFD,
  IOPRIO_CLASS,
  IOPRIO_CLASS_SHIFT,
  IOVEC_BYTES,
  RWF,
  UIO_MAXIOV,
} from '../abi/iocb.js';
import type { PageSize } from '../ring.js';
import { FAMILY_KERNEL_FACTS, type FamilyKernelFacts } from './kernel.js';
import type { FamilyState, FileState } from './state.js';
import type { BufSpec, FdRef, IocbEntry, IocbSpec } from './steps.js';

/** The lowest kernel address on x86_64 with 4-level paging (TASK_SIZE_MAX rounds to it): access_ok's limit. */
export const USER_ADDRESS_LIMIT = 0x0000_8000_0000_0000n;

const S64_MAX = (1n << 63n) - 1n;
const U32 = 0xffff_ffffn;

/** MAX_RW_COUNT: INT_MAX & PAGE_MASK. */
export function maxRwCount(pageSize: PageSize): bigint {
  return BigInt(0x7fff_ffff & ~(pageSize - 1));
}

/** The file an fd names: one of the case's (with the end of a pipe), or none (a literal fd nothing has open). */
export interface FdTarget {
  readonly index: number;
  readonly file: FileState;
  readonly end: 'read' | 'write' | null;
}

export function resolveFd(fam: FamilyState, ref: FdRef | undefined): FdTarget | null {
  if (ref === undefined || !('file' in ref)) return null;
  const file = fam.files[ref.file];
  if (!file) return null;
  return { index: ref.file, file, end: file.kind === 'pipe' ? (ref.end ?? 'read') : null };
}

/**
 * A literal fd (or aio_resfd left 0): the model assumes 0–2 are open (the
 * worker's stdio, not eventfds) and every other literal is not open.
 */
function literalFdOpen(ref: FdRef | undefined): boolean {
  const n = ref === undefined ? 0 : 'fd' in ref ? ref.fd : -1;
  return n >= 0 && n <= 2;
}

/** What R5 finds when it imports the buffer, and how many bytes the op can then move before a fault. */
export type BufferImport =
  | {
      readonly error: 'buffer-fault' | 'iovec-count' | 'iovec-fault' | 'iov-len' | 'iov-base-fault';
    }
  | { readonly error: null; readonly count: bigint; readonly accessible: bigint };

/** Bytes at an aio_buf before memory the model assumes unmapped (past a fresh buffer, a literal user address). */
function accessibleAt(buf: BufSpec | undefined): bigint {
  if (buf === undefined) return 0n;
  if ('bytes' in buf) return BigInt(buf.bytes);
  if ('iov' in buf) return BigInt(buf.iov.length * IOVEC_BYTES);
  return 0n;
}

function literalAddress(buf: BufSpec | undefined): bigint | null {
  if (buf === undefined) return 0n;
  return 'value' in buf ? buf.value : null;
}

/** access_ok(addr, len): the range lies below the user limit and does not wrap. */
function rangeOk(addr: bigint, len: bigint): boolean {
  return addr + len <= USER_ADDRESS_LIMIT;
}

/** import_ubuf(): clamp to MAX_RW_COUNT, then access_ok on the range only. */
export function importPlain(iocb: IocbSpec, nbytes: bigint, pageSize: PageSize): BufferImport {
  const count = nbytes < maxRwCount(pageSize) ? nbytes : maxRwCount(pageSize);
  const literal = literalAddress(iocb.buf);
  if (literal !== null && !rangeOk(literal, count)) return { error: 'buffer-fault' };
  return { error: null, count, accessible: accessibleAt(iocb.buf) };
}

/** The iovecs an aio_buf holds, as far as the model knows them (base null: a fresh mapped buffer). */
function listedIovecs(buf: BufSpec | undefined): readonly { base: bigint | null; len: bigint }[] {
  if (buf && 'iov' in buf)
    return buf.iov.map((v) => ('bytes' in v ? { base: null, len: BigInt(v.bytes) } : v));
  // A fresh buffer holds the worker's fill pattern: iovecs with a kernel-half base.
  if (buf && 'bytes' in buf)
    return new Array(Math.floor(buf.bytes / IOVEC_BYTES)).fill({
      base: FRESH_BUFFER_WORD,
      len: FRESH_BUFFER_WORD,
    });
  return [];
}

/**
 * __import_iovec(): nr_segs = (u32)aio_nbytes; more than UIO_MAXIOV → EINVAL;
 * copying the array faults → EFAULT (the model assumes memory past the given
 * iovecs, or at a literal/unmapped array address, is unreadable); an iov_len
 * with the sign bit → EINVAL; an iov_base failing access_ok → EFAULT.
 */
export function importVectored(iocb: IocbSpec, nbytes: bigint, pageSize: PageSize): BufferImport {
  const segs = nbytes & U32;
  if (segs > BigInt(UIO_MAXIOV)) return { error: 'iovec-count' };
  const listed = listedIovecs(iocb.buf);
  if (segs > BigInt(listed.length)) return { error: 'iovec-fault' };
  const used = listed.slice(0, Number(segs));
  if (used.some((v) => v.len >> 63n !== 0n)) return { error: 'iov-len' };
  if (used.some((v) => v.base !== null && !rangeOk(v.base, v.len)))
    return { error: 'iov-base-fault' };
  const limit = maxRwCount(pageSize);
  let count = 0n;
  let accessible = 0n;
  let faulted = false;
  for (const v of used) {
    let len = v.len;
    if (len > limit - count) len = limit - count;
    count += len;
    // A fresh buffer is mapped; a literal base is assumed unmapped unless the segment is empty.
    if (!faulted && (v.base === null || len === 0n)) accessible += len;
    else faulted = true;
  }
  return { error: null, count, accessible };
}

/**
 * gVisor's IovecsIOSequence() → copyInIovecs() → makeIovec(): aio_nbytes is
 * the iovec count as it is (count > UIO_MAXIOV is the rule
 * gvisor.iocb-iovec-count); then each iovec in turn is copied (EFAULT), its
 * iov_len checked against MaxInt64 (EINVAL) and its range against the address
 * space (CheckIORange: EFAULT), so the first bad iovec decides, whichever
 * check it fails. Linux copies the whole array before checking any of it.
 */
export function importVectoredGvisor(
  iocb: IocbSpec,
  nbytes: bigint,
  pageSize: PageSize,
): BufferImport {
  if (nbytes > BigInt(UIO_MAXIOV)) return { error: 'iovec-count' };
  const buf = iocb.buf;
  const listed = listedIovecs(buf);
  for (let i = 0n; i < nbytes; i++) {
    const v = listed[Number(i)];
    if (v === undefined) return { error: 'iovec-fault' };
    if (v.len >> 63n !== 0n) return { error: 'iov-len' };
    if (v.base !== null && !rangeOk(v.base, v.len)) return { error: 'iov-base-fault' };
  }
  return importVectored(iocb, nbytes, pageSize);
}

/**
 * ioprio_check_cap(aio_reqprio) as each target does it: null = fine. Without
 * CONFIG_BLOCK it is a stub answering -ENOTBLK for any priority
 * (include/linux/ioprio.h), measured on UML 6.1.192 and 6.12.117.
 */
export function ioprioCheck(
  reqprio: number,
  k: FamilyKernelFacts,
  rtAllowed: boolean,
  blockLayer = true,
): 'EPERM' | 'EINVAL' | 'ENOTBLK' | null {
  if (!blockLayer) return 'ENOTBLK';
  const prio = reqprio | 0; // the s16 sign-extends into an int
  const cls = (prio >> IOPRIO_CLASS_SHIFT) & 0x7;
  const data = k.ioprioHints ? prio & 0x7 : prio & 0x1fff;
  switch (cls) {
    case IOPRIO_CLASS.RT:
      if (!rtAllowed) return 'EPERM';
      return data >= 8 ? 'EINVAL' : null;
    case IOPRIO_CLASS.BE:
      return data >= 8 ? 'EINVAL' : null;
    case IOPRIO_CLASS.IDLE:
      return null;
    case IOPRIO_CLASS.NONE:
      return data !== 0 ? 'EINVAL' : null;
    default:
      return 'EINVAL';
  }
}

/** kiocb_set_rw_flags(): the first RWF problem, in the kernel's order, or null. */
export type RwfProblem = 'unknown' | 'append-conflict' | 'nowait' | 'atomic' | 'dontcache' | null;

/**
 * FMODE_NOWAIT by file kind: pipes since ~6.4, eventfds (5.12's read_iter
 * conversion); not tmpfs regular files nor directories (EOPNOTSUPP measured on
 * 6.18; assumed for 6.1 and 6.12). FMODE_CAN_ATOMIC_WRITE and FOP_DONTCACHE:
 * none of these kinds (EOPNOTSUPP on tmpfs measured on 6.18).
 */
export function rwfProblem(flags: number, file: FileState, k: FamilyKernelFacts): RwfProblem {
  if (flags === 0) return null;
  if ((flags & ~k.rwfSupported) !== 0) return 'unknown';
  if (k.appendConflict && flags & RWF.APPEND && flags & RWF.NOAPPEND) return 'append-conflict';
  if (flags & RWF.NOWAIT) {
    const nowait = file.kind === 'eventfd' || (file.kind === 'pipe' && k.pipeNowait);
    if (!nowait) return 'nowait';
  }
  if (flags & RWF.ATOMIC) return 'atomic';
  if (flags & RWF.DONTCACHE) return 'dontcache';
  return null;
}

export type OpKind = 'read' | 'write' | 'fsync' | 'poll' | 'noop' | 'invalid';

export function opKind(opcode: number): OpKind {
  switch (opcode) {
    case IOCB_CMD.PREAD:
    case IOCB_CMD.PREADV:
      return 'read';
    case IOCB_CMD.PWRITE:
    case IOCB_CMD.PWRITEV:
      return 'write';
    case IOCB_CMD.FSYNC:
    case IOCB_CMD.FDSYNC:
      return 'fsync';
    case IOCB_CMD.POLL:
      return 'poll';
    case IOCB_CMD.NOOP:
      return 'noop';
    default:
      return 'invalid';
  }
}

/**
 * aio_nbytes: as given, else the buffer's size, the iovec count, one page for
 * an unmapped buffer, 0 for a literal (the worker's defaults, real/worker/family.ts).
 */
export function nbytesOf(iocb: IocbSpec, pageSize: PageSize): bigint {
  if (iocb.nbytes !== undefined) return iocb.nbytes;
  const b = iocb.buf;
  if (b && 'bytes' in b) return BigInt(b.bytes);
  if (b && 'iov' in b) return BigInt(b.iov.length);
  if (b && 'unmapped' in b) return BigInt(pageSize);
  return 0n;
}

/**
 * The byte the worker fills fresh buffers with (real/iocb-memory.ts
 * BUFFER_FILL): a fresh buffer read as an iovec array holds iovecs whose base
 * 0x5a5a5a5a5a5a5a5a is a kernel address.
 */
export const FRESH_BUFFER_WORD = 0x5a5a_5a5a_5a5a_5a5an;

/**
 * Why the model cannot be sure of the op's byte count, or null: aio_nbytes
 * larger than a fresh buffer reaches memory whose mapping depends on the
 * worker's allocator.
 */
export function bufferDoubt(iocb: IocbSpec, nbytes: bigint, vectored: boolean): string | null {
  const b = iocb.buf;
  if (vectored || !b || !('bytes' in b) || nbytes <= BigInt(b.bytes)) return null;
  return `aio_nbytes ${nbytes} exceeds the ${b.bytes}-byte buffer: what lies past it depends on the worker's memory layout`;
}

/** The u64 in aio_buf when the model knows it: a literal (0 when absent); null for buffers the worker places. */
export function bufValue(iocb: IocbSpec): bigint | null {
  return literalAddress(iocb.buf);
}

export interface IocbFacts {
  readonly profile: 'linux' | 'gvisor';
  readonly kernel: FamilyKernelFacts;
  /** Reading iocbpp[i] succeeds (the array is mapped and i is inside it: the model assumes nothing readable past its end). */
  readonly pointerReadable: boolean;
  /** The 64-byte iocb the pointer names can be read. */
  readonly iocbReadable: boolean;
  readonly iocb: IocbSpec | null;
  readonly op: OpKind;
  readonly vectored: boolean;
  readonly nbytes: bigint;
  readonly offset: bigint;
  readonly rwFlags: number;
  /** A completion slot could be taken (Linux §6.3; gVisor: fewer than nr_events outstanding). */
  readonly slotFree: boolean;
  readonly target: FdTarget | null;
  readonly fdOpen: boolean;
  readonly resfd: 'none' | 'eventfd' | 'other' | 'closed';
  readonly ioprio: 'EPERM' | 'EINVAL' | 'ENOTBLK' | null;
  readonly rwf: RwfProblem;
  /** The fd was opened for the op's direction (FMODE_READ / FMODE_WRITE). */
  readonly modeOk: boolean;
  /** The file has read_iter (read) / write_iter (write): not directories; eventfds have no write_iter. */
  readonly hasIter: boolean;
  readonly buffer: BufferImport;
  /** rw_verify_area(): pos < 0, or pos + count past S64_MAX. */
  readonly offsetBad: boolean;
  /** FSYNC: any of aio_buf, aio_offset, aio_nbytes, aio_rw_flags non-zero. */
  readonly fsyncFieldsSet: boolean;
  readonly hasFsync: boolean;
  /** POLL: aio_buf (the mask) fits in 16 bits. */
  readonly pollMaskFits: boolean;
  readonly pollFieldsSet: boolean;
  /** POLL on a file without ->poll whose default mask meets none of the request. */
  readonly pollUnmet: boolean;
  /** The context named by io_submit's handle is live (gVisor checks it per iocb). */
  readonly ctxFound: boolean;
  /** Why the op's byte count is not certain (see bufferDoubt), or null. */
  readonly doubt: string | null;
}

function modeOk(t: FdTarget, op: OpKind): boolean {
  const f = t.file;
  if (op !== 'read' && op !== 'write') return true;
  switch (f.kind) {
    case 'file':
      return op === 'read' ? f.mode !== 'w' : f.mode !== 'r';
    case 'pipe':
      return t.end === (op === 'read' ? 'read' : 'write');
    case 'eventfd':
      return true;
    case 'dir':
      return op === 'read';
  }
}

function hasIter(f: FileState, op: OpKind): boolean {
  if (f.kind === 'dir') return false;
  if (f.kind === 'eventfd') return op === 'read';
  return true;
}

/** EPOLLIN|EPOLLOUT|EPOLLRDNORM|EPOLLWRNORM: vfs_poll()'s answer for a file without ->poll. */
export const DEFAULT_POLLMASK = 0x145;
/** EPOLLERR|EPOLLHUP: always added to a POLL request. */
export const POLL_ALWAYS = 0x18;

export function iocbFacts(
  fam: FamilyState,
  pageSize: PageSize,
  entry: IocbEntry | undefined,
  arrayReadable: boolean,
  slotFree: boolean,
  ctxFound: boolean,
): IocbFacts {
  const iocb = entry && 'opcode' in entry ? entry : null;
  const k = FAMILY_KERNEL_FACTS[fam.kernel];
  const op = iocb ? opKind(iocb.opcode) : 'invalid';
  const vectored = iocb?.opcode === IOCB_CMD.PREADV || iocb?.opcode === IOCB_CMD.PWRITEV;
  const nbytes = iocb ? nbytesOf(iocb, pageSize) : 0n;
  const offset = iocb?.offset ?? 0n;
  const rwFlags = iocb?.rwFlags ?? 0;
  const target = iocb ? resolveFd(fam, iocb.fd) : null;
  const resTarget = iocb ? resolveFd(fam, iocb.resfd) : null;
  const flags = iocb?.flags ?? 0;
  const resfd: IocbFacts['resfd'] =
    (flags & IOCB_FLAG_RESFD) === 0
      ? 'none'
      : resTarget
        ? resTarget.file.kind === 'eventfd'
          ? 'eventfd'
          : 'other'
        : literalFdOpen(iocb?.resfd)
          ? 'other'
          : 'closed';
  const buffer: BufferImport = !iocb
    ? { error: null, count: 0n, accessible: 0n }
    : vectored
      ? fam.profile === 'gvisor'
        ? importVectoredGvisor(iocb, nbytes, pageSize)
        : importVectored(iocb, nbytes, pageSize)
      : importPlain(iocb, nbytes, pageSize);
  const count = buffer.error === null ? buffer.count : 0n;
  const value = iocb ? bufValue(iocb) : 0n;
  const requested = value === null ? 0 : Number(value & 0xffffn) | POLL_ALWAYS;
  return {
    profile: fam.profile,
    kernel: k,
    pointerReadable: arrayReadable && entry !== undefined,
    iocbReadable: iocb !== null,
    iocb,
    op,
    vectored,
    nbytes,
    offset,
    rwFlags,
    slotFree,
    target,
    fdOpen: target !== null,
    resfd,
    ioprio:
      iocb && flags & IOCB_FLAG_IOPRIO
        ? ioprioCheck(iocb.reqprio ?? 0, k, fam.rtIoprio, fam.blockLayer)
        : null,
    rwf: target ? rwfProblem(rwFlags, target.file, k) : null,
    modeOk: target ? modeOk(target, op) : false,
    hasIter: target ? hasIter(target.file, op) : false,
    buffer,
    offsetBad: offset < 0n || offset + count > S64_MAX,
    fsyncFieldsSet:
      value === null || value !== 0n || offset !== 0n || nbytes !== 0n || rwFlags !== 0,
    hasFsync: target !== null && (target.file.kind === 'file' || target.file.kind === 'dir'),
    pollMaskFits: value !== null && value >= 0n && value <= 0xffffn,
    pollFieldsSet: offset !== 0n || nbytes !== 0n || rwFlags !== 0,
    pollUnmet:
      target !== null &&
      (target.file.kind === 'file' || target.file.kind === 'dir') &&
      (DEFAULT_POLLMASK & requested) === 0,
    ctxFound,
    doubt: iocb ? bufferDoubt(iocb, nbytes, vectored) : null,
  };
}
