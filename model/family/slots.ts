/**
 * Completion-slot accounting of one Linux context (aio-family.md §6.3; fs/aio.c
 * __get_reqs_available, put_reqs_available, refill_reqs_available,
 * user_refill_reqs_available, aio_complete). The functions mutate the pool
 * they are given: callers work on a copy (decide) and keep it (commit).
 */

export interface SlotPool {
  /** ctx->reqs_available: the global pool (starts at N − 1). */
  global: number;
  /** Per-CPU caches (kcpu->reqs_available), index = CPU. */
  readonly cpu: number[];
  /** ctx->req_batch. */
  readonly batch: number;
  /** ctx->completed_events: completions whose slots have not been given back. */
  completed: number;
}

export function newSlotPool(ringNr: number, batch: number, possibleCpus: number): SlotPool {
  return { global: ringNr - 1, cpu: new Array<number>(possibleCpus).fill(0), batch, completed: 0 };
}

export function copySlotPool(p: SlotPool): SlotPool {
  return { global: p.global, cpu: [...p.cpu], batch: p.batch, completed: p.completed };
}

/** __get_reqs_available(): take one slot on `cpu`, refilling its cache by a batch from the pool. */
export function takeSlot(p: SlotPool, cpu: number): boolean {
  if (p.cpu[cpu] === 0) {
    if (p.global < p.batch) return false;
    p.global -= p.batch;
    p.cpu[cpu] = p.batch;
  }
  p.cpu[cpu]! -= 1;
  return true;
}

/** put_reqs_available(): give `n` back on `cpu`; a cache of 2B or more returns batches to the pool. */
export function putSlots(p: SlotPool, cpu: number, n: number): void {
  p.cpu[cpu]! += n;
  while (p.cpu[cpu]! >= 2 * p.batch) {
    p.cpu[cpu]! -= p.batch;
    p.global += p.batch;
  }
}

/**
 * refill_reqs_available(ctx, head, tail): the completions no longer in the ring
 * (completed_events minus the events between head and tail) come back on `cpu`.
 * `head` is the user-visible ring->head (reduced mod N here, as the kernel does).
 */
export function refillSlots(
  p: SlotPool,
  cpu: number,
  ringNr: number,
  head: number,
  tail: number,
): void {
  const h = head % ringNr;
  const inRing = h <= tail ? tail - h : ringNr - (h - tail);
  const given = p.completed > inRing ? p.completed - inRing : 0;
  if (given === 0) return;
  p.completed -= given;
  putSlots(p, cpu, given);
}

/** get_reqs_available(): take a slot, else refill from what userspace reaped (if anything completed) and try once more. */
export function getSlot(
  p: SlotPool,
  cpu: number,
  ringNr: number,
  head: number,
  tail: number,
): boolean {
  if (takeSlot(p, cpu)) return true;
  if (p.completed > 0) refillSlots(p, cpu, ringNr, head, tail);
  return takeSlot(p, cpu);
}

/** aio_complete()'s accounting after the event is in the ring: count it, refill when more than one is counted. */
export function noteCompletion(
  p: SlotPool,
  cpu: number,
  ringNr: number,
  head: number,
  tail: number,
): void {
  p.completed += 1;
  if (p.completed > 1) refillSlots(p, cpu, ringNr, head, tail);
}

/** Make `into` equal to `from` (a copy the caller worked on). */
export function adoptSlotPool(into: SlotPool, from: SlotPool): void {
  into.global = from.global;
  into.completed = from.completed;
  into.cpu.splice(0, into.cpu.length, ...from.cpu);
}
