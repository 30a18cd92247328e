/**
 * One iocb of io_submit, as an ordered table of rules (aio-family.md §2.2–§2.5
 * for Linux, §8 for gVisor). The order of a list is the order of the checks in
 * the kernel: fs/aio.c io_submit_one() → __io_submit_one() → aio_read/aio_write
 * (aio_prep_rw, aio_setup_rw, rw_verify_area), aio_fsync, aio_poll.
 * The success rules (R7, F4, Q3, gVisor's queued) decide "submitted"; what the
 * op then does is computed by family/ops.ts.
 */
import type { IocbFacts } from '../family/iocb-facts.js';
import type { IocbRuleId } from './family-rule-ids.js';
import type { Rule } from './rule.js';

export type { IocbRuleId };

type IocbRule = Rule<IocbRuleId, IocbFacts>;

const rw = (f: IocbFacts) => f.op === 'read' || f.op === 'write';

export const IOCB_RULES: Readonly<Record<IocbRuleId, IocbRule>> = {
  'submit.array-fault': {
    id: 'submit.array-fault',
    errno: 'EFAULT',
    when: 'reading the 8-byte pointer iocbpp[i] faults (iocbpp unmapped, or past its end)',
    source: {
      man: 'io_submit(2) ERRORS: EFAULT "One of the data structures points to invalid data"',
      linux:
        'io_submit(): if (unlikely(get_user(user_iocb, iocbpp + i))) { ret = -EFAULT; break; }',
      gvisor: 'sys_aio.go IoSubmit: CopyInVec of the pointer → EFAULT',
    },
    decides: (f) => !f.pointerReadable,
  },
  'iocb.P1.copy-fault': {
    id: 'iocb.P1.copy-fault',
    errno: 'EFAULT',
    when: 'copying the 64-byte iocb faults (a NULL or unmapped entry)',
    source: {
      man: 'io_submit(2) ERRORS: EFAULT',
      linux:
        'io_submit_one(): if (unlikely(copy_from_user(&iocb, user_iocb, sizeof(iocb)))) return -EFAULT',
      gvisor: 'sys_aio.go IoSubmit: cb.CopyIn → EFAULT',
    },
    decides: (f) => !f.iocbReadable,
  },
  'iocb.P2.reserved2': {
    id: 'iocb.P2.reserved2',
    errno: 'EINVAL',
    when: 'aio_reserved2 is not 0',
    source: {
      man: 'io_submit(2) ERRORS: EINVAL "The aio_reserved2 field ... is invalid" (not listed by that name)',
      linux: 'io_submit_one(): if (unlikely(iocb.aio_reserved2)) return -EINVAL',
      gvisor: 'sys_aio.go submitCallback: if cb.Reserved2 != 0 { return EINVAL }',
    },
    decides: (f) => (f.iocb?.reserved2 ?? 0n) !== 0n,
  },
  'iocb.P3.nbytes-sign': {
    id: 'iocb.P3.nbytes-sign',
    errno: 'EINVAL',
    when: 'aio_nbytes has the sign bit set ((s64)aio_nbytes < 0)',
    source: {
      man: 'io_submit(2) ERRORS: EINVAL',
      linux:
        'io_submit_one(): if (unlikely((iocb.aio_buf != (unsigned long)iocb.aio_buf) || ... ((ssize_t)iocb.aio_nbytes < 0))) return -EINVAL',
      gvisor: 'sys_aio.go submitCallback: if int(cb.Bytes) < 0 { return EINVAL }',
    },
    decides: (f) => f.nbytes >> 63n !== 0n,
  },
  'iocb.P4.no-slot': {
    id: 'iocb.P4.no-slot',
    errno: 'EAGAIN',
    when: 'no completion slot can be taken, even after a refill from what userspace reaped (§6.3); before the fd is looked at',
    source: {
      man: 'io_submit(2) ERRORS: EAGAIN "Insufficient resources are available to queue any iocbs"',
      linux: 'io_submit_one() → aio_get_req() → get_reqs_available() fails → -EAGAIN',
      gvisor:
        'sys_aio.go submitCallback: ctx.Prepare() → EAGAIN when nr_events requests are outstanding',
    },
    decides: (f) => !f.slotFree,
  },
  'iocb.P5.bad-fd': {
    id: 'iocb.P5.bad-fd',
    errno: 'EBADF',
    when: 'aio_fildes is not an open fd (u32: -1 is simply a bad fd); the slot is given back',
    source: {
      man: 'io_submit(2) ERRORS: EBADF "The file descriptor specified in the first iocb is invalid"',
      linux:
        '__io_submit_one(): req->ki_filp = fget(iocb->aio_fildes); if (unlikely(!req->ki_filp)) return -EBADF',
      gvisor: 'sys_aio.go submitCallback: t.GetFile(cb.FD) == nil → EBADF',
    },
    decides: (f) => !f.fdOpen,
  },
  'iocb.P6.resfd-bad': {
    id: 'iocb.P6.resfd-bad',
    errno: 'EBADF',
    when: 'IOCB_FLAG_RESFD and aio_resfd is not open',
    source: {
      man: 'io_submit(2) ERRORS: EBADF (aio_resfd is not mentioned)',
      linux: '__io_submit_one(): eventfd_ctx_fdget(iocb->aio_resfd) → -EBADF',
      gvisor: 'sys_aio.go submitCallback: t.GetFile(cb.ResFD) == nil → EBADF',
    },
    decides: (f) => f.resfd === 'closed',
  },
  'iocb.P6.resfd-not-eventfd': {
    id: 'iocb.P6.resfd-not-eventfd',
    errno: 'EINVAL',
    when: 'IOCB_FLAG_RESFD and aio_resfd is open but not an eventfd',
    source: {
      man: 'io_submit(2) ERRORS: EINVAL',
      linux: '__io_submit_one(): eventfd_ctx_fdget() → eventfd_ctx_fileget() → -EINVAL',
      gvisor: 'sys_aio.go submitCallback: eventfd type assertion fails → EINVAL',
    },
    decides: (f) => f.resfd === 'other',
  },
  'iocb.P7.key-write-fault': {
    id: 'iocb.P7.key-write-fault',
    errno: 'EFAULT',
    when: 'writing KIOCB_KEY (0) to the user aio_key faults: the iocb is readable but not writable',
    source: {
      man: 'not documented',
      linux:
        '__io_submit_one(): if (unlikely(put_user(KIOCB_KEY, &user_iocb->aio_key))) return -EFAULT',
    },
    decides: (f) => f.iocb?.readonly === true,
  },
  'iocb.P8.opcode': {
    id: 'iocb.P8.opcode',
    errno: 'EINVAL',
    when: 'aio_lio_opcode is none of 0,1,2,3,5,7,8: 4 (PREADX), 6 (NOOP) and ≥ 9; aio_key is already 0',
    source: {
      man: 'io_submit(2) ERRORS: EINVAL (io_submit(2) lists IOCB_CMD_NOOP as valid: it is not)',
      linux:
        '__io_submit_one(): switch (iocb->aio_lio_opcode) { ... default: pr_debug("invalid aio operation"); return -EINVAL; }',
    },
    decides: (f) => f.op === 'invalid' || f.op === 'noop',
  },
  'iocb.R1.ioprio-no-block': {
    id: 'iocb.R1.ioprio-no-block',
    errno: 'ENOTBLK',
    when: 'IOCB_FLAG_IOPRIO on a kernel without a block layer (CONFIG_BLOCK=n), whatever the priority (seen on UML 6.1.192 and 6.12.117)',
    source: {
      man: 'io_submit(2) ERRORS: ENOTBLK (not listed)',
      linux:
        'aio_prep_rw(): ioprio_check_cap() is the !CONFIG_BLOCK stub in include/linux/ioprio.h: return -ENOTBLK;',
    },
    needs: ['no-block'],
    decides: (f) => rw(f) && f.ioprio === 'ENOTBLK',
  },
  'iocb.R1.ioprio-perm': {
    id: 'iocb.R1.ioprio-perm',
    errno: 'EPERM',
    when: 'IOCB_FLAG_IOPRIO with class RT and neither CAP_SYS_NICE nor CAP_SYS_ADMIN',
    source: {
      man: 'io_submit(2) ERRORS: EPERM "The aio_reqprio field is invalid" (the cap rule is in ioprio_set(2))',
      linux: 'aio_prep_rw(): ioprio_check_cap(iocb->aio_reqprio) (block/ioprio.c)',
    },
    needs: ['no-rt-ioprio'],
    decides: (f) => rw(f) && f.ioprio === 'EPERM',
  },
  'iocb.R1.ioprio-invalid': {
    id: 'iocb.R1.ioprio-invalid',
    errno: 'EINVAL',
    when: 'IOCB_FLAG_IOPRIO with a bad priority: class 4–7 (any negative s16), NONE with data, RT/BE level ≥ 8 (6.1: the 13-bit data, so hint bits count; 6.12+: the 3-bit level only)',
    source: {
      man: 'io_submit(2) ERRORS: EINVAL',
      linux: 'aio_prep_rw(): ioprio_check_cap() → -EINVAL',
    },
    decides: (f) => rw(f) && f.ioprio === 'EINVAL',
  },
  'iocb.R2.rwf-unknown': {
    id: 'iocb.R2.rwf-unknown',
    errno: 'EOPNOTSUPP',
    when: 'aio_rw_flags has a bit outside RWF_SUPPORTED (6.1: 0x1f; 6.12: 0x7f; 6.18: 0xff)',
    source: {
      man: 'io_submit(2) ERRORS: EOPNOTSUPP (not listed)',
      linux:
        'aio_prep_rw() → kiocb_set_rw_flags(): if (unlikely(flags & ~RWF_SUPPORTED)) return -EOPNOTSUPP',
    },
    decides: (f) => rw(f) && f.rwf === 'unknown',
  },
  'iocb.R2.rwf-append-conflict': {
    id: 'iocb.R2.rwf-append-conflict',
    errno: 'EINVAL',
    when: 'RWF_APPEND and RWF_NOAPPEND together (6.9+)',
    source: {
      man: 'not documented',
      linux:
        'kiocb_set_rw_flags(): if (unlikely((flags & RWF_APPEND) && (flags & RWF_NOAPPEND))) return -EINVAL',
    },
    decides: (f) => rw(f) && f.rwf === 'append-conflict',
  },
  'iocb.R2.rwf-nowait': {
    id: 'iocb.R2.rwf-nowait',
    errno: 'EOPNOTSUPP',
    when: 'RWF_NOWAIT on a file without FMODE_NOWAIT (tmpfs files, directories; pipes before ~6.4)',
    source: {
      man: 'io_submit(2) ERRORS: EOPNOTSUPP? not listed (preadv2(2) documents RWF_NOWAIT)',
      linux:
        'kiocb_set_rw_flags(): if (flags & RWF_NOWAIT) { if (!(ki->ki_filp->f_mode & FMODE_NOWAIT)) return -EOPNOTSUPP; }',
    },
    decides: (f) => rw(f) && f.rwf === 'nowait',
  },
  'iocb.R2.rwf-atomic': {
    id: 'iocb.R2.rwf-atomic',
    errno: 'EOPNOTSUPP',
    when: 'RWF_ATOMIC (6.11+) on a file without FMODE_CAN_ATOMIC_WRITE (or on a read)',
    source: {
      man: 'not documented',
      linux:
        'kiocb_set_rw_flags(): if (flags & RWF_ATOMIC) { if (rw_type != WRITE) ...; if (!(f_mode & FMODE_CAN_ATOMIC_WRITE)) return -EOPNOTSUPP; }',
    },
    decides: (f) => rw(f) && f.rwf === 'atomic',
  },
  'iocb.R2.rwf-dontcache': {
    id: 'iocb.R2.rwf-dontcache',
    errno: 'EOPNOTSUPP',
    when: 'RWF_DONTCACHE (6.14+) on a file without FOP_DONTCACHE',
    source: {
      man: 'not documented',
      linux:
        'kiocb_set_rw_flags(): if (flags & RWF_DONTCACHE) { if (!(f_op->fop_flags & FOP_DONTCACHE)) return -EOPNOTSUPP; }',
    },
    decides: (f) => rw(f) && f.rwf === 'dontcache',
  },
  'iocb.R2.noappend-append-only': {
    id: 'iocb.R2.noappend-append-only',
    errno: 'EPERM',
    when: 'RWF_NOAPPEND on an O_APPEND fd of an append-only inode (chattr +a)',
    source: {
      man: 'not documented',
      linux:
        'kiocb_set_rw_flags(): if ((flags & RWF_NOAPPEND) && (ki->ki_flags & IOCB_APPEND)) { if (IS_APPEND(inode)) return -EPERM; }',
    },
    unobservable: 'the case files cannot be made append-only (chattr +a needs CAP_LINUX_IMMUTABLE)',
    decides: () => false,
  },
  'iocb.R3.access-mode': {
    id: 'iocb.R3.access-mode',
    errno: 'EBADF',
    when: 'the fd is not open for reading (read ops) / writing (write ops); after R1 and R2',
    source: {
      man: 'io_submit(2) ERRORS: EBADF (the mode case is not spelt out)',
      linux:
        'aio_read(): if (unlikely(!(file->f_mode & FMODE_READ))) return -EBADF (aio_write: FMODE_WRITE)',
    },
    decides: (f) => rw(f) && !f.modeOk,
  },
  'iocb.R4.no-iter': {
    id: 'iocb.R4.no-iter',
    errno: 'EINVAL',
    when: 'the file has no read_iter/write_iter: directories, and writes to an eventfd (eventfd_fops has .write, not .write_iter; measured on 6.18)',
    source: {
      man: 'io_submit(2) ERRORS: EINVAL',
      linux:
        'aio_read(): if (unlikely(!file->f_op->read_iter)) return -EINVAL (aio_write: write_iter)',
    },
    decides: (f) => rw(f) && !f.hasIter,
  },
  'iocb.R5.buffer-fault': {
    id: 'iocb.R5.buffer-fault',
    errno: 'EFAULT',
    when: 'a plain buffer fails access_ok (a kernel address, or the range wraps); only the range is checked',
    source: {
      man: 'io_submit(2) ERRORS: EFAULT',
      linux: 'aio_setup_rw() → import_ubuf(): if (unlikely(!access_ok(buf, len))) return -EFAULT',
    },
    decides: (f) => rw(f) && f.buffer.error === 'buffer-fault',
  },
  'iocb.R5.iovec-count': {
    id: 'iocb.R5.iovec-count',
    errno: 'EINVAL',
    when: 'vectored: (u32)aio_nbytes, the iovec count, exceeds UIO_MAXIOV (1024)',
    source: {
      man: 'io_submit(2) ERRORS: EINVAL',
      linux:
        'aio_setup_rw() → __import_iovec() → iovec_from_user(): if (nr_segs > UIO_MAXIOV) return -EINVAL',
    },
    decides: (f) => rw(f) && f.buffer.error === 'iovec-count',
  },
  'iocb.R5.iovec-fault': {
    id: 'iocb.R5.iovec-fault',
    errno: 'EFAULT',
    when: 'vectored: the iovec array cannot be read',
    source: {
      man: 'io_submit(2) ERRORS: EFAULT',
      linux: 'iovec_from_user() → copy_iovec_from_user() faults → -EFAULT',
    },
    decides: (f) => rw(f) && f.buffer.error === 'iovec-fault',
  },
  'iocb.R5.iov-len': {
    id: 'iocb.R5.iov-len',
    errno: 'EINVAL',
    when: 'vectored: an iov_len has the sign bit set (one iovec too: measured on 6.18)',
    source: {
      man: 'io_submit(2) ERRORS: EINVAL',
      linux: 'copy_iovec_from_user(): if (len < 0) { ret = -EINVAL; ... }',
    },
    decides: (f) => rw(f) && f.buffer.error === 'iov-len',
  },
  'iocb.R5.iov-base-fault': {
    id: 'iocb.R5.iov-base-fault',
    errno: 'EFAULT',
    when: 'vectored: an iov_base range fails access_ok (a kernel address)',
    source: {
      man: 'io_submit(2) ERRORS: EFAULT',
      linux: '__import_iovec(): if (!access_ok(iov[seg].iov_base, len)) { ret = -EFAULT; ... }',
    },
    decides: (f) => rw(f) && f.buffer.error === 'iov-base-fault',
  },
  'iocb.R6.offset': {
    id: 'iocb.R6.offset',
    errno: 'EINVAL',
    when: 'aio_offset < 0, or offset + count overflows s64 (also on pipes: AIO always passes a position)',
    source: {
      man: 'io_submit(2) ERRORS: EINVAL "aio_offset ... is invalid" (not spelt out)',
      linux:
        'aio_read()/aio_write() → rw_verify_area(): if (unlikely(pos < 0)) ... return -EINVAL; if ((loff_t)(pos + count) < 0) return -EINVAL',
    },
    decides: (f) => rw(f) && f.offsetBad,
  },
  'iocb.R7.rw': {
    id: 'iocb.R7.rw',
    errno: null,
    when: 'read_iter/write_iter is called; its result (bytes or -errno) becomes the event, and io_submit counts the iocb',
    source: {
      man: 'io_submit(2) RETURN VALUE: the number of iocbs submitted',
      linux: 'aio_read(): aio_rw_done(req, file->f_op->read_iter(req, &iter))',
    },
    decides: rw,
  },
  'iocb.F1.fields': {
    id: 'iocb.F1.fields',
    errno: 'EINVAL',
    when: 'FSYNC/FDSYNC with any of aio_buf, aio_offset, aio_nbytes, aio_rw_flags non-zero',
    source: {
      man: 'io_submit(2) ERRORS: EINVAL',
      linux:
        'aio_fsync(): if (unlikely(iocb->aio_buf || iocb->aio_offset || iocb->aio_nbytes || iocb->aio_rw_flags)) return -EINVAL',
    },
    decides: (f) => f.op === 'fsync' && f.fsyncFieldsSet,
  },
  'iocb.F2.no-fsync': {
    id: 'iocb.F2.no-fsync',
    errno: 'EINVAL',
    when: 'FSYNC/FDSYNC on a file without ->fsync (pipes, eventfds; measured on 6.18 for eventfd)',
    source: {
      man: 'io_submit(2) ERRORS: EINVAL "The file specified ... does not support the requested synchronization" (paraphrased)',
      linux: 'aio_fsync(): if (unlikely(!req->file->f_op->fsync)) return -EINVAL',
    },
    decides: (f) => f.op === 'fsync' && !f.hasFsync,
  },
  'iocb.F3.creds': {
    id: 'iocb.F3.creds',
    errno: 'ENOMEM',
    when: 'prepare_creds() fails',
    source: {
      man: 'not documented',
      linux: 'aio_fsync(): req->creds = prepare_creds(); if (!req->creds) return -ENOMEM',
    },
    needs: ['fault-injection'],
    unobservable:
      'needs a failing credential allocation (fault injection), which the family cases do not set up',
    decides: () => false,
  },
  'iocb.F4.fsync': {
    id: 'iocb.F4.fsync',
    errno: null,
    when: 'the fsync is queued on the system workqueue; the event (res = vfs_fsync result, 0 on tmpfs) arrives later',
    source: {
      man: 'io_submit(2) IOCB_CMD_FSYNC / IOCB_CMD_FDSYNC',
      linux: 'aio_fsync(): INIT_WORK(&req->work, aio_fsync_work); schedule_work(&req->work)',
    },
    decides: (f) => f.op === 'fsync',
  },
  'iocb.Q1.mask-bits': {
    id: 'iocb.Q1.mask-bits',
    errno: 'EINVAL',
    when: 'POLL: aio_buf (the event mask) does not fit in 16 bits',
    source: {
      man: 'io_submit(2) IOCB_CMD_POLL (the check is not documented)',
      linux: 'aio_poll(): if ((u16)iocb->aio_buf != iocb->aio_buf) return -EINVAL',
    },
    decides: (f) => f.op === 'poll' && !f.pollMaskFits,
  },
  'iocb.Q2.fields': {
    id: 'iocb.Q2.fields',
    errno: 'EINVAL',
    when: 'POLL with aio_offset, aio_nbytes or aio_rw_flags non-zero',
    source: {
      man: 'not documented',
      linux:
        'aio_poll(): if (iocb->aio_offset || iocb->aio_nbytes || iocb->aio_rw_flags) return -EINVAL',
    },
    decides: (f) => f.op === 'poll' && f.pollFieldsSet,
  },
  'iocb.Q3.no-poll-unmet': {
    id: 'iocb.Q3.no-poll-unmet',
    errno: 'EINVAL',
    when: 'POLL on a file without ->poll (tmpfs file, directory) whose default mask IN|OUT|RDNORM|WRNORM meets none of the request (e.g. POLLPRI; measured on 6.18)',
    source: {
      man: 'not documented',
      linux:
        'aio_poll(): apt.error = -EINVAL ("same as no support"); vfs_poll() returns DEFAULT_POLLMASK without queueing',
    },
    decides: (f) => f.op === 'poll' && f.pollUnmet,
  },
  'iocb.Q3.poll': {
    id: 'iocb.Q3.poll',
    errno: null,
    when: 'POLL submitted: ready now → completes inside io_submit with res = ready & requested; else queued on the waitqueue and on active_reqs',
    source: {
      man: 'io_submit(2) IOCB_CMD_POLL',
      linux:
        'aio_poll(): mask = vfs_poll(req->file, &apt.pt) & req->events; if (mask) complete now, else list_add_tail(&aiocb->ki_list, &ctx->active_reqs)',
    },
    decides: (f) => f.op === 'poll',
  },
  'gvisor.iocb-opcode': {
    id: 'gvisor.iocb-opcode',
    errno: 'EINVAL',
    when: 'gVisor: an opcode other than PREAD, PWRITE, PREADV, PWRITEV, FSYNC, FDSYNC, NOOP (POLL included), checked after the fds and aio_nbytes',
    source: {
      man: 'not applicable',
      gvisor: 'sys_aio.go memoryFor(): default → EINVAL (no IOCB_CMD_POLL case)',
    },
    decides: (f) => f.op === 'invalid' || f.op === 'poll',
  },
  'gvisor.iocb-iovec-count': {
    id: 'gvisor.iocb-iovec-count',
    errno: 'EINVAL',
    when: 'gVisor, vectored: aio_nbytes (no 32-bit truncation) exceeds 1024',
    source: {
      man: 'not applicable',
      gvisor: 'sys_aio.go memoryFor(): IOVecsFromAddr count > UIO_MAXIOV → EINVAL',
    },
    decides: (f) => rw(f) && f.vectored && f.nbytes > 1024n,
  },
  'gvisor.iocb-iov-len': {
    id: 'gvisor.iocb-iov-len',
    errno: 'EINVAL',
    when: 'gVisor, vectored: the first iovec that fails a check has an iov_len with the sign bit (iovecs are checked one by one: copy, length, range)',
    source: {
      man: 'not applicable',
      gvisor:
        'task_usermem.go makeIovec(): if length > math.MaxInt64 { return EINVAL }, per iovec in copyInIovecs(), via sys_aio.go memoryFor() → IovecsIOSequence()',
    },
    decides: (f) => rw(f) && f.buffer.error === 'iov-len',
  },
  'gvisor.iocb-buffer': {
    id: 'gvisor.iocb-buffer',
    errno: 'EFAULT',
    when: 'gVisor: the buffer range or an iovec is not a valid user range, or the iovec array cannot be read',
    source: {
      man: 'not applicable',
      gvisor: 'sys_aio.go memoryFor(): usermem range checks → EFAULT',
    },
    decides: (f) =>
      rw(f) &&
      (f.buffer.error === 'buffer-fault' ||
        f.buffer.error === 'iovec-fault' ||
        f.buffer.error === 'iov-base-fault'),
  },
  'gvisor.iocb-offset': {
    id: 'gvisor.iocb-offset',
    errno: 'EINVAL',
    when: 'gVisor: a read or write with aio_offset < 0',
    source: {
      man: 'not applicable',
      gvisor: 'sys_aio.go submitCallback: if cb.Offset < 0 { return EINVAL }',
    },
    decides: (f) => rw(f) && f.offset < 0n,
  },
  'gvisor.iocb-ctx': {
    id: 'gvisor.iocb-ctx',
    errno: 'EINVAL',
    when: 'gVisor: the context is looked up per iocb, after the iocb checks, and is not live',
    source: {
      man: 'not applicable',
      gvisor: 'sys_aio.go submitCallback: t.MemoryManager().LookupAIOContext(ctxID) fails → EINVAL',
    },
    decides: (f) => !f.ctxFound,
  },
  'gvisor.iocb-queued': {
    id: 'gvisor.iocb-queued',
    errno: null,
    when: 'gVisor: the request runs on its own goroutine; mode errors and unsupported files arrive as the event res; NOOP completes with res 0; events are unordered',
    source: {
      man: 'not applicable',
      gvisor: 'sys_aio.go submitCallback → t.QueueAIO(getAIOCallback(...))',
    },
    decides: () => true,
  },
};

/** Linux's checks of one iocb, in order, for its opcode (P1–P8, then the op's own list). */
export function linuxIocbOrder(op: IocbFacts['op']): readonly IocbRuleId[] {
  const generic: IocbRuleId[] = [
    'submit.array-fault',
    'iocb.P1.copy-fault',
    'iocb.P2.reserved2',
    'iocb.P3.nbytes-sign',
    'iocb.P4.no-slot',
    'iocb.P5.bad-fd',
    'iocb.P6.resfd-bad',
    'iocb.P6.resfd-not-eventfd',
    'iocb.P7.key-write-fault',
    'iocb.P8.opcode',
  ];
  switch (op) {
    case 'read':
    case 'write':
      return [
        ...generic,
        'iocb.R1.ioprio-no-block',
        'iocb.R1.ioprio-perm',
        'iocb.R1.ioprio-invalid',
        'iocb.R2.rwf-unknown',
        'iocb.R2.rwf-append-conflict',
        'iocb.R2.rwf-nowait',
        'iocb.R2.rwf-atomic',
        'iocb.R2.rwf-dontcache',
        'iocb.R2.noappend-append-only',
        'iocb.R3.access-mode',
        'iocb.R4.no-iter',
        'iocb.R5.buffer-fault',
        'iocb.R5.iovec-count',
        'iocb.R5.iovec-fault',
        'iocb.R5.iov-len',
        'iocb.R5.iov-base-fault',
        'iocb.R6.offset',
        'iocb.R7.rw',
      ];
    case 'fsync':
      return [...generic, 'iocb.F1.fields', 'iocb.F2.no-fsync', 'iocb.F3.creds', 'iocb.F4.fsync'];
    case 'poll':
      return [
        ...generic,
        'iocb.Q1.mask-bits',
        'iocb.Q2.fields',
        'iocb.Q3.no-poll-unmet',
        'iocb.Q3.poll',
      ];
    default:
      return generic;
  }
}

/** gVisor's checks of one iocb (§8): fds before aio_nbytes, the context last but one. */
export const GVISOR_IOCB_ORDER: readonly IocbRuleId[] = [
  'submit.array-fault',
  'iocb.P1.copy-fault',
  'iocb.P2.reserved2',
  'iocb.P5.bad-fd',
  'iocb.P6.resfd-bad',
  'iocb.P6.resfd-not-eventfd',
  'iocb.P3.nbytes-sign',
  'gvisor.iocb-opcode',
  'gvisor.iocb-iovec-count',
  'gvisor.iocb-iov-len',
  'gvisor.iocb-buffer',
  'gvisor.iocb-offset',
  'gvisor.iocb-ctx',
  'iocb.P4.no-slot',
  'gvisor.iocb-queued',
];

/** The rules that, on Linux, come after P7: aio_key has been written whatever they decide. */
export function keyWrittenBy(rule: IocbRuleId, profile: 'linux' | 'gvisor'): boolean {
  if (profile === 'gvisor') return false;
  const order = linuxIocbOrder('read');
  const i = order.indexOf(rule);
  // Rules of other opcodes' lists (F*, Q*) all come after P8.
  return i < 0
    ? rule.startsWith('iocb.F') || rule.startsWith('iocb.Q')
    : i > order.indexOf('iocb.P7.key-write-fault');
}
