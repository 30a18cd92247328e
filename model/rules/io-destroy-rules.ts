/**
 * io_destroy(2), as an ordered table of rules.
 *
 * Linux (fs/aio.c): SYSCALL_DEFINE1(io_destroy) -> lookup_ioctx(ctx_id):
 *   get_user(id, &ring->id) (fault -> NULL); table = mm->ioctx_table;
 *   !table || id >= table->nr -> NULL; ctx = table->table[id];
 *   ctx && ctx->user_id == ctx_id -> found. Not found -> -EINVAL.
 *   Found -> kill_ioctx(): slot cleared, aio_nr_sub(max_reqs), vm_munmap(ring),
 *   then wait for the RCU grace periods before returning 0.
 * The man page's EFAULT for io_destroy never happens: a fault is just "not found".
 */
import type { DestroyFacts } from '../destroy-facts.js';
import type { Rule } from './rule.js';
import type { DestroyRuleId } from './rule-ids.js';
import { seccompRule } from './seccomp-rules.js';

export type { DestroyRuleId };

type DestroyRule = Rule<DestroyRuleId, DestroyFacts>;

const NOT_FOUND = 'io_destroy(2) ERRORS: EINVAL "The AIO context specified by ctx_id is invalid"';

export const DESTROY_RULES: Readonly<Record<DestroyRuleId, DestroyRule>> = {
  'seccomp.destroy-kill-process': seccompRule('seccomp.destroy-kill-process', 'kill-process'),
  'seccomp.destroy-kill-thread': seccompRule('seccomp.destroy-kill-thread', 'kill-thread'),
  'seccomp.destroy-trap': seccompRule('seccomp.destroy-trap', 'trap'),
  'seccomp.destroy-errno': seccompRule('seccomp.destroy-errno', 'errno'),
  'seccomp.destroy-user-notif': seccompRule('seccomp.destroy-user-notif', 'user-notif'),
  'seccomp.destroy-trace': seccompRule('seccomp.destroy-trace', 'trace'),
  'kernel.no-aio-destroy': {
    id: 'kernel.no-aio-destroy',
    errno: 'ENOSYS',
    when: 'the kernel was built without CONFIG_AIO, so io_destroy is sys_ni_syscall',
    source: {
      man: 'io_destroy(2) ERRORS: ENOSYS',
      linux: 'kernel/sys_ni.c COND_SYSCALL(io_destroy)',
    },
    needs: ['no-aio'],
    decides: (f) => !f.env.aioCompiled,
  },
  'destroy.id-fault': {
    id: 'destroy.id-fault',
    errno: 'EINVAL',
    when: 'reading the u32 ring->id at the handle faults (0, unmapped, a destroyed ring): not EFAULT, just "not found"',
    source: {
      man: `${NOT_FOUND} (the documented EFAULT never happens)`,
      linux: 'lookup_ioctx(): if (get_user(id, &ring->id)) return NULL',
    },
    decides: (f) => !f.read.readable,
  },
  'destroy.no-table': {
    id: 'destroy.no-table',
    errno: 'EINVAL',
    when: 'the process has never created a context, so it has no context table',
    source: { man: NOT_FOUND, linux: 'lookup_ioctx(): if (!table || id >= table->nr) goto out' },
    decides: (f) => f.tableSize === 0,
  },
  'destroy.id-out-of-range': {
    id: 'destroy.id-out-of-range',
    errno: 'EINVAL',
    when: 'the id read at the handle is not a slot of the table (id >= table->nr)',
    source: { man: NOT_FOUND, linux: 'lookup_ioctx(): if (!table || id >= table->nr) goto out' },
    decides: (f) => f.read.readable && f.read.u32 >= f.tableSize,
  },
  'destroy.slot-empty': {
    id: 'destroy.slot-empty',
    errno: 'EINVAL',
    when: 'the slot named by the id holds no context',
    source: {
      man: NOT_FOUND,
      linux: 'lookup_ioctx(): ctx = rcu_dereference(table->table[id]); if (ctx && ...)',
    },
    decides: (f) => f.slotContext === undefined,
  },
  'destroy.handle-mismatch': {
    id: 'destroy.handle-mismatch',
    errno: 'EINVAL',
    when: "the context in that slot has another handle (a clobbered ring->id, a bogus address, a parent's handle after fork)",
    source: {
      man: NOT_FOUND,
      linux: 'lookup_ioctx(): if (ctx && ctx->user_id == ctx_id) ... else not found',
    },
    decides: (f) => f.slotContext !== undefined && f.slotContext.handle !== f.handle,
  },
  'gvisor.destroy-unreadable': {
    id: 'gvisor.destroy-unreadable',
    errno: 'EINVAL',
    when: 'the 4 bytes at the handle cannot be read',
    source: {
      man: NOT_FOUND,
      gvisor:
        'pkg/sentry/mm/aio_context.go DestroyAIOContext: if !mm.isValidAddr(ctx, id) { return nil }',
    },
    decides: (f) => !f.read.readable,
  },
  'gvisor.destroy-not-context': {
    id: 'gvisor.destroy-not-context',
    errno: 'EINVAL',
    when: 'no context has this handle; gVisor has already unmapped one page at the handle if it is page-aligned',
    source: {
      man: NOT_FOUND,
      gvisor:
        'pkg/sentry/mm/aio_context.go DestroyAIOContext: mm.MUnmap(id, aioRingBufferSize) before the lookup',
    },
    decides: (f) => f.target === undefined,
  },
  'destroy.ok': {
    id: 'destroy.ok',
    errno: null,
    when: 'the context is found: its slot is freed, its charge given back to aio-nr and its ring unmapped; then the call waits for RCU grace periods and returns 0',
    source: {
      man: 'io_destroy(2) RETURN VALUE: "On success, io_destroy() returns 0"',
      linux:
        'io_destroy(): kill_ioctx() (table slot NULL, aio_nr_sub(), vm_munmap()), wait_for_completion()',
      gvisor: 'sys_aio.go IoDestroy: DestroyAIOContext, Drain, return 0',
    },
    decides: () => true,
  },
};
