/**
 * An io_setup call whose K-th kernel allocation is made to fail (fault
 * injection: /proc/thread-self/fail-nth): what the model allows the call to
 * do. The model cannot know which allocation the K-th is, so it allows what
 * a failure at each site in the call's state would do, plus the calls where
 * the kernel absorbs the failure, as observed on Linux 6.12 (see ABSORBED).
 */
import type { AllocSite, Environment } from './env.js';
import type { SetupRuleId } from './rules/rule-ids.js';

/** The sites in the order ioctx_alloc() allocates: the kioctx first, then the ring, the table last. */
export const ALLOC_SITES: readonly AllocSite[] = ['ioctx', 'ring', 'table'];

/**
 * Where a failed allocation does not fail io_setup: the kernel retries it or
 * does without, and the call ends as if nothing had failed. Observed under UML
 * with Linux 6.12 (the faults suite): a one-page ring made 9 allocations, a
 * ring of 10 pages 20 of which 2 were absorbed, a process's first context one
 * more (absorbed), and the teardown after a faulting final write one (absorbed).
 * The causes below are read from the source, not traced allocation by
 * allocation: the model allows an absorbed failure at any K.
 */
export const ABSORBED: readonly string[] = [
  'lib/xarray.c: an xarray node allocated under the page-cache lock with GFP_NOWAIT is retried without the lock by xas_nomem() (the ring file of a multi-page ring, filemap_add_folio())',
  'a page fault the calling thread takes between arming fail-nth and the call (its first touch of a page) counts as an allocation, and the fault is retried when it fails: observed as allocation #1 absorbed once, then ENOMEM when the same case ran again',
  "io_setup(): kill_ioctx() after the final write faulted: the teardown allocates, and its failure is not reported (vm_munmap()'s return is ignored)",
];

/**
 * The environments a call failing its K-th allocation may have been decided
 * in: one per site that allocation may belong to, and (null site) the call
 * as if nothing failed, where the failure was absorbed or the call made
 * fewer than K allocations (`reached` false).
 */
export function faultEnvironments(env: Environment, reached: boolean): readonly Environment[] {
  const untouched = { ...env, failAlloc: null };
  if (!reached) return [untouched];
  return [...ALLOC_SITES.map((site) => ({ ...env, failAlloc: site })), untouched];
}

/**
 * Calls whose failure may leave their ring mapped when an allocation fails
 * after the result is decided: the result is the rule's, but the process
 * keeps the ring. After the final write faulted, kill_ioctx() unmaps the
 * ring with vm_munmap() and ignores what it returns (fs/aio.c); on Linux 6.1
 * that unmapping allocates (mm/mmap.c do_mas_align_munmap():
 * mas_preallocate(GFP_KERNEL), else -ENOMEM) and, when the allocation fails,
 * leaves the ring mapped. Observed under UML with Linux 6.1.192 (the faults
 * suite: allocations #10 and #11 of the call on a read-only ctx_idp); 6.12
 * absorbs the same failure (ABSORBED).
 */
export const RING_MAY_STAY: ReadonlySet<SetupRuleId> = new Set(['setup.ctx-write-fault']);
