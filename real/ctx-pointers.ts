/**
 * Every kind of ctx_idp pointer, built for real in this process:
 *
 *   arena page 0  RW    the aio_context_t for `zero`/`nonzero`; a bounce buffer
 *   arena page 1  R     all zeros                      -> `readonly`
 *   arena page 2  R     filled with 0x01 bytes          -> `readonly-nonzero`
 *   arena page 3  RW    last 4 bytes: first half of `straddle`
 *   arena page 4  none  PROT_NONE guard: the straddling value's second half faults
 *
 * `null` is 0; `kernel` is the architecture's kernel-half address; `unmapped`
 * is a page below the program's lowest mapping, checked to be unmapped (the
 * top-down mmap allocator never reaches it). The guard page is PROT_NONE rather
 * than unmapped so that no later mapping (an AIO ring, say) can land there.
 *
 * The arena is MADV_DONTFORK: the worker starts its child workers by fork and
 * exec (real/worker/children.ts), and a fork must leave the arena as it was,
 * not shared copy-on-write with the child. Under gVisor (runsc 20221219) it
 * matters: once the process has forked, an io_setup that wrote its handle into
 * page 0 makes a later io_setup(…, readonly) succeed, writing into page 1
 * (measured; with MADV_DONTFORK it gets EFAULT as before).
 */
import { type CtxKind, initialCtxValue, NONZERO_CTX } from '../model/abi/ctx-kinds.js';
import type { Libc } from './libc.js';
import {
  MADV_DONTFORK,
  MAP_ANONYMOUS,
  MAP_PRIVATE,
  PROT_NONE,
  PROT_READ,
  PROT_WRITE,
} from './libc.js';
import { lowestMapping } from './proc-maps.js';

export type { CtxKind };
export { NONZERO_CTX };

const ARENA_PAGES = 5;
/** Offset of the bounce buffer in page 0; the context variable sits at offset 0. */
export const BOUNCE_OFFSET = 2048;

export class CtxArena {
  readonly base: bigint;
  readonly pageSize: number;
  /** 64-bit view of page 0 (ours, always mapped). */
  private readonly slot: BigUint64Array;
  private readonly ro: BigUint64Array;
  private readonly roNonzero: BigUint64Array;
  readonly unmapped: bigint;
  readonly bounce: bigint;
  readonly bounceBytes: Uint8Array;

  constructor(
    private readonly c: Libc,
    pageSize: number,
  ) {
    this.pageSize = pageSize;
    const base = c.mmap(
      null,
      ARENA_PAGES * pageSize,
      PROT_READ | PROT_WRITE,
      MAP_PRIVATE | MAP_ANONYMOUS,
      -1,
      0,
    );
    if (base === (1n << 64n) - 1n)
      throw new Error(`mmap of the ctx arena failed: errno ${c.errno()}`);
    this.base = base;
    if (c.madvise(base, ARENA_PAGES * pageSize, MADV_DONTFORK) !== 0)
      throw new Error(`madvise(MADV_DONTFORK) of the ctx arena failed: errno ${c.errno()}`);
    const page = (i: number) => base + BigInt(i * pageSize);
    new Uint8Array(c.view(page(2), pageSize)).fill(0x01);
    if (c.mprotect(page(1), 2 * pageSize, PROT_READ) !== 0)
      throw new Error(`mprotect failed: errno ${c.errno()}`);
    if (c.mprotect(page(4), pageSize, PROT_NONE) !== 0)
      throw new Error(`mprotect failed: errno ${c.errno()}`);
    this.slot = new BigUint64Array(c.view(page(0), 8));
    this.ro = new BigUint64Array(c.view(page(1), 8));
    this.roNonzero = new BigUint64Array(c.view(page(2), 8));
    this.bounce = page(0) + BigInt(BOUNCE_OFFSET);
    this.bounceBytes = new Uint8Array(c.view(this.bounce, pageSize - BOUNCE_OFFSET));
    this.unmapped = pickUnmapped(pageSize);
  }

  /** The ctx_idp to pass for `kind`, after putting the right value there. */
  prepare(kind: CtxKind): bigint {
    switch (kind) {
      case 'zero':
        this.slot[0] = 0n;
        return this.base;
      case 'nonzero':
        this.slot[0] = NONZERO_CTX;
        return this.base;
      case 'null':
        return 0n;
      case 'unmapped':
        return this.unmapped;
      case 'readonly':
        return this.base + BigInt(this.pageSize);
      case 'readonly-nonzero':
        return this.base + BigInt(2 * this.pageSize);
      case 'kernel':
        return this.c.arch.kernelAddress;
      case 'straddle':
        return this.base + BigInt(4 * this.pageSize - 4);
    }
  }

  /** The 8 bytes at ctx_idp after a call, for the kinds where they can be read; null otherwise. */
  readBack(kind: CtxKind): bigint | null {
    switch (kind) {
      case 'zero':
      case 'nonzero':
        return this.slot[0]!;
      case 'readonly':
        return this.ro[0]!;
      case 'readonly-nonzero':
        return this.roNonzero[0]!;
      default:
        return null;
    }
  }

  /** The value the pointer held before the call (what "left unchanged" means). */
  static initial(kind: CtxKind): bigint | null {
    return initialCtxValue(kind);
  }
}

/** A page between mmap_min_addr and the lowest mapping of the process; the top-down allocator never goes there. */
function pickUnmapped(pageSize: number): bigint {
  const lowest = lowestMapping();
  const candidate = 0x10_0000n; // 1 MiB: above any mmap_min_addr in use (4 KiB..64 KiB)
  if (candidate + BigInt(pageSize) <= lowest) return candidate;
  return 0x1_0000n; // a process mapped below 1 MiB: fall back to 64 KiB
}
