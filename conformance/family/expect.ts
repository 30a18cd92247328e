/**
 * What a generator needs to know of an iocb to collect its event without
 * waiting for nothing: whether it will complete later (FSYNC/FDSYNC on the
 * workqueue, a POLL left pending) or at once. A rough copy of the generic
 * checks (P2, P3, P5, P6, P7, P8, F1, F2, Q1, Q2; aio-family.md §2): only the
 * generators use it, to choose between a zero timeout and a one-second wait.
 * Where it guesses wrong a case waits a second longer, or takes its events
 * later; the judge still compares with the model, which is never this.
 */
import { IOCB_CMD, IOCB_FLAG_RESFD, POLL } from '../../model/abi/iocb.js';
import type { FdRef, FileSpec, IocbSpec } from '../../model/family/steps.js';

export type Completion =
  /** Completes inside io_submit, or fails there: nothing to wait for. */
  | 'now'
  /** FSYNC/FDSYNC accepted: completes on the workqueue. */
  | 'later'
  /** A POLL left pending that a write to its pipe or eventfd completes. */
  | 'poll-wake'
  /** A POLL left pending that nothing in the case will complete (io_cancel ends it). */
  | 'poll-stuck';

const fileOf = (fd: FdRef | undefined, files: readonly FileSpec[]) =>
  fd && 'file' in fd ? files[fd.file] : undefined;

/** The checks every opcode passes first: whether this iocb gets past P2-P8. */
function passesGeneric(i: IocbSpec, files: readonly FileSpec[]): boolean {
  if ((i.reserved2 ?? 0n) !== 0n || (i.nbytes ?? 0n) >= 1n << 63n || i.readonly) return false;
  if (!fileOf(i.fd, files)) return false;
  if ((i.flags ?? 0) & IOCB_FLAG_RESFD && fileOf(i.resfd, files)?.kind !== 'eventfd') return false;
  return true;
}

const unset = (v: bigint | number | undefined) => v === undefined || v === 0 || v === 0n;

export function completion(i: IocbSpec, files: readonly FileSpec[]): Completion {
  if (!passesGeneric(i, files)) return 'now';
  const spec = fileOf(i.fd, files)!;
  if (i.opcode === IOCB_CMD.FSYNC || i.opcode === IOCB_CMD.FDSYNC) {
    const fieldsClear =
      i.buf === undefined && unset(i.offset) && unset(i.nbytes) && unset(i.rwFlags);
    return fieldsClear && (spec.kind === 'file' || spec.kind === 'dir') ? 'later' : 'now';
  }
  if (i.opcode !== IOCB_CMD.POLL) return 'now';
  const mask = i.buf === undefined ? 0n : 'value' in i.buf ? i.buf.value : -1n;
  if (mask < 0n || mask > 0xffffn || !unset(i.offset) || !unset(i.nbytes) || !unset(i.rwFlags))
    return 'now';
  const m = Number(mask);
  const end = 'end' in i.fd ? i.fd.end : undefined;
  if (spec.kind === 'pipe' && end === 'read') {
    const wants = (m & (POLL.IN | POLL.RDNORM)) !== 0;
    if (wants && (spec.fill ?? 0) > 0) return 'now';
    return wants ? 'poll-wake' : 'poll-stuck';
  }
  if (spec.kind === 'pipe') return (m & (POLL.OUT | POLL.WRNORM)) !== 0 ? 'now' : 'poll-stuck';
  if (spec.kind === 'eventfd') {
    if ((m & (POLL.OUT | POLL.WRNORM)) !== 0) return 'now';
    if ((m & POLL.IN) === 0) return 'poll-stuck';
    return (spec.count ?? 0) > 0 ? 'now' : 'poll-wake';
  }
  return 'now'; // no ->poll: the default mask, at once or EINVAL
}
