/**
 * Whether a case could make the worker block (aio-family.md §9): a read of an
 * empty blocking pipe or eventfd inside io_submit or read(2), a write to a
 * blocking pipe that may be full, a pwrite to a blocking eventfd (its value
 * could overflow the count), or an io_getevents that may wait forever or for
 * long. Conservative: without the model it cannot tell which iocbs fail
 * before they reach the file, so it assumes each one may, and keeps a lower
 * and an upper bound of what every pipe and eventfd holds.
 */
import { IOCB_CMD, RWF } from '../../model/abi/iocb.js';
import type {
  FdRef,
  FileSpec,
  IocbEntry,
  IocbSpec,
  TimeoutSpec,
} from '../../model/family/steps.js';
import type { Case } from '../cases.js';
import { PIPE_CAPACITY } from './case-steps.js';

/** The longest wait a generated or table case may ask io_getevents for. */
export const LONGEST_WAIT_NS = 1_000_000_000n;

interface Level {
  lo: number;
  hi: number;
}

const READS: ReadonlySet<number> = new Set([IOCB_CMD.PREAD, IOCB_CMD.PREADV]);
const WRITES: ReadonlySet<number> = new Set([IOCB_CMD.PWRITE, IOCB_CMD.PWRITEV]);

/** Bytes an iocb moves, as far as the case says (a literal buffer: its nbytes). */
/**
 * The worker's aio_nbytes for an unmapped buffer given none: one page. Counted as the largest page
 * size here, which only makes the pipe levels below more cautious.
 */
const UNMAPPED_DEFAULT_BYTES = 65_536;

function bytesOf(i: IocbSpec): number {
  const b = i.buf;
  if (b && 'bytes' in b) return i.nbytes === undefined ? b.bytes : Number(i.nbytes);
  // pipe_read() sleeps for data before it copies any: an unmapped buffer blocks like any other.
  if (b && 'unmapped' in b)
    return i.nbytes === undefined ? UNMAPPED_DEFAULT_BYTES : Number(i.nbytes);
  if (b && 'iov' in b)
    return b.iov.reduce((n, v) => n + ('bytes' in v ? v.bytes : Number(v.len)), 0);
  return Number(i.nbytes ?? 0n);
}

function waitProblem(minNr: number, t: TimeoutSpec | undefined): string | null {
  if (minNr <= 0 || t === undefined || t === 'unmapped') return null;
  if (t === 'null') return `min_nr ${minNr} with a NULL timeout can wait forever`;
  // ktime_set() in s64, as the kernel computes the relative expiry.
  const ns = BigInt.asIntN(64, t.sec * 1_000_000_000n + t.nsec);
  // A relative expiry in the past is clamped to KTIME_MAX by ktime_add_safe() (hrtimer_start_range_ns):
  // the call waits for ever (seen on 6.18: {0, -1} with nothing to take hung the worker).
  if (ns < 0n) return `a negative timeout (${ns} ns) never expires`;
  return ns > LONGEST_WAIT_NS ? `a timeout of ${ns} ns can wait longer than 1 s` : null;
}

/** Why a case could block its worker, or null. */
export function wouldBlock(c: Case): string | null {
  const files: readonly FileSpec[] = c.files ?? [];
  const levels = files.map((f): Level => {
    const n = f.kind === 'pipe' ? (f.fill ?? 0) : f.kind === 'eventfd' ? (f.count ?? 0) : 0;
    return { lo: n, hi: n };
  });
  const blocking = (fd: FdRef): FileSpec | null => {
    if (!('file' in fd)) return null;
    const spec = files[fd.file];
    if (!spec || (spec.kind !== 'pipe' && spec.kind !== 'eventfd') || spec.nonblock) return null;
    return spec;
  };
  const level = (fd: FdRef) => levels[(fd as { file: number }).file]!;

  const iocbProblem = (i: IocbSpec): string | null => {
    if (i.resfd && 'file' in i.resfd && files[i.resfd.file]?.kind === 'eventfd')
      level(i.resfd).hi += 1;
    const spec = blocking(i.fd);
    if (!spec || ((i.rwFlags ?? 0) & RWF.NOWAIT) !== 0) return null;
    const end = 'end' in i.fd ? i.fd.end : undefined;
    const n = bytesOf(i);
    const l = level(i.fd);
    if (READS.has(i.opcode) && (spec.kind === 'eventfd' || end === 'read')) {
      if (n > 0 && l.lo === 0) return `a read of an empty blocking ${spec.kind} blocks io_submit`;
      l.lo = spec.kind === 'eventfd' ? 0 : Math.max(0, l.lo - n);
    }
    if (WRITES.has(i.opcode) && spec.kind === 'eventfd')
      return 'a pwrite to a blocking eventfd could block io_submit (its value could overflow the count)';
    if (WRITES.has(i.opcode) && end === 'write') {
      if (l.hi + n > PIPE_CAPACITY)
        return 'a write to a blocking pipe that may be full blocks io_submit';
      l.hi += n;
    }
    return null;
  };
  const entryProblem = (e: IocbEntry) => ('opcode' in e ? iocbProblem(e) : null);

  for (const [k, s] of c.steps.entries()) {
    let problem: string | null = null;
    if (s.op === 'submit') {
      for (const e of s.iocbs) problem ??= entryProblem(e);
    } else if ((s.op === 'getevents' || s.op === 'pgetevents') && 'setup' in s.ctx)
      // A literal address is no context of this process: EINVAL before any wait.
      problem = waitProblem(s.minNr, s.timeout ?? { sec: 0n, nsec: 0n });
    else if (s.op === 'fdwrite' || s.op === 'fdread') {
      const spec = blocking(s.fd);
      const l = 'file' in s.fd ? levels[s.fd.file] : undefined;
      const end = 'end' in s.fd ? s.fd.end : undefined;
      if (l && spec?.kind === 'eventfd') {
        if (s.op === 'fdread' && l.lo === 0) problem = 'read(2) of an eventfd whose count may be 0';
        if (s.op === 'fdread') {
          l.lo = 0;
          l.hi = 0;
        } else {
          l.lo += 1;
          l.hi += 1;
        }
      } else if (l && spec?.kind === 'pipe') {
        if (s.op === 'fdread' && end === 'read') {
          if (s.bytes > 0 && l.lo === 0) problem = 'read(2) of a pipe that may be empty';
          l.lo = Math.max(0, l.lo - s.bytes);
        } else if (s.op === 'fdwrite' && end === 'write') {
          if (l.hi + s.bytes > PIPE_CAPACITY) problem = 'write(2) to a pipe that may be full';
          l.lo += s.bytes;
          l.hi += s.bytes;
        }
      }
      // A non-blocking pipe or eventfd never blocks: its level does not matter.
    }
    if (problem !== null) return `steps[${k}]: ${problem}`;
  }
  return null;
}
