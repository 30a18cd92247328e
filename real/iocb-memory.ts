/**
 * Memory a family case hands to the kernel, owned by the worker: iocbs (64
 * bytes each, model/abi/iocb.ts), read-only iocbs (in PROT_READ pages), data
 * buffers with a known pattern, iovec arrays, iocbpp arrays that end at a
 * PROT_NONE guard page, events buffers, timespecs and sigset structs. Every
 * mapping is recorded and unmapped when the case ends. JavaScript touches only
 * these mappings of ours, never an address the kernel gave.
 */
import { IOCB_BYTES, IOCB_OFFSETS } from '../model/abi/iocb.js';
import type { Libc } from './libc.js';
import {
  MAP_ANONYMOUS,
  MAP_FAILED,
  MAP_PRIVATE,
  PROT_NONE,
  PROT_READ,
  PROT_WRITE,
} from './libc.js';

/** The byte every data buffer starts filled with (what a PWRITE writes). */
export const BUFFER_FILL = 0x5a;
/** The byte io_cancel's result buffer is filled with, to tell whether the kernel wrote it. */
export const RESULT_FILL = 0xa5;
/** Small allocations come from chunks of this many bytes. */
const CHUNK_BYTES = 64 * 1024;

/** struct iocb with every field resolved to a number (u64/s64 as bigint). */
export interface IocbFields {
  readonly data: bigint;
  readonly key: number;
  readonly rwFlags: number;
  readonly opcode: number;
  readonly reqprio: number;
  readonly fildes: number;
  readonly buf: bigint;
  readonly nbytes: bigint;
  readonly offset: bigint;
  readonly reserved2: bigint;
  readonly flags: number;
  readonly resfd: number;
}

/** Write one struct iocb at `at` (little-endian, the UAPI layout of model/abi/iocb.ts). */
export function writeIocb(v: DataView, at: number, f: IocbFields): void {
  const o = IOCB_OFFSETS;
  for (let i = 0; i < IOCB_BYTES; i++) v.setUint8(at + i, 0);
  v.setBigUint64(at + o.data, BigInt.asUintN(64, f.data), true);
  v.setUint32(at + o.key, f.key >>> 0, true);
  v.setUint32(at + o.rwFlags, f.rwFlags >>> 0, true);
  v.setUint16(at + o.opcode, f.opcode & 0xffff, true);
  v.setInt16(at + o.reqprio, (f.reqprio << 16) >> 16, true);
  v.setUint32(at + o.fildes, f.fildes >>> 0, true);
  v.setBigUint64(at + o.buf, BigInt.asUintN(64, f.buf), true);
  v.setBigUint64(at + o.nbytes, BigInt.asUintN(64, f.nbytes), true);
  v.setBigInt64(at + o.offset, BigInt.asIntN(64, f.offset), true);
  v.setBigUint64(at + o.reserved2, BigInt.asUintN(64, f.reserved2), true);
  v.setUint32(at + o.flags, f.flags >>> 0, true);
  v.setUint32(at + o.resfd, f.resfd >>> 0, true);
}

export class CaseMemory {
  private readonly mappings: { addr: bigint; len: number }[] = [];
  private chunk: { addr: bigint; len: number; used: number } | null = null;

  constructor(
    private readonly c: Libc,
    readonly pageSize: number,
  ) {}

  /** A DataView over `len` bytes of our own memory at `addr`. */
  view(addr: bigint, len: number): DataView {
    return new DataView(this.c.view(addr, len));
  }

  /** Whole pages, mapped with `prot` (zeroed). */
  pages(bytes: number, prot = PROT_READ | PROT_WRITE): bigint {
    const len = this.roundUp(Math.max(bytes, 1));
    const addr = this.c.mmap(null, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (addr === MAP_FAILED) throw new Error(`family memory: mmap(${len}) errno ${this.c.errno()}`);
    this.mappings.push({ addr, len });
    return addr;
  }

  /** Zeroed read-write bytes, 16-aligned (large requests get pages of their own). */
  alloc(bytes: number): bigint {
    const need = Math.max(16, Math.ceil(bytes / 16) * 16);
    if (need > CHUNK_BYTES / 4) return this.pages(need);
    if (!this.chunk || this.chunk.used + need > this.chunk.len)
      this.chunk = { addr: this.pages(CHUNK_BYTES), len: CHUNK_BYTES, used: 0 };
    const addr = this.chunk.addr + BigInt(this.chunk.used);
    this.chunk.used += need;
    return addr;
  }

  /** `bytes` of `fill` (data buffers, result buffers). */
  filled(bytes: number, fill: number): bigint {
    const addr = this.alloc(bytes);
    if (bytes > 0) new Uint8Array(this.c.view(addr, bytes)).fill(fill);
    return addr;
  }

  /** Make pages read-only (after writing them). */
  protect(addr: bigint, bytes: number, prot: number): void {
    if (this.c.mprotect(addr, this.roundUp(bytes), prot) !== 0)
      throw new Error(`family memory: mprotect errno ${this.c.errno()}`);
  }

  /**
   * An array of u64 values ending exactly at a PROT_NONE page: an io_submit
   * whose nr is larger than the array faults (EFAULT) on the first entry past it.
   */
  guardedArray(values: readonly bigint[]): bigint {
    const bytes = values.length * 8;
    const body = this.roundUp(Math.max(bytes, 1));
    const base = this.pages(body + this.pageSize);
    this.protect(base + BigInt(body), this.pageSize, PROT_NONE);
    const start = base + BigInt(body - bytes);
    if (bytes > 0) {
      const v = this.view(start, bytes);
      values.forEach((x, i) => {
        v.setBigUint64(i * 8, BigInt.asUintN(64, x), true);
      });
    }
    return start;
  }

  /** Unmap everything this case mapped. */
  free(): void {
    for (const m of this.mappings.splice(0)) this.c.munmap(m.addr, m.len);
    this.chunk = null;
  }

  private roundUp(bytes: number): number {
    return Math.ceil(bytes / this.pageSize) * this.pageSize;
  }
}
