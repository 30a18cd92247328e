/**
 * What a gVisor AIO request's goroutine puts in its event's res
 * (aio-family.md §8; sys_aio.go getAIOCallback()): fd.PRead / fd.PWrite /
 * fd.Sync on the file, then, on an error, res = -errno of
 * HandleIOError(partial, err) — which is 0 when HandleIOError consumes the
 * error (EOF; EFAULT after a partial transfer). Read from gVisor's VFS
 * (pkg/sentry/vfs/file_description.go, tmpfs regular_file.go, mm/io.go).
 */
import { type ErrnoName, errnoNumber } from '../abi/errno.js';
import type { FileState } from './state.js';

/** What the op sees of its request: direction, bytes after import, bytes mapped, position. */
export interface GvisorRequest {
  readonly op: 'read' | 'write' | 'fsync' | 'noop';
  /** The fd was opened for the op's direction (vfs IsReadable / IsWritable). */
  readonly modeOk: boolean;
  readonly count: bigint;
  readonly accessible: bigint;
  readonly pos: bigint;
}

const S64_MAX = (1n << 63n) - 1n;
const neg = (e: ErrnoName) => -BigInt(errnoNumber(e));

/**
 * Bytes moved into or out of a user range of which `accessible` are mapped:
 * mm's CopyOutFrom / CopyInTo take the internal mappings of the range before
 * the file is touched, so an unmapped first byte is EFAULT whatever the file
 * holds; a fault after some bytes is consumed by HandleIOError (partial) and
 * the event says 0.
 */
function gvisorMoved(want: bigint, accessible: bigint): bigint {
  if (accessible === 0n) return neg('EFAULT');
  return want <= accessible ? want : 0n;
}

/** tmpfs regularFileFD.PRead: 0 bytes → 0; ReadToBlocks stops at EOF (io.EOF, consumed: 0). */
function readTmpfs(f: Extract<FileState, { kind: 'file' }>, r: GvisorRequest): bigint {
  if (r.count === 0n) return 0n;
  if (r.accessible === 0n) return neg('EFAULT');
  const left = f.size > r.pos ? f.size - r.pos : 0n;
  const want = r.count < left ? r.count : left;
  return want === 0n ? 0n : gvisorMoved(want, r.accessible);
}

/** tmpfs regularFileFD.pwrite: 0 bytes → 0; O_APPEND writes at the size; an end past int64 → EINVAL. */
function writeTmpfs(f: Extract<FileState, { kind: 'file' }>, r: GvisorRequest): bigint {
  if (r.count === 0n) return 0n;
  const pos = f.append ? f.size : r.pos;
  if (pos + r.count > S64_MAX) return neg('EINVAL');
  if (r.accessible === 0n) return neg('EFAULT');
  // biome-ignore lint/complexity/useMathMinMax: bigints (Math.min takes numbers)
  const done = r.count <= r.accessible ? r.count : r.accessible;
  if (pos + done > f.size) f.size = pos + done;
  return gvisorMoved(r.count, r.accessible);
}

/** The event's res for a request on `f` (a write mutates f's size, on the working copy). */
export function gvisorResult(f: FileState, r: GvisorRequest): bigint {
  switch (r.op) {
    case 'noop':
      return 0n;
    case 'fsync':
      // tmpfs fileDescription.Sync returns nil; pipes and eventfds keep
      // FileDescriptionDefaultImpl.Sync: EINVAL ("file_operations::fsync == NULL").
      return f.kind === 'file' || f.kind === 'dir' ? 0n : neg('EINVAL');
    case 'read':
    case 'write':
      break;
  }
  // vfs FileDescription.PRead/PWrite: DenyPRead/DenyPWrite (pipes, eventfds) → ESPIPE before the mode check.
  if (f.kind === 'pipe' || f.kind === 'eventfd') return neg('ESPIPE');
  if (!r.modeOk) return neg('EBADF');
  // A directory is read-only (a write failed the mode check): DirectoryFileDescriptionDefaultImpl.PRead.
  if (f.kind === 'dir') return neg('EISDIR');
  return r.op === 'read' ? readTmpfs(f, r) : writeTmpfs(f, r);
}
