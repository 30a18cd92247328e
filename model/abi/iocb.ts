/**
 * The rest of the AIO family's ABI (include/uapi/linux/aio_abi.h): struct iocb,
 * struct io_event, the opcodes and flags, and the few constants io_submit,
 * io_getevents, io_pgetevents and io_cancel read. Kernel facts, shared by the
 * model and the real backend (which builds iocbs in its own memory from them).
 * Little-endian layout (x86_64, arm64): aio_key before aio_rw_flags.
 */

/** sizeof(struct iocb). */
export const IOCB_BYTES = 64;

/** Byte offsets of struct iocb's fields (little-endian order of aio_key/aio_rw_flags). */
export const IOCB_OFFSETS = {
  data: 0, // u64 aio_data: returned verbatim in io_event.data
  key: 8, // u32 aio_key: the kernel writes KIOCB_KEY (0) here at submit
  rwFlags: 12, // u32 aio_rw_flags: RWF_* (was aio_reserved1 before 4.13)
  opcode: 16, // u16 aio_lio_opcode
  reqprio: 18, // s16 aio_reqprio: read only with IOCB_FLAG_IOPRIO
  fildes: 20, // u32 aio_fildes
  buf: 24, // u64 aio_buf: buffer, iovec array, or (POLL) the event mask
  nbytes: 32, // u64 aio_nbytes: bytes, or the iovec count
  offset: 40, // s64 aio_offset
  reserved2: 48, // u64 aio_reserved2: must be 0
  flags: 56, // u32 aio_flags: IOCB_FLAG_*
  resfd: 60, // u32 aio_resfd: the eventfd signalled with IOCB_FLAG_RESFD
} as const;

/** IOCB_CMD_*: 4 (PREADX) was never merged and 6 (NOOP) has no case in io_submit_one (EINVAL). */
export const IOCB_CMD = {
  PREAD: 0,
  PWRITE: 1,
  FSYNC: 2,
  FDSYNC: 3,
  POLL: 5,
  NOOP: 6,
  PREADV: 7,
  PWRITEV: 8,
} as const;

export type IocbOpcodeName = keyof typeof IOCB_CMD;

/** aio_flags bits; unknown bits are ignored by Linux (no check exists). */
export const IOCB_FLAG_RESFD = 1;
export const IOCB_FLAG_IOPRIO = 2;

/** The value io_submit writes to aio_key (fs/aio.c KIOCB_KEY), and io_cancel requires there. */
export const KIOCB_KEY = 0;

/** sizeof(struct io_event): data, obj, res, res2 (u64, u64, s64, s64). */
export const IO_EVENT_OFFSETS = { data: 0, obj: 8, res: 16, res2: 24 } as const;

/** sizeof(struct iovec) on 64-bit: iov_base, iov_len. */
export const IOVEC_BYTES = 16;
/** UIO_MAXIOV: the most iovecs one call takes. */
export const UIO_MAXIOV = 1024;
/** MAX_RW_COUNT with 4 KiB pages: INT_MAX rounded down to a page. */
export const MAX_RW_COUNT_4K = 0x7fff_f000;

/** RWF_* bits of aio_rw_flags (include/uapi/linux/fs.h), with the release that added each. */
export const RWF = {
  HIPRI: 0x01, // 4.6
  DSYNC: 0x02, // 4.7
  SYNC: 0x04, // 4.7
  NOWAIT: 0x08, // 4.14
  APPEND: 0x10, // 4.16
  NOAPPEND: 0x20, // 6.9
  ATOMIC: 0x40, // 6.11
  DONTCACHE: 0x80, // 6.14
} as const;

/** poll(2) bits a POLL iocb asks for in aio_buf (16 bits; EPOLLERR and EPOLLHUP are always added). */
export const POLL = {
  IN: 0x001,
  PRI: 0x002,
  OUT: 0x004,
  ERR: 0x008,
  HUP: 0x010,
  NVAL: 0x020,
  RDNORM: 0x040,
  RDBAND: 0x080,
  WRNORM: 0x100,
  WRBAND: 0x200,
} as const;

/** sizeof(sigset_t) in the kernel (_NSIG/8) on x86_64 and arm64: io_pgetevents' sigsetsize must equal it. */
export const KERNEL_SIGSET_BYTES = 8;
/** io_pgetevents' 6th argument: { const sigset_t *sigmask; size_t sigsetsize; } on 64-bit. */
export const AIO_SIGSET_BYTES = 16;
/** struct __kernel_timespec: tv_sec s64, tv_nsec s64 (io_getevents reads 16 bytes). */
export const TIMESPEC_BYTES = 16;

/** ioprio classes in the top 3 bits of a 16-bit priority (include/uapi/linux/ioprio.h). */
export const IOPRIO_CLASS = { NONE: 0, RT: 1, BE: 2, IDLE: 3 } as const;
export const IOPRIO_CLASS_SHIFT = 13;
