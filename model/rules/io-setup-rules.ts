/**
 * io_setup(2), as an ordered table of rules. The order of a profile's list is
 * the order of the checks in the kernel; here they are kept in Linux's order.
 *
 * Linux (v4.14+, fs/aio.c):
 *   SYSCALL_DEFINE2(io_setup) -> get_user(ctx) -> `ctx || nr_events == 0`
 *   -> ioctx_alloc(): ne = 2*max(nr, 4C); ne > 0x800000; !ne || nr > aio_max_nr;
 *      allocations; aio_setup_ring() (pages, mmap_lock, do_mmap);
 *      aio_nr + nr > aio_max_nr; ioctx_add_table()
 *   -> put_user(ctx->user_id) (on fault: kill_ioctx(), -EFAULT)
 */

import { INTERNAL_LIMIT_NE } from '../abi/limits.js';
import type { SetupFacts } from '../setup-facts.js';
import type { Rule } from './rule.js';
import type { SetupRuleId } from './rule-ids.js';
import { seccompRule } from './seccomp-rules.js';

export type { SetupRuleId };

type SetupRule = Rule<SetupRuleId, SetupFacts>;

export const SETUP_RULES: Readonly<Record<SetupRuleId, SetupRule>> = {
  'seccomp.kill-process': seccompRule('seccomp.kill-process', 'kill-process'),
  'seccomp.kill-thread': seccompRule('seccomp.kill-thread', 'kill-thread'),
  'seccomp.trap': seccompRule('seccomp.trap', 'trap'),
  'seccomp.errno': seccompRule('seccomp.errno', 'errno', true),
  'seccomp.user-notif': seccompRule('seccomp.user-notif', 'user-notif'),
  'seccomp.trace': seccompRule('seccomp.trace', 'trace'),
  'kernel.no-aio': {
    id: 'kernel.no-aio',
    errno: 'ENOSYS',
    when: 'the kernel was built without CONFIG_AIO, so io_setup is sys_ni_syscall',
    source: {
      man: 'io_setup(2) ERRORS: ENOSYS (the man page says "not implemented on this architecture"; it is the kernel configuration)',
      linux: 'kernel/sys_ni.c COND_SYSCALL(io_setup); init/Kconfig config AIO',
    },
    needs: ['no-aio'],
    decides: (f) => !f.env.aioCompiled,
  },
  'setup.ctx-fault': {
    id: 'setup.ctx-fault',
    errno: 'EFAULT',
    when: 'reading the 8-byte aio_context_t at ctx_idp faults (NULL, unmapped, kernel-half, or straddling into an inaccessible page)',
    source: {
      man: 'io_setup(2) ERRORS: EFAULT "An invalid pointer is passed for ctx_idp"',
      linux: 'io_setup(): ret = get_user(ctx, ctxp)',
      gvisor: 'sys_aio.go IoSetup: primitive.CopyUint64In(t, idAddr, &idIn)',
    },
    decides: (f) => !f.ctx.readable,
  },
  'setup.ctx-nonzero': {
    id: 'setup.ctx-nonzero',
    errno: 'EINVAL',
    when: '*ctx_idp is not 0 (only "is zero" is checked, never whether a context exists)',
    source: {
      man: 'io_setup(2) ERRORS: EINVAL "ctx_idp is not initialized"',
      linux: 'io_setup(): if (unlikely(ctx || nr_events == 0)) ret = -EINVAL',
      gvisor: 'sys_aio.go IoSetup: if idIn != 0 { return EINVAL }',
    },
    decides: (f) => f.ctx.readable && f.ctx.holds === 'nonzero',
  },
  'setup.nr-zero': {
    id: 'setup.nr-zero',
    errno: 'EINVAL',
    when: 'nr_events is 0',
    source: {
      man: 'io_setup(2) ERRORS: EINVAL "nr_events should be greater than 0"',
      linux: 'io_setup(): if (unlikely(ctx || nr_events == 0)) ret = -EINVAL',
    },
    decides: (f) => f.call.nrEvents === 0,
  },
  'setup.internal-limit': {
    id: 'setup.internal-limit',
    errno: 'EINVAL',
    when: `ne = 2*max(nr_events, 4*CPUs) in u32 exceeds ${INTERNAL_LIMIT_NE} (0x10000000 / sizeof(struct io_event)); checked before aio-max-nr`,
    source: {
      man: 'io_setup(2) ERRORS: EINVAL "nr_events exceeds internal limits" (the limit itself is not documented)',
      linux:
        'ioctx_alloc(): if (nr_events > (0x10000000U / sizeof(struct io_event))) return ERR_PTR(-EINVAL)',
    },
    decides: (f) => f.ne > INTERNAL_LIMIT_NE,
  },
  'setup.ne-wrapped-zero': {
    id: 'setup.ne-wrapped-zero',
    errno: 'EAGAIN',
    when: 'ne wrapped to exactly 0 (nr_events = 0x80000000: 2 * 2^31 = 2^32)',
    source: {
      man: 'not documented (io_setup(2) EAGAIN speaks only of aio-max-nr)',
      linux: 'ioctx_alloc(): if (!nr_events || ...) return ERR_PTR(-EAGAIN)',
    },
    decides: (f) => f.ne === 0,
  },
  'setup.over-max': {
    id: 'setup.over-max',
    errno: 'EAGAIN',
    when: 'the charge alone exceeds the limit: nr_events > aio-max-nr (v3.12..v4.13: ne > 2*aio-max-nr); retrying never helps',
    source: {
      man: 'io_setup(2) ERRORS: EAGAIN "The specified nr_events exceeds the limit of available events"',
      linux:
        'ioctx_alloc(): if (... || (unsigned long)max_reqs > aio_max_nr) return ERR_PTR(-EAGAIN) (v3.12..v4.13: nr_events > aio_max_nr * 2UL)',
    },
    decides: (f) => f.limit !== null && f.charge > f.limit,
  },
  'setup.kmem': {
    id: 'setup.kmem',
    errno: 'ENOMEM',
    when: 'a kernel allocation for the context fails (kioctx, percpu refs or counters)',
    source: {
      man: 'io_setup(2) ERRORS: ENOMEM "Insufficient kernel resources are available"',
      linux: 'ioctx_alloc(): kmem_cache_zalloc()/percpu_ref_init()/alloc_percpu() fail -> -ENOMEM',
    },
    needs: ['fault-injection'],
    decides: (f) => f.env.failAlloc === 'ioctx',
  },
  'setup.ring-pages': {
    id: 'setup.ring-pages',
    errno: 'ENOMEM',
    when: "the ring's file or pages cannot be allocated",
    source: {
      man: 'io_setup(2) ERRORS: ENOMEM "Insufficient kernel resources are available"',
      linux: 'aio_setup_ring(): aio_private_file()/kcalloc()/find_or_create_page() fail -> -ENOMEM',
    },
    needs: ['fault-injection'],
    decides: (f) => f.env.failAlloc === 'ring',
  },
  'setup.mmap-lock-killed': {
    id: 'setup.mmap-lock-killed',
    errno: 'EINTR',
    when: 'a fatal signal arrives while waiting for the mmap lock',
    source: {
      man: 'not documented',
      linux: 'aio_setup_ring(): if (mmap_write_lock_killable(mm)) return -EINTR',
    },
    unobservable:
      'only a fatal signal interrupts the wait, so the caller is already dying and never sees EINTR',
    decides: () => false,
  },
  'setup.ring-mmap': {
    id: 'setup.ring-mmap',
    errno: 'ENOMEM',
    when: 'mapping the ring fails: it is larger than the address space the process may still map (RLIMIT_AS)',
    source: {
      man: 'io_setup(2) ERRORS: ENOMEM (address-space limits are not mentioned)',
      linux: 'aio_setup_ring(): do_mmap() fails -> -ENOMEM',
      gvisor: 'pkg/sentry/mm/aio_context.go NewAIOContext: mm.MMap() fails -> ENOMEM',
    },
    decides: (f) => f.asLeft !== null && BigInt(f.ring.bytes) > f.asLeft,
  },
  'setup.over-available': {
    id: 'setup.over-available',
    errno: 'EAGAIN',
    when: 'aio-nr + charge > limit, or the u64 sum wraps: what others hold leaves too little (equality is allowed)',
    source: {
      man: 'io_setup(2) ERRORS: EAGAIN "exceeds the limit of available events"',
      linux:
        'ioctx_alloc(): if (aio_nr + ctx->max_reqs > aio_max_nr || aio_nr + ctx->max_reqs < aio_nr) err = -EAGAIN',
    },
    decides: (f) => f.limit !== null && f.sum !== null && (f.sum > f.limit || f.sumWrapped),
  },
  'setup.table-grow': {
    id: 'setup.table-grow',
    errno: 'ENOMEM',
    when: "every slot of the process's context table is taken and a bigger table cannot be allocated",
    source: {
      man: 'io_setup(2) ERRORS: ENOMEM',
      linux:
        'ioctx_add_table(): table = kzalloc(...); if (!table) return -ENOMEM (aio-nr is given back)',
    },
    needs: ['fault-injection'],
    decides: (f) => f.env.failAlloc === 'table' && f.tableFull,
  },
  'gvisor.id-collision': {
    id: 'gvisor.id-collision',
    errno: 'EINVAL',
    when: "the new ring's address is already a live context's id",
    source: {
      man: 'not documented',
      gvisor:
        'pkg/sentry/mm/aio_context.go NewAIOContext: if !newAIOContext(events, id) { MUnmap; return EINVAL }',
    },
    unobservable:
      'needs a live context whose ring the process unmapped itself; the model has no munmap step',
    decides: () => false,
  },
  'setup.ctx-write-fault': {
    id: 'setup.ctx-write-fault',
    errno: 'EFAULT',
    when: 'writing the handle back to ctx_idp faults (e.g. a read-only page holding 0): the new context is torn down and its charge given back',
    source: {
      man: 'io_setup(2) ERRORS: EFAULT (the man page does not say it can happen after a full creation)',
      linux:
        'io_setup(): ret = put_user(ioctx->user_id, ctxp); if (ret) kill_ioctx(current->mm, ioctx, NULL)',
      gvisor: 'sys_aio.go IoSetup: CopyUint64Out fails -> DestroyAIOContext',
    },
    decides: (f) => f.ctx.readable && !f.ctx.writable,
  },
  'setup.ok': {
    id: 'setup.ok',
    errno: null,
    when: 'every check passed: the handle is written to *ctx_idp and io_setup returns 0',
    source: {
      man: 'io_setup(2) RETURN VALUE: "On success, io_setup() returns 0"',
      linux:
        'io_setup(): return 0 with the ring mapped, aio_nr += max_reqs, lowest free slot taken',
      gvisor: 'sys_aio.go IoSetup: return 0',
    },
    decides: () => true,
  },
};
