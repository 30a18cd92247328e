/**
 * What the case's files do when read, written or polled: tmpfs regular files,
 * pipes, eventfds, a directory. Each function mutates the FileState it is
 * given (a copy, during decide) and returns the syscall-style result.
 */
import { errnoNumber } from '../abi/errno.js';
import { POLL, RWF } from '../abi/iocb.js';
import { pipeBytes, pipeFull, pipeRead, pipeWrite } from './pipe.js';
import type { FileState } from './state.js';

/** A result of read_iter/write_iter/read/write: bytes or -errno; or "would block" (never predicted). */
export type IoResult = { readonly res: bigint } | { readonly block: string };

const neg = (e: 'EFAULT' | 'EAGAIN' | 'EINVAL' | 'EFBIG' | 'EBADF' | 'EISDIR') => ({
  res: -BigInt(errnoNumber(e)),
});
const S64_MAX = (1n << 63n) - 1n;
const EVENTFD_MAX = 0xffff_ffff_ffff_fffen;

/** The ready mask vfs_poll() gives for a file end; null: the file has no ->poll (DEFAULT_POLLMASK, nothing queued). */
export function readyMask(f: FileState, end: 'read' | 'write' | null): number | null {
  switch (f.kind) {
    case 'file':
    case 'dir':
      return null;
    case 'pipe':
      // pipe_poll(): each end queues one waitqueue (rd_wait / wr_wait).
      if (end === 'write') return pipeFull(f.bufs) ? 0 : POLL.OUT | POLL.WRNORM;
      return f.bufs.length > 0 ? POLL.IN | POLL.RDNORM : 0;
    case 'eventfd':
      return (f.count > 0n ? POLL.IN : 0) | (f.count < EVENTFD_MAX ? POLL.OUT : 0);
  }
}

/** How an op reaches the file: the count after import, the bytes readable/writable before a fault, the flags. */
export interface IoRequest {
  readonly count: bigint;
  readonly accessible: bigint;
  readonly pos: bigint;
  readonly rwFlags: number;
}

/** Bytes moved when `want` are asked for and `accessible` are mapped: all, a short count, or -EFAULT. */
function moved(want: bigint, accessible: bigint): IoResult {
  if (want <= accessible) return { res: want };
  return accessible > 0n ? { res: accessible } : neg('EFAULT');
}

/** read_iter of one file end. */
export function readFile(f: FileState, req: IoRequest): IoResult {
  const nowait = (req.rwFlags & RWF.NOWAIT) !== 0;
  switch (f.kind) {
    case 'file': {
      // shmem_file_read_iter: bytes up to EOF; a fault before any byte is -EFAULT.
      const left = f.size > req.pos ? f.size - req.pos : 0n;
      const want = req.count < left ? req.count : left;
      return want === 0n ? { res: 0n } : moved(want, req.accessible);
    }
    case 'pipe': {
      // pipe_read(): 0 bytes asked → 0; empty → -EAGAIN (O_NONBLOCK / IOCB_NOWAIT) or sleep.
      if (req.count === 0n) return { res: 0n };
      if (f.bufs.length === 0) {
        if (f.nonblock || nowait) return neg('EAGAIN');
        return { block: 'read of an empty blocking pipe sleeps in pipe_read()' };
      }
      const avail = BigInt(pipeBytes(f.bufs));
      const want = req.count < avail ? req.count : avail;
      // A fault while copying the first buffer leaves the data in the pipe and returns -EFAULT.
      if (want > req.accessible) return neg('EFAULT');
      return { res: BigInt(pipeRead(f.bufs, Number(want))) };
    }
    case 'eventfd': {
      // eventfd_read(): fewer than 8 bytes → -EINVAL; count 0 → -EAGAIN or sleep; else 8, count reset.
      if (req.count < 8n) return neg('EINVAL');
      if (f.count === 0n) {
        if (f.nonblock || nowait) return neg('EAGAIN');
        return { block: 'read of an eventfd whose count is 0 sleeps in eventfd_read()' };
      }
      f.count = 0n;
      // The count is consumed before copy_to_iter(): a fault loses it.
      return req.accessible >= 8n ? { res: 8n } : neg('EFAULT');
    }
    case 'dir':
      return neg('EINVAL');
  }
}

/** write_iter of one file end (eventfds have none: R4 stops them first). */
export function writeFile(
  f: FileState,
  req: IoRequest,
  appendFd: boolean,
  pageSize: number,
): IoResult {
  switch (f.kind) {
    case 'file': {
      // IOCB_APPEND (O_APPEND or RWF_APPEND, unless RWF_NOAPPEND) writes at EOF whatever aio_offset says.
      const append =
        (appendFd || (req.rwFlags & RWF.APPEND) !== 0) && (req.rwFlags & RWF.NOAPPEND) === 0;
      const pos = append ? f.size : req.pos;
      if (req.count === 0n) return { res: 0n };
      if (pos >= S64_MAX) return neg('EFBIG');
      const r = moved(req.count, req.accessible);
      if ('res' in r && r.res > 0n && pos + r.res > f.size) f.size = pos + r.res;
      return r;
    }
    case 'pipe': {
      // pipe_write(): 0 bytes → 0; page buffers while slots are free; full → -EAGAIN or sleep.
      if (req.count === 0n) return { res: 0n };
      // A source that faults before any byte is copied: -EFAULT, nothing written.
      if (req.accessible === 0n) return neg('EFAULT');
      // Copying stops at the first unmapped byte (a short write).
      const n = Math.min(Number(req.count), Number(req.accessible));
      const nonblock = f.nonblock || (req.rwFlags & RWF.NOWAIT) !== 0;
      const w = pipeWrite(f.bufs, n, pageSize, nonblock);
      if ('block' in w)
        return { block: 'write to a blocking pipe without room sleeps in pipe_write()' };
      if ('eagain' in w) return neg('EAGAIN');
      return { res: BigInt(w.written) };
    }
    case 'eventfd':
    case 'dir':
      return neg('EINVAL');
  }
}

/** write(2) of `bytes` on an fd: a pipe's write end, or a u64 1 to an eventfd. */
export function plainWrite(
  f: FileState,
  end: 'read' | 'write' | null,
  bytes: number,
  pageSize: number,
): IoResult {
  if (f.kind === 'eventfd') {
    if (bytes < 8) return neg('EINVAL');
    if (f.count + 1n > EVENTFD_MAX) {
      if (f.nonblock) return neg('EAGAIN');
      return { block: 'eventfd write past its maximum count sleeps' };
    }
    f.count += 1n;
    return { res: 8n };
  }
  // vfs_write(): `if (!(file->f_mode & FMODE_WRITE)) return -EBADF;` before anything else: a
  // file opened O_RDONLY and a directory (opened O_RDONLY) refuse a write(2) with EBADF.
  if ((f.kind === 'file' && f.mode === 'r') || f.kind === 'dir') return neg('EBADF');
  if (f.kind === 'pipe') {
    if (end !== 'write') return { res: -BigInt(errnoNumber('EBADF')) };
    return writeFile(
      f,
      { count: BigInt(bytes), accessible: BigInt(bytes), pos: 0n, rwFlags: 0 },
      false,
      pageSize,
    );
  }
  return writeFile(
    f,
    { count: BigInt(bytes), accessible: BigInt(bytes), pos: 0n, rwFlags: 0 },
    f.kind === 'file' && f.append,
    pageSize,
  );
}

/** read(2) of up to `bytes` bytes; an eventfd gives its count (returned as `value`). */
export function plainRead(
  f: FileState,
  end: 'read' | 'write' | null,
  bytes: number,
): IoResult & { readonly value?: bigint } {
  if (f.kind === 'eventfd') {
    const value = f.count;
    const r = readFile(f, { count: BigInt(bytes), accessible: BigInt(bytes), pos: 0n, rwFlags: 0 });
    return 'res' in r && r.res === 8n ? { ...r, value } : r;
  }
  if (f.kind === 'pipe' && end !== 'read') return { res: -BigInt(errnoNumber('EBADF')) };
  // vfs_read(): FMODE_READ first (EBADF for a file opened O_WRONLY); a directory's read is
  // generic_read_dir(), which answers -EISDIR.
  if (f.kind === 'file' && f.mode === 'w') return neg('EBADF');
  if (f.kind === 'dir') return neg('EISDIR');
  return readFile(f, { count: BigInt(bytes), accessible: BigInt(bytes), pos: 0n, rwFlags: 0 });
}
