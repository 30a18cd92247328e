/**
 * Reads a /proc/sys/fs counter (aio-nr, aio-max-nr) with one pread(2) on a file
 * descriptor kept open (about 1.5 us), into memory this process owns.
 */
import type { Libc } from './libc.js';
import { O_CLOEXEC, O_RDONLY } from './libc.js';

export class AioNrReader {
  private readonly fd: number;

  constructor(
    private readonly c: Libc,
    private readonly buf: bigint,
    private readonly bytes: Uint8Array,
    path: '/proc/sys/fs/aio-nr' | '/proc/sys/fs/aio-max-nr' = '/proc/sys/fs/aio-nr',
  ) {
    this.fd = c.open(path, O_RDONLY | O_CLOEXEC);
  }

  get available(): boolean {
    return this.fd >= 0;
  }

  /** The counter now, or null where the kernel has none. */
  read(): bigint | null {
    if (this.fd < 0) return null;
    const n = this.c.pread(this.fd, this.buf, 32, 0);
    if (n <= 0) return null;
    // Decimal digits then '\n'; small values stay in Number arithmetic (exact below 2^53).
    let v = 0;
    let i = 0;
    for (; i < n && i < 15; i++) {
      const d = this.bytes[i]! - 48;
      if (d < 0 || d > 9) return BigInt(v);
      v = v * 10 + d;
    }
    let big = BigInt(v);
    for (; i < n; i++) {
      const d = this.bytes[i]! - 48;
      if (d < 0 || d > 9) break;
      big = big * 10n + BigInt(d);
    }
    return big;
  }
}
