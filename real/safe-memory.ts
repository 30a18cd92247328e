/**
 * Reading and writing memory that might not be there, without touching it
 * from JavaScript: the bytes go through a pipe, so a bad address costs an
 * EFAULT from write(2)/read(2) instead of a SIGSEGV that would kill the worker.
 */
import type { Libc } from './libc.js';

const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;
const EFAULT = 14;

export class SafeMemory {
  private readonly rfd: number;
  private readonly wfd: number;

  /** `bounce` is memory this process owns (at least 4096 bytes) used to carry bytes to and from the pipe. */
  constructor(
    private readonly c: Libc,
    private readonly bounce: bigint,
    private readonly bounceBytes: Uint8Array,
  ) {
    const fds = new Int32Array(2);
    if (c.pipe2(fds, O_NONBLOCK | O_CLOEXEC) !== 0)
      throw new Error(`pipe2 failed: errno ${c.errno()}`);
    this.rfd = fds[0]!;
    this.wfd = fds[1]!;
  }

  /** `len` bytes at `addr`, or null if any of them cannot be read. */
  read(addr: bigint, len: number): Uint8Array | null {
    const n = this.c.write(this.wfd, addr, len);
    if (n !== len) {
      if (n > 0) this.drain(n);
      if (n < 0 && this.c.errno() !== EFAULT)
        throw new Error(`safe read: write(pipe) errno ${this.c.errno()}`);
      return null;
    }
    this.drain(len);
    return this.bounceBytes.slice(0, len);
  }

  /** u32 at `addr` (native little-endian), or null if unreadable. */
  readU32(addr: bigint): number | null {
    const b = this.read(addr, 4);
    return b ? new DataView(b.buffer).getUint32(0, true) : null;
  }

  /** Write `bytes` at `addr`; false if the address cannot be written (nothing is written then). */
  write(addr: bigint, bytes: Uint8Array): boolean {
    this.bounceBytes.set(bytes);
    const len = bytes.length;
    if (this.c.write(this.wfd, this.bounce, len) !== len)
      throw new Error(`safe write: pipe write errno ${this.c.errno()}`);
    const n = this.c.read(this.rfd, addr, len);
    if (n === len) return true;
    if (n < 0 && this.c.errno() !== EFAULT)
      throw new Error(`safe write: read(pipe) errno ${this.c.errno()}`);
    this.drain(len - Math.max(n, 0));
    return false;
  }

  private drain(len: number): void {
    if (this.c.read(this.rfd, this.bounce, len) !== len)
      throw new Error('safe memory: pipe out of step');
  }
}
