/**
 * io_getevents (§3), io_pgetevents (§4), io_cancel (§5), POLL wake-ups by
 * write(2) (§2.5), and the process's seccomp filters on the family
 * (moby#38894). Expected values from aio-family.md.
 */
import { describe, expect, it } from 'vitest';
import {
  commitFd,
  commitIoCancel,
  commitIoGetevents,
  commitIoPgetevents,
  decideFdRead,
  decideFdWrite,
  decideIoCancel,
  decideIoGetevents,
  decideIoPgetevents,
  decideIoSubmit,
  type FileSpec,
  familyFilterProblem,
  familyKernel,
  followIoGetevents,
  followIoSubmit,
  type GeteventsCall,
  IOCB_CMD,
  type IocbSpec,
  newFamilyState,
  type PgeteventsCall,
} from '../../model/index.js';
import { type Rig, rig, submit } from './family-helpers.js';
import { filterOf } from './seccomp-helpers.js';

const FILES: readonly FileSpec[] = [
  { kind: 'file', mode: 'rw', size: 100 },
  { kind: 'pipe' },
  { kind: 'eventfd', count: 0, nonblock: true },
];
const READ: IocbSpec = { opcode: IOCB_CMD.PREAD, fd: { file: 0 }, buf: { bytes: 4 } };
const POLL_IN_PIPE: IocbSpec = {
  opcode: IOCB_CMD.POLL,
  fd: { file: 1, end: 'read' },
  buf: { value: 1n },
  data: 0x77n,
};

function get(r: Rig, call: Partial<GeteventsCall>) {
  const o = decideIoGetevents(r.env, r.proc, r.fam, {
    ctx: r.ctx.handle,
    minNr: 0,
    nr: 8,
    ...call,
  });
  commitIoGetevents(r.fam, o);
  return o;
}
function pget(r: Rig, call: Partial<PgeteventsCall>) {
  const o = decideIoPgetevents(r.env, r.proc, r.fam, {
    ctx: r.ctx.handle,
    minNr: 0,
    nr: 8,
    ...call,
  });
  commitIoPgetevents(r.fam, o);
  return o;
}
function cancel(r: Rig, iocb: Parameters<typeof decideIoCancel>[3]['iocb'], ctx = r.ctx.handle) {
  const o = decideIoCancel(r.env, r.proc, r.fam, { ctx, iocb });
  commitIoCancel(r.fam, o);
  return o;
}

describe('io_getevents (§3)', () => {
  it('an unreadable timeout is EFAULT before the context is looked up (6.x)', () => {
    const o = get(rig(FILES), { ctx: 0n, timeout: 'unmapped' });
    expect([o.rule, o.errno]).toEqual(['getevents.timeout-fault', 'EFAULT']);
  });
  it('a bad context is EINVAL', () => {
    expect(get(rig(FILES), { ctx: 0n }).errno).toBe('EINVAL');
  });
  it('min_nr > nr, min_nr < 0, nr < 0 are EINVAL', () => {
    const r = rig(FILES);
    expect(get(r, { minNr: 2, nr: 1 }).rule).toBe('getevents.min-nr');
    expect(get(r, { minNr: -1, nr: 1 }).errno).toBe('EINVAL');
    expect(get(r, { minNr: 0, nr: -1 }).errno).toBe('EINVAL');
  });
  it('timespec values are not validated: {-1, 1e9} and {0, ~0} return what is there', () => {
    const r = rig(FILES);
    expect(get(r, { timeout: { sec: -1n, nsec: 1_000_000_000n } }).ret).toBe(0);
    expect(get(r, { timeout: { sec: 0n, nsec: -1n } }).ret).toBe(0);
  });
  it('a NULL events buffer is not noticed while the ring is empty', () => {
    expect(get(rig(FILES), { minNr: 0, nr: 1, events: 'null' }).ret).toBe(0);
  });
  it('with an event to copy, an unwritable buffer is EFAULT and the head stays', () => {
    const r = rig(FILES);
    submit(r, [READ]);
    const o = get(r, { nr: 1, events: 'unmapped' });
    expect([o.errno, o.ring]).toEqual(['EFAULT', { head: 0, tail: 1 }]);
    const again = get(r, { nr: 1 });
    expect([again.ret, again.ring]).toEqual([1, { head: 1, tail: 1 }]);
  });
  it('events come out in ring order, up to nr, and move head', () => {
    const r = rig(FILES);
    submit(r, [
      { ...READ, data: 1n },
      { ...READ, data: 2n },
      { ...READ, data: 3n },
    ]);
    const o = get(r, { nr: 2 });
    expect(o.events.map((e) => e.data)).toEqual([1n, 2n]);
    expect(o.ring).toEqual({ head: 2, tail: 3 });
    expect(get(r, { nr: 8 }).events.map((e) => e.data)).toEqual([3n]);
  });
  it('min_nr = 0 never blocks, even with a NULL timeout', () => {
    const o = get(rig(FILES), { minNr: 0, nr: 1, timeout: 'null' });
    expect([o.ret, o.wouldBlock]).toEqual([0, null]);
  });
  it('NULL timeout with min_nr more than can ever arrive would block', () => {
    const o = get(rig(FILES), { minNr: 1, nr: 1, timeout: 'null' });
    expect(o.wouldBlock).not.toBeNull();
  });
  it('a finite timeout with too few events returns what there is after waiting', () => {
    const r = rig(FILES);
    submit(r, [READ]);
    const o = get(r, { minNr: 2, nr: 2, timeout: { sec: 0n, nsec: 1_000_000n } });
    expect([o.ret, o.waits]).toEqual([1, true]);
  });
  it('FSYNC events land when the call waits for them, unordered', () => {
    const r = rig(FILES);
    submit(r, [{ opcode: IOCB_CMD.FSYNC, fd: { file: 0 }, data: 9n }, READ]);
    const o = get(r, { minNr: 2, nr: 2, timeout: { sec: 1n, nsec: 0n } });
    expect(o.ret).toBe(2);
    expect(o.includesAsync).toBe(true);
    expect(o.exact).toBe(true);
    expect(o.events.find((e) => e.data === 9n)).toMatchObject({ res: 0n, ordered: false });
  });
  it('with a zero timeout an in-flight FSYNC makes the count uncertain', () => {
    const r = rig(FILES);
    submit(r, [{ opcode: IOCB_CMD.FSYNC, fd: { file: 0 } }]);
    expect(get(r, { minNr: 0, nr: 1 }).exact).toBe(false);
  });
});

describe('io_pgetevents (§4)', () => {
  it('sigsetsize ≠ 8 with a mask is EINVAL, before the context (bad ctx → still EINVAL from sigsetsize)', () => {
    const o = pget(rig(FILES), { ctx: 0n, sig: { mask: 'empty', size: 4n } });
    expect([o.rule, o.errno]).toEqual(['pgetevents.sigsetsize', 'EINVAL']);
  });
  it('sigsetsize is ignored when the sigmask is NULL', () => {
    expect(pget(rig(FILES), { sig: { mask: 'null', size: 4n } }).ret).toBe(0);
  });
  it('an unreadable usig and an unreadable sigmask are EFAULT, timeout first', () => {
    const r = rig(FILES);
    expect(pget(r, { sig: 'unmapped' }).rule).toBe('pgetevents.usig-fault');
    expect(pget(r, { sig: { mask: 'unmapped', size: 8n } }).rule).toBe('pgetevents.sigmask-fault');
    expect(pget(r, { sig: 'unmapped', timeout: 'unmapped' }).rule).toBe('getevents.timeout-fault');
  });
  it('pending SIGUSR1 unblocked by the mask, empty ring, timeout 0: EINTR and the handler runs', () => {
    const o = pget(rig(FILES), { pendingUsr1: true, sig: { mask: 'empty', size: 8n } });
    expect([o.errno, o.usr1]).toEqual(['EINTR', 1]);
  });
  it('... with an event pending: the count, and the handler still runs', () => {
    const r = rig(FILES);
    submit(r, [READ]);
    const o = pget(r, { pendingUsr1: true, sig: { mask: 'empty', size: 8n } });
    expect([o.ret, o.usr1]).toEqual([1, 1]);
  });
  it('... with a mask keeping SIGUSR1 blocked: 0, no handler', () => {
    const o = pget(rig(FILES), { pendingUsr1: true, sig: { mask: 'block-usr1', size: 8n } });
    expect([o.ret, o.usr1]).toEqual([0, 0]);
  });
  it('io_getevents installs no mask: a blocked pending SIGUSR1 changes nothing', () => {
    const o = get(rig(FILES), { pendingUsr1: true });
    expect(o.ret).toBe(0);
  });
});

describe('io_cancel (§5) and POLL wake-ups (§2.5)', () => {
  it('a NULL iocb is EFAULT even with a zero context', () => {
    expect(cancel(rig(FILES), { null: true }, 0n).errno).toBe('EFAULT');
  });
  it('aio_key ≠ 0 is EINVAL (cancel.key-nonzero) before the context', () => {
    const o = cancel(rig(FILES), { fresh: { ...READ, key: 5 } }, 0n);
    expect(o.rule).toBe('cancel.key-nonzero');
  });
  it('key 0 with a bad context is EINVAL (cancel.ctx-lookup)', () => {
    expect(cancel(rig(FILES), { fresh: READ }, 0n).rule).toBe('cancel.ctx-lookup');
  });
  it('a completed read is not on active_reqs: EINVAL', () => {
    const r = rig(FILES);
    submit(r, [READ]);
    expect(cancel(r, { submitted: 1, index: 0 }).rule).toBe('cancel.not-found');
  });
  it('a pending POLL: EINPROGRESS, later an event with res 0; a second cancel is EINVAL', () => {
    const r = rig(FILES);
    const s = submit(r, [POLL_IN_PIPE]);
    expect(s.entries[0]!.completes).toBe('later');
    const o = cancel(r, { submitted: 1, index: 0 });
    expect([o.ret, o.errno, o.resultUntouched]).toEqual([-115, 'EINPROGRESS', true]);
    expect(cancel(r, { submitted: 1, index: 0 }).errno).toBe('EINVAL');
    const g = get(r, { minNr: 1, nr: 1, timeout: { sec: 1n, nsec: 0n } });
    expect(g.events).toEqual([
      {
        data: 0x77n,
        obj: { submitted: 1, index: 0 },
        res: 0n,
        res2: 0n,
        ordered: false,
        resMask: null,
      },
    ]);
  });
  it('a write to the pipe completes the pending POLL; res compared under requested ∪ {ERR, HUP}', () => {
    const r = rig(FILES);
    submit(r, [POLL_IN_PIPE]);
    const w = decideFdWrite(r.env, r.fam, { fd: { file: 1, end: 'write' }, bytes: 3 });
    expect([w.ret, w.woken]).toEqual([3, 1]);
    commitFd(r.fam, w);
    const g = get(r, { minNr: 1, nr: 1, timeout: { sec: 1n, nsec: 0n } });
    const ev = g.events[0]!;
    expect(ev.resMask).toBe(0x19n);
    // the inline path gives the whole wake-up key 0x41; the workqueue path 0x1: equal under the mask
    expect(0x41n & ev.resMask!).toBe(ev.res & ev.resMask!);
    expect(cancel(r, { submitted: 1, index: 0 }).errno).toBe('EINVAL');
  });
  it('a write of 0 bytes to the pipe wakes no POLL (pipe_write returns 0 before any wake-up)', () => {
    const r = rig(FILES);
    submit(r, [POLL_IN_PIPE]);
    const w = decideFdWrite(r.env, r.fam, { fd: { file: 1, end: 'write' }, bytes: 0 });
    expect([w.ret, w.woken]).toEqual([0, 0]);
  });
  it('the fd access mode comes first, as vfs_write()/vfs_read() check FMODE_WRITE/FMODE_READ', () => {
    const r = rig([
      { kind: 'file', mode: 'r', size: 4 },
      { kind: 'file', mode: 'w', size: 4 },
      { kind: 'dir' },
    ]);
    expect(decideFdWrite(r.env, r.fam, { fd: { file: 0 }, bytes: 1 }).errno).toBe('EBADF');
    expect(decideFdRead(r.env, r.fam, { fd: { file: 1 }, bytes: 1 }).errno).toBe('EBADF');
    // A directory is opened O_RDONLY: no write; its read is generic_read_dir(): EISDIR.
    expect(decideFdWrite(r.env, r.fam, { fd: { file: 2 }, bytes: 1 }).errno).toBe('EBADF');
    expect(decideFdRead(r.env, r.fam, { fd: { file: 2 }, bytes: 1 }).errno).toBe('EISDIR');
  });
  it('eventfd: read returns the count and resets it; an empty non-blocking one is EAGAIN', () => {
    const r = rig(FILES);
    commitFd(r.fam, decideFdWrite(r.env, r.fam, { fd: { file: 2 }, bytes: 8 }));
    const rd = decideFdRead(r.env, r.fam, { fd: { file: 2 }, bytes: 8 });
    expect([rd.ret, rd.value]).toEqual([8, 1n]);
    commitFd(r.fam, rd);
    expect(decideFdRead(r.env, r.fam, { fd: { file: 2 }, bytes: 8 }).errno).toBe('EAGAIN');
  });
});

describe('seccomp on the family (moby#38894)', () => {
  it('io_pgetevents denied with EPERM while io_getevents is allowed', () => {
    const filter = filterOf({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['io_pgetevents'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
    });
    expect(familyFilterProblem(filter)).toBeNull();
    const r = rig(FILES);
    const env = { ...r.env, seccompFilters: [filter] };
    const p = decideIoPgetevents(env, r.proc, r.fam, { ctx: r.ctx.handle, minNr: 0, nr: 1 });
    const g = decideIoGetevents(env, r.proc, r.fam, { ctx: r.ctx.handle, minNr: 0, nr: 1 });
    expect([p.rule, p.errno, p.ret]).toEqual(['seccomp.family-errno', 'EPERM', -1]);
    expect([g.errno, g.ret]).toEqual([null, 0]);
  });
  it('a rule on a pointer argument is refused', () => {
    const filter = filterOf({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [
        {
          names: ['io_submit'],
          action: 'SCMP_ACT_ERRNO',
          args: [{ index: 2, value: 0, op: 'SCMP_CMP_EQ' }],
        },
      ],
    });
    expect(familyFilterProblem(filter)).toMatch(/pointer/);
  });
});

describe('familyKernel (release → target)', () => {
  const rows: [string, string][] = [
    ['6.1.153', '6.1'],
    ['5.15.0-91-generic', '6.1'],
    ['6.8.0', '6.1'],
    ['6.9.1', '6.12'],
    ['6.12.48', '6.12'],
    ['6.13.2', '6.12'],
    ['6.14.0', '6.18'],
    ['6.18.44-fc-v657', '6.18'],
    ['7.0.0', '6.18'],
    ['garbage', '6.1'],
  ];
  for (const [release, k] of rows)
    it(`${release} → ${k}`, () => expect(familyKernel(release)).toBe(k));
});

describe('following the kernel after a divergence', () => {
  it('followIoSubmit keeps only the count the kernel submitted', () => {
    const r = rig(FILES);
    const call = {
      ctx: r.ctx.handle,
      ctxReadable: true,
      nr: 3n,
      array: 'readable' as const,
      iocbs: [READ, READ, READ],
      submitStep: 1,
    };
    const o = followIoSubmit(r.env, r.proc, r.fam, call, 2);
    expect([o.ret, o.ring]).toEqual([2, { head: 0, tail: 2 }]);
  });
  it('followIoGetevents lands only the flights the kernel returned; the others stay in flight', () => {
    // UML 6.12.117 (one CPU): of two FSYNCs on the workqueue io_getevents returned the first, and a
    // zero-timeout io_getevents right after found nothing: landing one says nothing of the other.
    const r = rig(FILES);
    submit(r, [
      { opcode: IOCB_CMD.FSYNC, fd: { file: 0 }, data: 1n },
      READ,
      { opcode: IOCB_CMD.FSYNC, fd: { file: 0 }, data: 3n },
    ]);
    const flights = r.fam.contexts.get(r.ctx.handle)!.inFlight.map((f) => f.event);
    expect(flights.map((e) => e.data)).toEqual([1n, 3n]);
    const seen = [flights[0]!, { ...flights[0]!, data: 0n, obj: { submitted: 0, index: 1 } }];
    const o = followIoGetevents(
      r.env,
      r.proc,
      r.fam,
      { ctx: r.ctx.handle, minNr: 2, nr: 64 },
      2,
      seen,
    );
    expect(o?.events.map((e) => e.data).sort()).toEqual([0n, 1n]);
    const after = r.fam.contexts.get(r.ctx.handle)!;
    expect(after.inFlight.map((f) => f.event.data)).toEqual([3n]);
    // Nothing is sure in the ring now: a zero-timeout call may find 0 or 1.
    const next = get(r, { minNr: 0, nr: 16 });
    expect([next.ret, next.exact]).toEqual([0, false]);
  });
  it('followIoGetevents takes exactly what the kernel returned', () => {
    const r = rig(FILES);
    submit(r, [READ, READ, READ]);
    followIoGetevents(r.env, r.proc, r.fam, { ctx: r.ctx.handle, minNr: 0, nr: 3 }, 1);
    expect([r.ctx.header.head, r.ctx.header.tail]).toEqual([1, 3]);
  });
  it('submit reports aio_key per entry: 0 once written, the caller’s value otherwise, null for NULL', () => {
    const r = rig(FILES);
    const o = submit(r, [{ ...READ, key: 7 }, { null: true }]);
    expect(o.keys).toEqual([0, null]);
    const bad = submit(r, [{ ...READ, key: 7, fd: { fd: 999 } }]);
    expect(bad.keys).toEqual([7]);
  });
  it('an unpinned worker past L gets a capacity doubt', () => {
    const r = rig([{ kind: 'file', mode: 'rw', size: 4 }], { cpus: 4, nr: 1 });
    const env = { ...r.env, pinned: false };
    const fam = newFamilyState(env, [{ kind: 'file', mode: 'rw', size: 4 }]);
    const call = (n: number) => ({
      ctx: r.ctx.handle,
      ctxReadable: true,
      nr: BigInt(n),
      array: 'readable' as const,
      iocbs: new Array(n).fill({ opcode: IOCB_CMD.PREAD, fd: { file: 0 }, buf: { bytes: 1 } }),
      submitStep: 1,
    });
    expect(decideIoSubmit(env, r.proc, fam, call(81)).capacityDoubt).toBeNull();
    expect(decideIoSubmit(env, r.proc, fam, call(82)).capacityDoubt).toMatch(/L = 81/);
  });
});

describe('measured on the host (6.18) while writing the model', () => {
  it('io_pgetevents on a bad context with a pending SIGUSR1 the mask unblocks: EINVAL, and the handler runs', () => {
    const o = pget(rig(FILES), {
      ctx: 0x1000n,
      pendingUsr1: true,
      sig: { mask: 'empty', size: 8n },
    });
    expect([o.errno, o.usr1]).toEqual(['EINVAL', 1]);
  });
  it('POLLOUT on a full pipe is pending; a read completes it; res 0x104 matches under the mask', () => {
    const r = rig([{ kind: 'pipe', nonblock: true, fill: 65536 }]);
    const s = submit(r, [
      { opcode: IOCB_CMD.POLL, fd: { file: 0, end: 'write' }, buf: { value: 4n } },
    ]);
    expect(s.entries[0]!.completes).toBe('later');
    expect(get(r, { minNr: 0, nr: 1 }).ret).toBe(0);
    commitFd(r.fam, decideFdRead(r.env, r.fam, { fd: { file: 0, end: 'read' }, bytes: 4096 }));
    const ev = get(r, { minNr: 1, nr: 1, timeout: { sec: 1n, nsec: 0n } }).events[0]!;
    expect(0x104n & ev.resMask!).toBe(ev.res & ev.resMask!);
  });
  it('a POLL ready at submit with RESFD signals the eventfd once', () => {
    const r = rig([
      { kind: 'pipe', nonblock: true },
      { kind: 'eventfd', nonblock: true },
    ]);
    submit(r, [
      {
        opcode: IOCB_CMD.POLL,
        fd: { file: 0, end: 'write' },
        buf: { value: 4n },
        flags: 1,
        resfd: { file: 1 },
      },
    ]);
    expect(decideFdRead(r.env, r.fam, { fd: { file: 1 }, bytes: 8 }).value).toBe(1n);
  });
  it('io_cancel of an FSYNC in flight is EINVAL', () => {
    const r = rig(FILES);
    submit(r, [{ opcode: IOCB_CMD.FSYNC, fd: { file: 0 } }]);
    expect(cancel(r, { submitted: 1, index: 0 }).errno).toBe('EINVAL');
  });
});
