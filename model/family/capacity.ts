/**
 * How many requests a context holds before io_submit answers EAGAIN
 * (aio-family.md §6.2, §6.3; fs/aio.c ioctx_alloc, __get_reqs_available,
 * put_reqs_available). Pure arithmetic on the io_setup argument, the
 * possible CPUs and the page size.
 */
import { linuxRingGeometry, type PageSize } from '../ring.js';

export interface FamilyCapacity {
  /** ring->nr (= ctx->nr_events): io_submit clamps nr to it; the slot pool starts at N − 1. */
  readonly ringNr: number;
  /** req_batch: slots a CPU moves between the global pool and its cache at once. */
  readonly batch: number;
  /** K: successful submissions from one pinned CPU, nothing reaped, before EAGAIN. */
  readonly pinned: number;
  /** L: the fewest submitted-and-unreaped requests before EAGAIN, wherever completions run (= K with one CPU). */
  readonly lowerBound: number;
}

/** ioctx_alloc(): nr_events = max(nr, num_possible_cpus()*4) * 2, then aio_setup_ring(). */
export function familyRingNr(nrEvents: number, possibleCpus: number, pageSize: PageSize): number {
  const ne = 2 * Math.max(nrEvents, 4 * possibleCpus);
  return linuxRingGeometry(ne, pageSize).nr;
}

/** ioctx_alloc(): req_batch = (nr_events - 1) / (num_possible_cpus() * 4), at least 1. */
export function familyBatch(ringNr: number, possibleCpus: number): number {
  return Math.max(1, Math.floor((ringNr - 1) / (4 * possibleCpus)));
}

export function familyCapacity(
  nrEvents: number,
  possibleCpus: number,
  pageSize: PageSize,
): FamilyCapacity {
  const ringNr = familyRingNr(nrEvents, possibleCpus, pageSize);
  const batch = familyBatch(ringNr, possibleCpus);
  const pool = ringNr - 1;
  // The pinned CPU takes whole batches while the pool holds one; the remainder stays in the pool.
  const pinned = pool - (pool % batch);
  // Every other CPU may strand up to 2B − 1 slots in its cache, the pool up to B − 1.
  // With one CPU there is no other cache and the pool's remainder is fixed: the bound is K.
  const lowerBound =
    possibleCpus === 1 ? pinned : pool - (possibleCpus - 1) * (2 * batch - 1) - (batch - 1);
  return { ringNr, batch, pinned, lowerBound };
}
