/** gVisor's AIO family (aio-family.md §8): its own order, NOOP, no POLL, ENOSYS, no ring, nr_events capacity. */
import { describe, expect, it } from 'vitest';
import {
  commitIoGetevents,
  decideIoCancel,
  decideIoGetevents,
  decideIoPgetevents,
  type FileSpec,
  IOCB_CMD,
  type IocbSpec,
} from '../../model/index.js';
import { rig, submit } from './family-helpers.js';

const FILES: readonly FileSpec[] = [
  { kind: 'file', mode: 'rw', size: 100 },
  { kind: 'file', mode: 'w', size: 0 },
];
const READ: IocbSpec = { opcode: IOCB_CMD.PREAD, fd: { file: 0 }, buf: { bytes: 4 }, key: 0xdead };
const gv = (nr = 4) => rig(FILES, { profile: 'gvisor', nr });

describe('gVisor io_submit', () => {
  it('NOOP is accepted and completes later with res 0; aio_key is never written', () => {
    const o = submit(gv(), [{ ...READ, opcode: IOCB_CMD.NOOP }]);
    expect(o.ret).toBe(1);
    expect(o.entries[0]).toMatchObject({
      completes: 'later',
      keyWritten: false,
      event: { res: 0n, ordered: false },
    });
  });
  it('POLL is EINVAL', () => {
    const o = submit(gv(), [{ opcode: IOCB_CMD.POLL, fd: { file: 0 }, buf: { value: 1n } }]);
    expect([o.entries[0]!.rule, o.errno]).toEqual(['gvisor.iocb-opcode', 'EINVAL']);
  });
  it('a read on a write-only fd is submitted; the event carries -EBADF', () => {
    const o = submit(gv(), [{ ...READ, fd: { file: 1 } }]);
    expect([o.ret, o.entries[0]!.event?.res]).toEqual([1, -9n]);
  });
  it('reads are never inline and the ring is never updated: head = tail = 0', () => {
    const o = submit(gv(), [READ, READ]);
    expect(o.entries.map((e) => e.completes)).toEqual(['later', 'later']);
    expect(o.ring).toEqual({ head: 0, tail: 0 });
    expect(o.inFlight).toBe(2);
  });
  it('nr = 0 returns 0 for any handle', () => {
    expect(submit(gv(), [], { nr: 0n, ctx: 0n }).ret).toBe(0);
  });
  it('the context is checked per iocb, after the fd: bad ctx + bad fd is EBADF, bad ctx alone EINVAL', () => {
    expect(submit(gv(), [{ ...READ, fd: { fd: 999 } }], { ctx: 0n }).errno).toBe('EBADF');
    const o = submit(gv(), [READ], { ctx: 0n });
    expect([o.entries[0]!.rule, o.errno]).toEqual(['gvisor.iocb-ctx', 'EINVAL']);
  });
  it('capacity is exactly nr_events outstanding; a full context with a bad fd is EBADF', () => {
    const r = gv(4);
    const o = submit(r, [READ, READ, READ, READ, READ]);
    expect(o.ret).toBe(4);
    expect(o.entries[4]!.rule).toBe('iocb.P4.no-slot');
    expect(submit(r, [{ ...READ, fd: { fd: 999 } }]).errno).toBe('EBADF');
    const g = decideIoGetevents(r.env, r.proc, r.fam, {
      ctx: r.ctx.handle,
      minNr: 2,
      nr: 2,
      timeout: { sec: 1n, nsec: 0n },
    });
    commitIoGetevents(r.fam, g);
    expect(g.ret).toBe(2);
    expect(g.events.every((e) => !e.ordered)).toBe(true);
    expect(submit(r, [READ, READ, READ]).ret).toBe(2);
  });
});

describe('gVisor io_getevents, io_pgetevents, io_cancel', () => {
  it('min/nr first, then the context, then the timeout', () => {
    const r = gv();
    const call = { ctx: 0n, minNr: 2, nr: 1, timeout: 'unmapped' as const };
    expect(decideIoGetevents(r.env, r.proc, r.fam, call).rule).toBe('getevents.min-nr');
    expect(decideIoGetevents(r.env, r.proc, r.fam, { ...call, minNr: 0 }).rule).toBe(
      'getevents.ctx-lookup',
    );
    const bad = { ...call, ctx: r.ctx.handle, minNr: 0 };
    expect(decideIoGetevents(r.env, r.proc, r.fam, bad).rule).toBe('getevents.timeout-fault');
  });
  it('an invalid timespec is EINVAL (Linux never checks it)', () => {
    const r = gv();
    const o = decideIoGetevents(r.env, r.proc, r.fam, {
      ctx: r.ctx.handle,
      minNr: 0,
      nr: 1,
      timeout: { sec: 0n, nsec: -1n },
    });
    expect([o.rule, o.errno]).toEqual(['gvisor.getevents-timespec', 'EINVAL']);
  });
  it('io_pgetevents and io_cancel are ENOSYS', () => {
    const r = gv();
    expect(
      decideIoPgetevents(r.env, r.proc, r.fam, { ctx: r.ctx.handle, minNr: 0, nr: 1 }).errno,
    ).toBe('ENOSYS');
    expect(decideIoCancel(r.env, r.proc, r.fam, { ctx: 0n, iocb: { null: true } }).errno).toBe(
      'ENOSYS',
    );
  });
});
