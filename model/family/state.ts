/**
 * The family's state beside ProcessState: per context (keyed by the ring
 * handle) the ring's events, head and tail, the slot pool, the requests still
 * pending; and the case's files (pipes, eventfds, tmpfs files, a directory).
 * Mutable like ProcessState; decide* work on a copy, commit* keep it.
 */

import type { LiveContext } from '../state.js';
import { familyBatch } from './capacity.js';
import type { FamilyEnv, FamilyKernel } from './kernel.js';
import { kernelOf } from './kernel.js';
import { type PipeBuffer, pipeWrite } from './pipe.js';
import { copySlotPool, newSlotPool, type SlotPool } from './slots.js';
import type { EventObs, FileSpec } from './steps.js';

/** An event as the model predicts it. */
export interface PredictedEvent extends EventObs {
  /** false: its place relative to other events is timing-dependent (compare as a multiset). */
  readonly ordered: boolean;
  /** Compare only `res & resMask` (a POLL's requested ∪ {ERR, HUP}); null: compare res exactly. */
  readonly resMask: bigint | null;
}

/** A completion that will happen at an unknown time soon (workqueue FSYNC, woken or cancelled POLL). */
export interface InFlight {
  readonly event: PredictedEvent;
  /** The eventfd (file index) to signal on completion (IOCB_FLAG_RESFD), or null. */
  readonly resfd: number | null;
}

/** A POLL queued on a file's waitqueue, on ctx->active_reqs (cancellable). */
export interface PendingPoll {
  readonly obj: { readonly submitted: number; readonly index: number };
  readonly data: bigint;
  /** Demangled mask | EPOLLERR | EPOLLHUP. */
  readonly requested: number;
  readonly file: number;
  readonly end: 'read' | 'write' | null;
  readonly resfd: number | null;
}

export interface CtxFamily {
  readonly handle: bigint;
  /** ring->nr (Linux); nr_events (gVisor, whose capacity it is). */
  readonly ringNr: number;
  /** ring->head and the kernel tail (= ring->tail), u32 values mod ringNr. */
  head: number;
  tail: number;
  /** The events between head and tail, oldest first. */
  events: PredictedEvent[];
  inFlight: InFlight[];
  polls: PendingPoll[];
  readonly pool: SlotPool;
}

export type FileState =
  | {
      readonly kind: 'file';
      readonly mode: 'r' | 'w' | 'rw';
      size: bigint;
      readonly append: boolean;
    }
  | { readonly kind: 'pipe'; bufs: PipeBuffer[]; readonly nonblock: boolean }
  | { readonly kind: 'eventfd'; count: bigint; readonly nonblock: boolean }
  | { readonly kind: 'dir' };

export interface FamilyState {
  readonly profile: 'linux' | 'gvisor';
  readonly kernel: FamilyKernel;
  readonly possibleCpus: number;
  /** CAP_SYS_NICE/CAP_SYS_ADMIN (R1). */
  readonly rtIoprio: boolean;
  /** CONFIG_BLOCK (R1: without it every IOCB_FLAG_IOPRIO is ENOTBLK). */
  readonly blockLayer: boolean;
  /** The submitter is pinned to one CPU (the EAGAIN boundary is exact). */
  readonly pinned: boolean;
  /** PAGE_SIZE (pipe buffers are pages). */
  readonly pageSize: number;
  files: FileState[];
  contexts: Map<bigint, CtxFamily>;
  /** aio_key of each submitted iocb afterwards, by `${submitStep}:${index}` (what io_cancel reads). */
  keys: Map<string, number>;
}

export function iocbKey(submitted: number, index: number): string {
  return `${submitted}:${index}`;
}

/** The CPU the submitting worker is pinned to; every completion is taken to run there too. */
export const SUBMIT_CPU = 0;

function fileState(f: FileSpec, pageSize: number): FileState {
  switch (f.kind) {
    case 'file':
      return { kind: 'file', mode: f.mode, size: BigInt(f.size ?? 0), append: f.append ?? false };
    case 'pipe': {
      // The worker fills a pipe with one non-blocking write(2) into the empty pipe.
      const bufs: PipeBuffer[] = [];
      pipeWrite(bufs, f.fill ?? 0, pageSize, true);
      return { kind: 'pipe', bufs, nonblock: f.nonblock ?? false };
    }
    case 'eventfd':
      return { kind: 'eventfd', count: BigInt(f.count ?? 0), nonblock: f.nonblock ?? false };
    case 'dir':
      return { kind: 'dir' };
  }
}

export function newFamilyState(env: FamilyEnv, files: readonly FileSpec[]): FamilyState {
  return {
    profile: env.profile === 'gvisor' ? 'gvisor' : 'linux',
    kernel: kernelOf(env),
    possibleCpus: env.possibleCpus,
    rtIoprio: env.rtIoprio ?? false,
    blockLayer: env.blockLayer ?? true,
    pinned: env.pinned ?? true,
    pageSize: env.pageSize,
    files: files.map((f) => fileState(f, env.pageSize)),
    contexts: new Map(),
    keys: new Map(),
  };
}

/** The family view of a live context, made on first use (a fresh ring: head = tail = 0, full pool). */
export function familyContext(fam: FamilyState, live: LiveContext): CtxFamily {
  const known = fam.contexts.get(live.handle);
  if (known) return known;
  const ringNr = fam.profile === 'gvisor' ? live.nrEvents : live.ring.nr;
  const batch = familyBatch(Math.max(ringNr, 1), fam.possibleCpus);
  const made: CtxFamily = {
    handle: live.handle,
    ringNr,
    head: live.header.head % Math.max(ringNr, 1),
    tail: live.header.tail % Math.max(ringNr, 1),
    events: [],
    inFlight: [],
    polls: [],
    pool: newSlotPool(ringNr, batch, fam.possibleCpus),
  };
  fam.contexts.set(live.handle, made);
  return made;
}

/**
 * The context is gone (io_destroy, or the kernel's teardown): its ring, slots
 * and pending requests go with it.
 */
export function dropFamilyContext(fam: FamilyState, handle: bigint): void {
  fam.contexts.delete(handle);
}

/** Requests held by a context: events not yet reaped, completions in flight, POLLs pending. */
export function heldRequests(c: CtxFamily): number {
  return c.events.length + c.inFlight.length + c.polls.length;
}

function copyFile(f: FileState): FileState {
  return f.kind === 'pipe' ? { ...f, bufs: f.bufs.map((b) => ({ ...b })) } : { ...f };
}

function copyCtx(c: CtxFamily): CtxFamily {
  return {
    ...c,
    events: [...c.events],
    inFlight: [...c.inFlight],
    polls: [...c.polls],
    pool: copySlotPool(c.pool),
  };
}

/** A deep copy: decide* simulate on it, and the outcome carries it for commit*. */
export function copyFamilyState(fam: FamilyState): FamilyState {
  return {
    ...fam,
    files: fam.files.map(copyFile),
    contexts: new Map([...fam.contexts].map(([k, c]) => [k, copyCtx(c)])),
    keys: new Map(fam.keys),
  };
}

/** Take `next` (an outcome's state) as the current one. */
export function replaceFamilyState(fam: FamilyState, next: FamilyState): void {
  fam.files = next.files.map(copyFile);
  fam.contexts = new Map([...next.contexts].map(([k, c]) => [k, copyCtx(c)]));
  fam.keys = new Map(next.keys);
}

/** The ring ends a caller reads: Linux's head/tail; gVisor's zero page never changes. */
export function ringEnds(
  fam: FamilyState,
  c: CtxFamily | undefined,
): { head: number; tail: number } | null {
  if (!c) return null;
  if (fam.profile === 'gvisor') return { head: 0, tail: 0 };
  return { head: c.head, tail: c.tail };
}
