/**
 * The family's calls at syscall level, as ordered tables of rules:
 * io_submit's entry checks (aio-family.md §2.1), io_getevents (§3),
 * io_pgetevents (§4), io_cancel (§5), and gVisor's orders (§8). Every call
 * first passes the process's seccomp filters and needs CONFIG_AIO.
 */
import type { CancelFacts, GateFacts, GetFacts, SubmitFacts } from '../family/call-facts.js';
import { timespecValid } from '../family/call-facts.js';
import {
  type CancelRuleId,
  FAMILY_GATE_RULES,
  type FamilyGateRuleId,
  type GeteventsRuleId,
  type SubmitRuleId,
} from './family-rule-ids.js';
import type { Rule } from './rule.js';
import { seccompRule } from './seccomp-rules.js';

function gateRules<F extends GateFacts>(): Record<FamilyGateRuleId, Rule<FamilyGateRuleId, F>> {
  return {
    'seccomp.family-kill-process': seccompRule('seccomp.family-kill-process', 'kill-process'),
    'seccomp.family-kill-thread': seccompRule('seccomp.family-kill-thread', 'kill-thread'),
    'seccomp.family-trap': seccompRule('seccomp.family-trap', 'trap'),
    'seccomp.family-errno': seccompRule('seccomp.family-errno', 'errno'),
    'seccomp.family-user-notif': seccompRule('seccomp.family-user-notif', 'user-notif'),
    'seccomp.family-trace': seccompRule('seccomp.family-trace', 'trace'),
    'kernel.no-aio-family': {
      id: 'kernel.no-aio-family',
      errno: 'ENOSYS',
      when: 'the kernel was built without CONFIG_AIO: every family call is sys_ni_syscall',
      source: {
        man: 'io_submit(2), io_getevents(2), io_cancel(2) ERRORS: ENOSYS',
        linux:
          'kernel/sys_ni.c COND_SYSCALL(io_submit), (io_getevents), (io_pgetevents), (io_cancel)',
      },
      needs: ['no-aio'],
      decides: (f) => !f.aioCompiled,
    },
  };
}

export const SUBMIT_RULES: Readonly<Record<SubmitRuleId, Rule<SubmitRuleId, SubmitFacts>>> = {
  ...gateRules<SubmitFacts>(),
  'submit.nr-negative': {
    id: 'submit.nr-negative',
    errno: 'EINVAL',
    when: 'nr < 0, before anything else (gVisor: the int32-truncated nr)',
    source: {
      man: 'io_submit(2) ERRORS: EINVAL "The ctx_id is invalid. nr is less than 0"',
      linux: 'io_submit(): if (unlikely(nr < 0)) return -EINVAL',
      gvisor: 'sys_aio.go IoSubmit: if nrEvents < 0 { return EINVAL }',
    },
    decides: (f) => f.nr < 0n,
  },
  'submit.ctx-lookup': {
    id: 'submit.ctx-lookup',
    errno: 'EINVAL',
    when: 'the handle names no live context (even with nr = 0, and before iocbpp is read)',
    source: {
      man: 'io_submit(2) ERRORS: EINVAL "The ctx_id is invalid"',
      linux: 'io_submit(): ctx = lookup_ioctx(ctx_id); if (unlikely(!ctx)) return -EINVAL',
    },
    decides: (f) => !f.ctxFound,
  },
  'submit.nr-zero': {
    id: 'submit.nr-zero',
    errno: null,
    when: 'nr = 0 on a live context: 0, iocbpp never read',
    source: {
      man: 'io_submit(2) RETURN VALUE',
      linux: 'io_submit(): the loop runs 0 times; return i ? i : ret (ret = 0)',
    },
    decides: (f) => f.nr === 0n,
  },
  'gvisor.submit-nr-zero': {
    id: 'gvisor.submit-nr-zero',
    errno: null,
    when: 'gVisor: nr = 0 returns 0 for any handle (the context is checked per iocb)',
    source: { man: 'not applicable', gvisor: 'sys_aio.go IoSubmit: the loop runs 0 times' },
    decides: (f) => f.nr === 0n,
  },
  'submit.loop': {
    id: 'submit.loop',
    errno: null,
    when: 'the iocbs are submitted in order until one fails: the count if any succeeded (the error is lost), else the first error',
    source: {
      man: 'io_submit(2) RETURN VALUE: "the number of iocbs submitted (which may be less than nr, or 0 if nr is zero)"',
      linux:
        'io_submit(): for (i = 0; i < nr; i++) { ... ret = io_submit_one(ctx, user_iocb, false); if (ret) break; } return i ? i : ret',
      gvisor: 'sys_aio.go IoSubmit: if i > 0 { return i } return err',
    },
    decides: () => true,
  },
};

export const LINUX_SUBMIT_ORDER: readonly SubmitRuleId[] = [
  ...FAMILY_GATE_RULES,
  'submit.nr-negative',
  'submit.ctx-lookup',
  'submit.nr-zero',
  'submit.loop',
];

export const GVISOR_SUBMIT_ORDER: readonly SubmitRuleId[] = [
  ...FAMILY_GATE_RULES.filter((r) => r !== 'kernel.no-aio-family'),
  'submit.nr-negative',
  'gvisor.submit-nr-zero',
  'submit.loop',
];

const pget = (f: GetFacts) => f.call === 'pgetevents';
const sigObj = (f: GetFacts) => (typeof f.sig === 'object' ? f.sig : null);

export const GETEVENTS_RULES: Readonly<Record<GeteventsRuleId, Rule<GeteventsRuleId, GetFacts>>> = {
  ...gateRules<GetFacts>(),
  'gvisor.pgetevents-enosys': {
    id: 'gvisor.pgetevents-enosys',
    errno: 'ENOSYS',
    when: 'gVisor: io_pgetevents is not implemented',
    source: {
      man: 'not applicable',
      gvisor: 'linux64.go: 333 → syscalls.ErrorWithEvent("io_pgetevents", ENOSYS)',
    },
    decides: pget,
  },
  'getevents.timeout-fault': {
    id: 'getevents.timeout-fault',
    errno: 'EFAULT',
    when: 'timeout is non-NULL and its 16 bytes cannot be read (first on Linux, before the context)',
    source: {
      man: 'io_getevents(2) ERRORS: EFAULT "Either events or timeout is an invalid pointer"',
      linux:
        'io_getevents(): if (timeout && unlikely(get_timespec64(&ts, timeout))) return -EFAULT',
      gvisor: 'sys_aio.go IoGetevents: copyTimespecIn → EFAULT (after the context)',
    },
    decides: (f) => f.timeout === 'unmapped',
  },
  'pgetevents.usig-fault': {
    id: 'pgetevents.usig-fault',
    errno: 'EFAULT',
    when: 'io_pgetevents: usig is non-NULL and its 16 bytes { sigmask, sigsetsize } cannot be read',
    source: {
      man: 'no man page (io_pgetevents is undocumented)',
      linux:
        'io_pgetevents(): if (usig && copy_from_user(&ksig, usig, sizeof(ksig))) return -EFAULT',
    },
    decides: (f) => pget(f) && f.sig === 'unmapped',
  },
  'pgetevents.sigsetsize': {
    id: 'pgetevents.sigsetsize',
    errno: 'EINVAL',
    when: 'io_pgetevents: sigmask is non-NULL and sigsetsize ≠ sizeof(sigset_t) (8); ignored when sigmask is NULL; before the context',
    source: {
      man: 'no man page',
      linux:
        'set_user_sigmask(): if (!umask) return 0; if (sigsetsize != sizeof(sigset_t)) return -EINVAL',
    },
    decides: (f) => {
      const s = sigObj(f);
      return pget(f) && s !== null && s.mask !== 'null' && s.size !== 8n;
    },
  },
  'pgetevents.sigmask-fault': {
    id: 'pgetevents.sigmask-fault',
    errno: 'EFAULT',
    when: 'io_pgetevents: the sigmask cannot be read',
    source: {
      man: 'no man page',
      linux:
        'set_user_sigmask(): if (copy_from_user(&kmask, umask, sizeof(sigset_t))) return -EFAULT',
    },
    decides: (f) => pget(f) && sigObj(f)?.mask === 'unmapped',
  },
  'getevents.ctx-lookup': {
    id: 'getevents.ctx-lookup',
    errno: 'EINVAL',
    when: 'the handle names no live context (never EFAULT)',
    source: {
      man: 'io_getevents(2) ERRORS: EINVAL "ctx_id is invalid"',
      linux:
        'do_io_getevents(): ioctx = lookup_ioctx(ctx_id); if (likely(ioctx)) ... (ret = -EINVAL)',
      gvisor: 'sys_aio.go IoGetevents: LookupAIOContext fails → EINVAL',
    },
    decides: (f) => !f.ctxFound,
  },
  'getevents.min-nr': {
    id: 'getevents.min-nr',
    errno: 'EINVAL',
    when: 'min_nr < 0 or min_nr > nr (so nr < 0 fails too); gVisor: first, on int32 values',
    source: {
      man: 'io_getevents(2) ERRORS: EINVAL "min_nr is invalid"',
      linux: 'do_io_getevents(): if (likely(min_nr <= nr && min_nr >= 0)) ret = read_events(...)',
      gvisor: 'sys_aio.go IoGetevents: if minEvents < 0 || minEvents > events { return EINVAL }',
    },
    decides: (f) => f.minNr < 0n || f.minNr > f.nr,
  },
  'gvisor.getevents-timespec': {
    id: 'gvisor.getevents-timespec',
    errno: 'EINVAL',
    when: 'gVisor: the timespec is invalid (sec < 0, nsec < 0 or ≥ 1e9); Linux never checks it',
    source: {
      man: 'not applicable',
      gvisor: 'sys_aio.go IoGetevents: if !timespec.Valid() { return EINVAL }',
    },
    decides: (f) => !timespecValid(f.timeout),
  },
  'getevents.events-fault': {
    id: 'getevents.events-fault',
    errno: 'EFAULT',
    when: 'the first harvest pass has events to copy and the events buffer is not writable: the ring head is not moved (gVisor: the events are lost); not seen while the ring is empty',
    source: {
      man: 'io_getevents(2) ERRORS: EFAULT',
      linux: 'aio_read_events_ring(): copy_to_user() fails → ret = -EFAULT; head not stored',
      gvisor: 'sys_aio.go IoGetevents: CopyOut fails → EFAULT if it was the first',
    },
    decides: (f) => f.firstPass > 0 && !f.eventsWritable,
  },
  'getevents.would-block': {
    id: 'getevents.would-block',
    errno: null,
    when: 'NULL, ~292-year or negative timeout and min_nr more events than can ever arrive, no signal: the call sleeps forever (never generate it)',
    unobservable:
      'a call that would sleep forever is never made: the model says so instead, and the engine refuses such a case before it runs',
    source: {
      man: 'io_getevents(2) DESCRIPTION: "If timeout is NULL, then io_getevents() blocks until min_nr events"',
      linux:
        'read_events(): wait_event_interruptible_hrtimeout(ctx->wait, aio_read_events(...), until = KTIME_MAX)',
    },
    decides: (f) => f.wouldBlock,
  },
  'getevents.interrupted': {
    id: 'getevents.interrupted',
    errno: 'EINTR',
    when: 'nothing collected and a signal the call leaves unblocked is pending (io_pgetevents with a mask unblocking a raised SIGUSR1: -ERESTARTNOHAND, which a handler turns into EINTR)',
    source: {
      man: 'io_getevents(2) ERRORS: EINTR "Interrupted by a signal handler"',
      linux:
        'io_pgetevents(): interrupted = signal_pending(current); if (interrupted && !ret) ret = -ERESTARTNOHAND',
    },
    decides: (f) => f.interrupted && f.collected === 0,
  },
  'getevents.collected': {
    id: 'getevents.collected',
    errno: null,
    when: 'the events collected (up to nr, at least min_nr unless the timeout expired) are returned, oldest first',
    source: {
      man: 'io_getevents(2) RETURN VALUE: "the number of events read"',
      linux: 'read_events() → aio_read_events() → aio_read_events_ring()',
      gvisor: 'sys_aio.go IoGetevents',
    },
    decides: () => true,
  },
};

export const LINUX_GETEVENTS_ORDER: readonly GeteventsRuleId[] = [
  ...FAMILY_GATE_RULES,
  'getevents.timeout-fault',
  'getevents.ctx-lookup',
  'getevents.min-nr',
  'getevents.events-fault',
  'getevents.would-block',
  'getevents.interrupted',
  'getevents.collected',
];

export const LINUX_PGETEVENTS_ORDER: readonly GeteventsRuleId[] = [
  ...FAMILY_GATE_RULES,
  'getevents.timeout-fault',
  'pgetevents.usig-fault',
  'pgetevents.sigsetsize',
  'pgetevents.sigmask-fault',
  'getevents.ctx-lookup',
  'getevents.min-nr',
  'getevents.events-fault',
  'getevents.would-block',
  'getevents.interrupted',
  'getevents.collected',
];

const GVISOR_GATE = FAMILY_GATE_RULES.filter((r) => r !== 'kernel.no-aio-family');

export const GVISOR_GETEVENTS_ORDER: readonly GeteventsRuleId[] = [
  ...GVISOR_GATE,
  'getevents.min-nr',
  'getevents.ctx-lookup',
  'getevents.timeout-fault',
  'gvisor.getevents-timespec',
  'getevents.events-fault',
  'getevents.would-block',
  'getevents.collected',
];

export const GVISOR_PGETEVENTS_ORDER: readonly GeteventsRuleId[] = [
  ...GVISOR_GATE,
  'gvisor.pgetevents-enosys',
];

export const CANCEL_RULES: Readonly<Record<CancelRuleId, Rule<CancelRuleId, CancelFacts>>> = {
  ...gateRules<CancelFacts>(),
  'gvisor.cancel-enosys': {
    id: 'gvisor.cancel-enosys',
    errno: 'ENOSYS',
    when: 'gVisor: io_cancel always fails, whatever the arguments',
    source: {
      man: 'not applicable',
      gvisor: 'sys_aio.go IoCancel: return 0, nil, linuxerr.ENOSYS',
    },
    decides: () => true,
  },
  'cancel.key-fault': {
    id: 'cancel.key-fault',
    errno: 'EFAULT',
    when: "reading the iocb's u32 aio_key faults (a NULL iocb: EFAULT even with a bad context)",
    source: {
      man: 'io_cancel(2) ERRORS: EFAULT "One of the data structures points to invalid data"',
      linux: 'io_cancel(): if (unlikely(get_user(key, &iocb->aio_key))) return -EFAULT',
    },
    decides: (f) => !f.keyReadable,
  },
  'cancel.key-nonzero': {
    id: 'cancel.key-nonzero',
    errno: 'EINVAL',
    when: 'aio_key is not KIOCB_KEY (0): never submitted, or submitted and overwritten',
    source: {
      man: 'io_cancel(2) ERRORS: EINVAL "The AIO context specified by ctx_id is invalid" (the key is not mentioned)',
      linux: 'io_cancel(): if (unlikely(key != KIOCB_KEY)) return -EINVAL',
    },
    decides: (f) => f.key !== 0,
  },
  'cancel.ctx-lookup': {
    id: 'cancel.ctx-lookup',
    errno: 'EINVAL',
    when: 'the handle names no live context',
    source: {
      man: 'io_cancel(2) ERRORS: EINVAL "The AIO context specified by ctx_id is invalid"',
      linux: 'io_cancel(): ctx = lookup_ioctx(ctx_id); if (unlikely(!ctx)) return -EINVAL',
    },
    decides: (f) => !f.ctxFound,
  },
  'cancel.not-found': {
    id: 'cancel.not-found',
    errno: 'EINVAL',
    when: 'no request on ctx->active_reqs has this iocb as obj: anything but a pending POLL (R/W on these files, FSYNC, completed or cancelled POLLs)',
    source: {
      man: 'io_cancel(2) ERRORS: EAGAIN "The iocb specified was not canceled" (stale since 3.11: it is EINVAL)',
      linux:
        'io_cancel(): list_for_each_entry(kiocb, &ctx->active_reqs, ki_list) if (kiocb->ki_res.obj == obj) ...; ret = -EINVAL otherwise',
    },
    decides: (f) => !f.found,
  },
  'cancel.in-progress': {
    id: 'cancel.in-progress',
    errno: 'EINPROGRESS',
    when: 'a pending POLL is cancelled: EINPROGRESS now, and later an event with res 0 (not -ECANCELED); `result` is never touched',
    source: {
      man: 'io_cancel(2) RETURN VALUE: "On success, io_cancel() returns 0" (stale since 3.11: aio_poll_cancel returns 0, turned into -EINPROGRESS)',
      linux:
        'io_cancel(): ret = kiocb->ki_cancel(&kiocb->rw) (aio_poll_cancel → 0); if (!ret) ret = -EINPROGRESS',
    },
    decides: () => true,
  },
};

export const LINUX_CANCEL_ORDER: readonly CancelRuleId[] = [
  ...FAMILY_GATE_RULES,
  'cancel.key-fault',
  'cancel.key-nonzero',
  'cancel.ctx-lookup',
  'cancel.not-found',
  'cancel.in-progress',
];

export const GVISOR_CANCEL_ORDER: readonly CancelRuleId[] = [
  ...GVISOR_GATE,
  'gvisor.cancel-enosys',
];
