/**
 * gVisor's AIO family, where its answers differ from Linux's beyond order
 * (aio-family.md §8): per-iovec checks at submit, and what the request's
 * goroutine puts in the event. Each row says where its expected value comes
 * from: gVisor's source (google/gvisor, pkg/sentry) or what runsc did when
 * the family suites ran on it (fixtures/gvisor-family.trace.jsonl).
 */
import { describe, expect, it } from 'vitest';
import {
  commitIoGetevents,
  decideIoGetevents,
  type FileSpec,
  IOCB_CMD,
  type IocbSpec,
  loseFirstEvent,
} from '../../model/index.js';
import { rig, submit } from './family-helpers.js';

const FILES: readonly FileSpec[] = [
  { kind: 'file', mode: 'rw', size: 100 },
  { kind: 'pipe', nonblock: true, fill: 64 },
  { kind: 'eventfd', nonblock: true, count: 1 },
  { kind: 'dir' },
  { kind: 'file', mode: 'r', size: 0, append: true },
];
const gv = () => rig(FILES, { profile: 'gvisor', nr: 8 });
const lx = () => rig(FILES, { profile: 'linux', nr: 8 });
const ESPIPE = -29n;
const EINVAL = -22n;
const EFAULT = -14n;
const SIGN = 1n << 63n;

const preadv = (iov: NonNullable<IocbSpec['buf']>): IocbSpec => ({
  opcode: IOCB_CMD.PREADV,
  fd: { file: 0 },
  buf: iov,
});

describe('gVisor io_submit: iovecs are checked one by one (task_usermem.go copyInIovecs → makeIovec)', () => {
  it('an iov_len with the sign bit after a good iovec: EINVAL at submit (runsc: EINVAL)', () => {
    const o = submit(gv(), [preadv({ iov: [{ bytes: 16 }, { base: 0n, len: SIGN }] })]);
    expect([o.ret, o.errno, o.entries[0]!.rule]).toEqual([-22, 'EINVAL', 'gvisor.iocb-iov-len']);
  });
  it('base 0 with len 2^63: EINVAL (runsc: EINVAL), len 2^62: EFAULT (CheckIORange past the address space)', () => {
    expect(submit(gv(), [preadv({ iov: [{ base: 0n, len: SIGN }] })]).errno).toBe('EINVAL');
    const far = submit(gv(), [preadv({ iov: [{ base: 0n, len: 1n << 62n }] })]);
    expect([far.errno, far.entries[0]!.rule]).toEqual(['EFAULT', 'gvisor.iocb-buffer']);
  });
  it('the first bad iovec decides: a bad range before a sign bit is EFAULT on gVisor, EINVAL on Linux', () => {
    // Linux's copy_iovec_from_user() checks every length before __import_iovec()'s access_ok().
    const iov = {
      iov: [
        { base: 1n << 47n, len: 8n },
        { base: 0n, len: SIGN },
      ],
    };
    expect(submit(gv(), [preadv(iov)]).errno).toBe('EFAULT');
    expect(submit(lx(), [preadv(iov)]).errno).toBe('EINVAL');
  });
  it('an iovec count past the listed iovecs faults on the copy: EFAULT', () => {
    expect(submit(gv(), [{ ...preadv({ iov: [{ bytes: 8 }] }), nbytes: 2n }]).errno).toBe('EFAULT');
  });
});

/** The event res gVisor's goroutine gives this iocb (submitted alone on a fresh rig). */
function res(iocb: IocbSpec): bigint | undefined {
  const o = submit(gv(), [iocb]);
  expect(o.ret).toBe(1);
  return o.entries[0]!.event?.res;
}

describe("gVisor's event res (sys_aio.go getAIOCallback → vfs FileDescription.PRead/PWrite/Sync)", () => {
  it('pread on a pipe’s write end, pwrite on its read end: -ESPIPE (runsc: -29; DenyPRead/DenyPWrite before the mode check)', () => {
    const buf = { bytes: 64 };
    expect(res({ opcode: IOCB_CMD.PREAD, fd: { file: 1, end: 'write' }, buf })).toBe(ESPIPE);
    expect(res({ opcode: IOCB_CMD.PWRITE, fd: { file: 1, end: 'read' }, buf })).toBe(ESPIPE);
    expect(res({ opcode: IOCB_CMD.PREAD, fd: { file: 1, end: 'read' }, buf })).toBe(ESPIPE);
  });
  it('pwrite on an eventfd: -ESPIPE (eventfd.go: DenyPWrite)', () => {
    expect(res({ opcode: IOCB_CMD.PWRITE, fd: { file: 2 }, buf: { bytes: 8 } })).toBe(ESPIPE);
  });
  it('FSYNC and FDSYNC of a pipe or an eventfd: -EINVAL (runsc: -22; FileDescriptionDefaultImpl.Sync)', () => {
    for (const opcode of [IOCB_CMD.FSYNC, IOCB_CMD.FDSYNC]) {
      expect(res({ opcode, fd: { file: 1, end: 'write' } })).toBe(EINVAL);
      expect(res({ opcode, fd: { file: 2 } })).toBe(EINVAL);
    }
  });
  it('FSYNC of a tmpfs file or directory, fields set or not: 0 (tmpfs fileDescription.Sync returns nil)', () => {
    expect(res({ opcode: IOCB_CMD.FSYNC, fd: { file: 0 }, buf: { value: 1n } })).toBe(0n);
    expect(res({ opcode: IOCB_CMD.FDSYNC, fd: { file: 3 } })).toBe(0n);
  });
  it('pread into an unmapped buffer past EOF: -EFAULT (runsc: -14; Linux gives 0 at EOF)', () => {
    const iocb: IocbSpec = {
      opcode: IOCB_CMD.PREAD,
      fd: { file: 0 },
      buf: { unmapped: true },
      offset: 5_874_641_824_294_847_506n,
    };
    expect(res(iocb)).toBe(EFAULT);
    const linux = submit(lx(), [iocb]);
    expect(linux.entries[0]!.event?.res).toBe(0n);
  });
  it('pread of 0 bytes into an unmapped buffer: 0 (regularFileFD.PRead returns before the copy)', () => {
    expect(
      res({ opcode: IOCB_CMD.PREAD, fd: { file: 0 }, buf: { unmapped: true }, nbytes: 0n }),
    ).toBe(0n);
  });
  it('pwrite whose end passes int64: -EINVAL in the event (runsc: -22; regular_file.go pwrite: end < offset)', () => {
    const iocb: IocbSpec = {
      opcode: IOCB_CMD.PWRITE,
      fd: { file: 0 },
      buf: { bytes: 4096 },
      offset: (1n << 63n) - 1n - 100n,
    };
    expect(res(iocb)).toBe(EINVAL);
  });
  it('a read that faults after some bytes: res 0, HandleIOError consumes the EFAULT (source; §8 inference)', () => {
    // 16 mapped bytes, then an iovec at an unmapped (literal) base: 16 are read, then the fault.
    const iov = { iov: [{ bytes: 16 }, { base: 0x1000n, len: 16n }] };
    expect(res(preadv(iov))).toBe(0n);
  });
  it('a pwrite on a read-only fd: -EBADF (IsWritable); a directory read: -EISDIR', () => {
    expect(res({ opcode: IOCB_CMD.PWRITE, fd: { file: 4 }, buf: { bytes: 8 } })).toBe(-9n);
    expect(res({ opcode: IOCB_CMD.PREAD, fd: { file: 3 }, buf: { bytes: 8 } })).toBe(-21n);
  });
});

describe('gVisor io_getevents with an events buffer it cannot write (sys_aio.go IoGetevents)', () => {
  const READ: IocbSpec = { opcode: IOCB_CMD.PREAD, fd: { file: 0 }, buf: { bytes: 4 } };
  const take = (r: ReturnType<typeof gv>, call: Parameters<typeof decideIoGetevents>[3]) => {
    const o = decideIoGetevents(r.env, r.proc, r.fam, call);
    commitIoGetevents(r.fam, o);
    return o;
  };
  it('events landed: EFAULT, and only the first popped is lost (the loop returns at the first failed copy)', () => {
    const r = gv();
    submit(r, [READ, READ]);
    const ctx = r.ctx.handle;
    const o = take(r, { ctx, minNr: 2, nr: 2, events: 'null', timeout: { sec: 1n, nsec: 0n } });
    expect([o.ret, o.errno]).toEqual([-14, 'EFAULT']);
    const after = take(r, { ctx, minNr: 0, nr: 8 });
    expect(after.ret).toBe(1);
  });
  it('nothing landed, completions in flight, no wait: 0, or EFAULT if one landed meanwhile (orFault; runsc: EFAULT)', () => {
    const r = gv();
    submit(r, [READ]);
    const ctx = r.ctx.handle;
    const o = decideIoGetevents(r.env, r.proc, r.fam, { ctx, minNr: 1, nr: 1, events: 'null' });
    expect([o.rule, o.errno, o.orFault]).toEqual(['getevents.collected', null, true]);
    // gVisor said EFAULT: the event landed and was lost.
    loseFirstEvent(r.proc, r.fam, ctx);
    const after = take(r, { ctx, minNr: 0, nr: 8, timeout: { sec: 1n, nsec: 0n } });
    expect(after.ret).toBe(0);
  });
  it('a writable buffer never has the alternative; Linux never has it', () => {
    const r = gv();
    submit(r, [READ]);
    const call = { ctx: r.ctx.handle, minNr: 1, nr: 1 };
    expect(decideIoGetevents(r.env, r.proc, r.fam, call).orFault).toBe(false);
    const l = lx();
    submit(l, [{ opcode: IOCB_CMD.FSYNC, fd: { file: 0 } }]);
    const nul = { ctx: l.ctx.handle, minNr: 1, nr: 1, events: 'null' as const };
    expect(decideIoGetevents(l.env, l.proc, l.fam, nul).orFault).toBe(false);
  });
});
