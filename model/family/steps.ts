/**
 * The vocabulary of the rest of the AIO family, as data: the files a case
 * opens, the iocbs it submits and the calls it makes (io_submit, io_getevents,
 * io_pgetevents, io_cancel, user-space reaping, write/read on its pipes and
 * eventfds). Everything is named symbolically (file #i, the setup step whose
 * context is meant, iocb #k of submit step s), so the model can predict a call
 * without knowing the addresses a real process used, and the real backend
 * (which has identical wire types in real/family-protocol.ts) resolves the
 * names to its own fds and memory. u64/s64 fields are bigint.
 */

/**
 * A file a case opens before its first step, named by its index in
 * `Case.files` (closed when the case ends). Only kinds an unprivileged worker
 * can make deterministic: regular files in a private tmpfs directory, pipes,
 * eventfds, and a directory (which has no read_iter).
 */
export type FileSpec =
  /** A regular tmpfs file holding `size` bytes of a known pattern (byte i = i & 0xff), opened with `mode`. */
  | {
      readonly kind: 'file';
      readonly mode: 'r' | 'w' | 'rw';
      readonly size?: number;
      readonly append?: boolean;
    }
  /** A pipe: two fds, `{file, end: 'read'}` and `{file, end: 'write'}`; `fill` bytes already in it. */
  | { readonly kind: 'pipe'; readonly nonblock?: boolean; readonly fill?: number }
  /** An eventfd with this initial count (u32 here; the kernel's is u64). */
  | { readonly kind: 'eventfd'; readonly count?: number; readonly nonblock?: boolean }
  /** A directory opened O_RDONLY (no read_iter/write_iter). */
  | { readonly kind: 'dir' };

/** An fd as an iocb names it: one of the case's files, or a literal u32 (0xffffffff, or one nothing has open). */
export type FdRef =
  | { readonly file: number; readonly end?: 'read' | 'write' }
  | { readonly fd: number };

/** The context a call is given: the one setup step `setup` of this case made, or a literal address. */
export type CtxRef = { readonly setup: number } | { readonly address: string };

/** An iovec of a vectored iocb: a fresh buffer, or literal base and length. */
export type IovSpec = { readonly bytes: number } | { readonly base: bigint; readonly len: bigint };

/** aio_buf: a fresh buffer, a literal u64 (a POLL mask, 0, a kernel address), unmapped memory, or an iovec array. */
export type BufSpec =
  | { readonly bytes: number }
  | { readonly value: bigint }
  | { readonly unmapped: true }
  | { readonly iov: readonly IovSpec[] };

/** One struct iocb, field by field (absent fields are 0, except as noted). */
export interface IocbSpec {
  /** aio_lio_opcode (u16). */
  readonly opcode: number;
  /** aio_fildes. */
  readonly fd: FdRef;
  /** aio_data (u64), returned verbatim in the event. */
  readonly data?: bigint;
  /** aio_key as the caller leaves it (u32): a non-zero value shows whether io_submit wrote KIOCB_KEY. */
  readonly key?: number;
  /** aio_rw_flags (u32, RWF_*). */
  readonly rwFlags?: number;
  /** aio_reqprio (s16). */
  readonly reqprio?: number;
  readonly buf?: BufSpec;
  /** aio_nbytes (u64); absent: the buffer's size, or the iovec count. */
  readonly nbytes?: bigint;
  /** aio_offset (s64). */
  readonly offset?: bigint;
  /** aio_reserved2 (u64). */
  readonly reserved2?: bigint;
  /** aio_flags (u32, IOCB_FLAG_*). */
  readonly flags?: number;
  /** aio_resfd (with IOCB_FLAG_RESFD). */
  readonly resfd?: FdRef;
  /** The iocb sits in a read-only page: readable, but aio_key cannot be written back (EFAULT). */
  readonly readonly?: boolean;
}

/** An entry of io_submit's iocbpp array: an iocb, a NULL pointer, or a pointer to nothing. */
export type IocbEntry = IocbSpec | { readonly null: true } | { readonly unmapped: true };

/** A timeout pointer: NULL, unmapped, or a struct __kernel_timespec (s64 fields, not validated by Linux). */
export type TimeoutSpec = 'null' | 'unmapped' | { readonly sec: bigint; readonly nsec: bigint };

/** io_pgetevents' 6th argument: NULL, unmapped, or { sigmask, sigsetsize }. */
export type SigSpec =
  | 'null'
  | 'unmapped'
  | {
      /** The sigmask pointer: NULL, unmapped, or a mask blocking nothing / only SIGUSR1. */
      readonly mask: 'null' | 'unmapped' | 'empty' | 'block-usr1';
      /** sigsetsize (u64 in the kernel; 8 is right on x86_64 and arm64). */
      readonly size: bigint;
    };

/** Where io_getevents writes events: a buffer for `nr` of them (default), NULL, unmapped, or read-only. */
export type EventsSpec = 'buffer' | 'null' | 'unmapped' | 'readonly';

/** The iocb io_cancel is given. */
export type CancelTarget =
  /** Iocb `index` of submit step `submit` (the same memory the kernel saw). */
  | { readonly submitted: number; readonly index: number }
  | { readonly null: true }
  | { readonly unmapped: true }
  /** An iocb never submitted, as given. */
  | { readonly fresh: IocbSpec };

export type FamilyStep =
  /** io_submit(ctx, nr, iocbpp); `nr` defaults to iocbs.length (it is a long: may be negative or larger). */
  | {
      readonly op: 'submit';
      readonly ctx: CtxRef;
      readonly nr?: number;
      readonly iocbs: readonly IocbEntry[];
      /** iocbpp itself unmapped (the entries are then never readable). */
      readonly array?: 'unmapped';
    }
  /** io_getevents(ctx, min_nr, nr, events, timeout); timeout defaults to {0, 0}. */
  | {
      readonly op: 'getevents';
      readonly ctx: CtxRef;
      readonly minNr: number;
      readonly nr: number;
      readonly events?: EventsSpec;
      readonly timeout?: TimeoutSpec;
    }
  /** io_pgetevents(ctx, min_nr, nr, events, timeout, usig); usig defaults to NULL. */
  | {
      readonly op: 'pgetevents';
      readonly ctx: CtxRef;
      readonly minNr: number;
      readonly nr: number;
      readonly events?: EventsSpec;
      readonly timeout?: TimeoutSpec;
      readonly sig?: SigSpec;
      /** SIGUSR1 blocked and raised before the call (a handler counts it): the deterministic EINTR recipe. */
      readonly pendingUsr1?: boolean;
    }
  /** io_cancel(ctx, iocb, result); `result` NULL or (default) a buffer whose contents are checked untouched. */
  | {
      readonly op: 'cancel';
      readonly ctx: CtxRef;
      readonly iocb: CancelTarget;
      readonly result?: 'null';
    }
  /** User-space reaping as libaio's harness and fio do it: copy slot head, store head+1 mod nr, up to `max`. */
  | { readonly op: 'reap'; readonly ctx: CtxRef; readonly max: number }
  /** write(2) of `bytes` bytes to a pipe's write end, or of a u64 1 to an eventfd (bytes 8). */
  | { readonly op: 'fdwrite'; readonly fd: FdRef; readonly bytes: number }
  /** read(2) of up to `bytes` bytes (an eventfd: its 8-byte count, which resets it). */
  | { readonly op: 'fdread'; readonly fd: FdRef; readonly bytes: number };

export type FamilyOp = FamilyStep['op'];

/** An event as observed, with `obj` named symbolically when it is one of the case's iocbs. */
export interface EventObs {
  readonly data: bigint;
  /** Iocb `index` of submit step `submitted`, or the raw pointer value when it is none of ours. */
  readonly obj: { readonly submitted: number; readonly index: number } | { readonly raw: bigint };
  readonly res: bigint;
  readonly res2: bigint;
}
