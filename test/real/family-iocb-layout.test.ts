/**
 * The bytes the family backend hands the kernel: struct iocb as the UAPI
 * header lays it out (offsets and widths from ../shared/notes/aio-family.md
 * §1.1, written out here rather than taken from model/abi/iocb.ts), and the
 * CPU a pinned case runs on. Pure: no kernel needed.
 */
import { describe, expect, it } from 'vitest';
import { lowestCpu } from '../../real/cpu-pin.js';
import { writeIocb } from '../../real/iocb-memory.js';

describe('struct iocb as the worker writes it', () => {
  it('puts every field at its UAPI offset, little-endian, with the widths of aio_abi.h', () => {
    const v = new DataView(new ArrayBuffer(64 + 16));
    new Uint8Array(v.buffer).fill(0xee);
    writeIocb(v, 8, {
      data: 0x1122334455667788n,
      key: 0xdeadbeef,
      rwFlags: 0x10,
      opcode: 5,
      reqprio: -2,
      fildes: 0xffffffff,
      buf: 0xfedcba9876543210n,
      nbytes: 7n,
      offset: -1n,
      reserved2: 3n,
      flags: 1,
      resfd: 9,
    });
    const at = (o: number) => 8 + o;
    expect(v.getBigUint64(at(0), true)).toBe(0x1122334455667788n); // aio_data @0
    expect(v.getUint32(at(8), true)).toBe(0xdeadbeef); // aio_key @8
    expect(v.getUint32(at(12), true)).toBe(0x10); // aio_rw_flags @12
    expect(v.getUint16(at(16), true)).toBe(5); // aio_lio_opcode u16 @16
    expect(v.getInt16(at(18), true)).toBe(-2); // aio_reqprio s16 @18
    expect(v.getUint32(at(20), true)).toBe(0xffffffff); // aio_fildes u32 @20
    expect(v.getBigUint64(at(24), true)).toBe(0xfedcba9876543210n); // aio_buf @24
    expect(v.getBigUint64(at(32), true)).toBe(7n); // aio_nbytes @32
    expect(v.getBigInt64(at(40), true)).toBe(-1n); // aio_offset s64 @40
    expect(v.getBigUint64(at(48), true)).toBe(3n); // aio_reserved2 @48
    expect(v.getUint32(at(56), true)).toBe(1); // aio_flags @56
    expect(v.getUint32(at(60), true)).toBe(9); // aio_resfd @60
    // Nothing outside the 64 bytes is touched.
    expect([...new Uint8Array(v.buffer, 0, 8), ...new Uint8Array(v.buffer, 72, 8)]).toEqual(
      Array(16).fill(0xee),
    );
  });

  it('clears what a previous iocb left in the same bytes', () => {
    const v = new DataView(new ArrayBuffer(64));
    new Uint8Array(v.buffer).fill(0xff);
    writeIocb(v, 0, {
      data: 0n,
      key: 0,
      rwFlags: 0,
      opcode: 0,
      reqprio: 0,
      fildes: 0,
      buf: 0n,
      nbytes: 0n,
      offset: 0n,
      reserved2: 0n,
      flags: 0,
      resfd: 0,
    });
    expect(new Uint8Array(v.buffer).every((b) => b === 0)).toBe(true);
  });
});

describe('the CPU a pinned case runs on', () => {
  it('is the lowest CPU of the mask', () => {
    expect(lowestCpu(Uint8Array.from([0b0000_0110]))).toBe(1);
    expect(lowestCpu(Uint8Array.from([0, 0, 0b1000_0000]))).toBe(23);
    expect(lowestCpu(new Uint8Array(128))).toBeNull();
  });
});
