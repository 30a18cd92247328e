/**
 * What the case does outside the AIO syscalls: user-space reaping of the ring
 * (aio-family.md §6.1, as libaio's harness and fio do it) and plain
 * read(2)/write(2) on the case's pipes and eventfds, which can complete
 * pending POLLs (§2.5).
 */
import { type ErrnoName, errnoName } from '../abi/errno.js';
import type { LiveContext, ProcessState } from '../state.js';
import { wakePolls } from './completion.js';
import { plainRead, plainWrite } from './files.js';
import type { FamilyEnv } from './kernel.js';
import { lookupContext } from './lookup.js';
import {
  copyFamilyState,
  type FamilyState,
  familyContext,
  type PredictedEvent,
  ringEnds,
} from './state.js';
import type { FdRef } from './steps.js';
import { commitFamily, type RingAfter } from './submit.js';

export interface ReapCall {
  readonly ctx: bigint;
  readonly max: number;
}

export interface ReapOutcome {
  readonly call: ReapCall;
  /** Copied from slot head onwards, head advanced by one each (gVisor's zero page: none). */
  readonly events: readonly PredictedEvent[];
  /** False when completions in flight may have landed (then more events may be reaped). */
  readonly exact: boolean;
  readonly ring: RingAfter | null;
  readonly inFlight: number;
  readonly next: FamilyState;
  readonly live: LiveContext | null;
}

/** Reap up to `max` events from user space: read head and tail, copy slot head, store (head + 1) % nr. */
export function decideReap(
  _env: FamilyEnv,
  proc: ProcessState,
  fam: FamilyState,
  call: ReapCall,
): ReapOutcome {
  const work = copyFamilyState(fam);
  // The worker reads the ring mapping at the handle: a live context's ring, whatever its table slot says.
  const live = proc.contexts.get(call.ctx) ?? null;
  const c = live ? familyContext(work, live) : undefined;
  let events: PredictedEvent[] = [];
  if (c && work.profile === 'linux') {
    const n = Math.max(0, Math.min(call.max, c.events.length));
    events = c.events.slice(0, n);
    c.events = c.events.slice(n);
    c.head = (c.head + n) % c.ringNr;
  }
  const flying = c ? c.inFlight.length : 0;
  return {
    call,
    events,
    exact: flying === 0 || events.length === call.max || work.profile === 'gvisor',
    ring: ringEnds(work, c),
    inFlight: flying,
    next: work,
    live: lookupContext(proc, work.profile, call.ctx),
  };
}

export function commitReap(fam: FamilyState, outcome: ReapOutcome): void {
  commitFamily(fam, outcome.next, outcome.live);
}

export interface FdCall {
  readonly fd: FdRef;
  readonly bytes: number;
}

export interface FdOutcome {
  readonly call: FdCall;
  /** Bytes, or -errno (meaningless when wouldBlock is set). */
  readonly ret: number;
  readonly errno: ErrnoName | null;
  /** fdread of an eventfd: the count it returned. */
  readonly value?: bigint;
  readonly wouldBlock: string | null;
  /** POLLs this call completed (their events are in flight, compared under their resMask). */
  readonly woken: number;
  readonly next: FamilyState;
}

function fdOutcome(fam: FamilyState, call: FdCall, write: boolean): FdOutcome {
  const work = copyFamilyState(fam);
  const ref = call.fd;
  const file = 'file' in ref ? work.files[ref.file] : undefined;
  if (!file || !('file' in ref))
    return { call, ret: -9, errno: 'EBADF', wouldBlock: null, woken: 0, next: work };
  // A pipe named without an end is its read end (as for iocbs).
  const end = file.kind === 'pipe' ? (ref.end ?? 'read') : null;
  const before = countPolls(work);
  const r = write
    ? plainWrite(file, end, call.bytes, work.pageSize)
    : plainRead(file, end, call.bytes);
  if ('block' in r) return { call, ret: 0, errno: null, wouldBlock: r.block, woken: 0, next: work };
  const ret = Number(r.res);
  // Only a transfer wakes the file's waiters (pipe_write() returns 0 for 0 bytes before any wake-up;
  // a refused write or read wakes no one).
  if (ret > 0) wakePolls(work, ref.file);
  const value = 'value' in r ? r.value : undefined;
  return {
    call,
    ret,
    errno: ret < 0 ? (errnoName(-ret) ?? null) : null,
    ...(typeof value === 'bigint' ? { value } : {}),
    wouldBlock: null,
    woken: before - countPolls(work),
    next: work,
  };
}

function countPolls(fam: FamilyState): number {
  let n = 0;
  for (const c of fam.contexts.values()) n += c.polls.length;
  return n;
}

/** write(2) on a pipe's write end (bytes) or an eventfd (a u64 1). */
export function decideFdWrite(_env: FamilyEnv, fam: FamilyState, call: FdCall): FdOutcome {
  return fdOutcome(fam, call, true);
}

/** read(2) on a pipe's read end or an eventfd (its count, reset). */
export function decideFdRead(_env: FamilyEnv, fam: FamilyState, call: FdCall): FdOutcome {
  return fdOutcome(fam, call, false);
}

export function commitFd(fam: FamilyState, outcome: FdOutcome): void {
  if (outcome.wouldBlock !== null) return;
  commitFamily(fam, outcome.next, null);
}
