/**
 * What `ctx_idp` points at, described only by what the kernel can do with it:
 * read 8 bytes there (get_user), and later write 8 bytes there (put_user).
 * The model needs nothing else about the pointer.
 */

/** The pointer cannot be read: get_user() faults. */
export interface UnreadableCtx {
  readonly readable: false;
  readonly describe: string;
}

/** The pointer can be read; it holds zero or not, and may or may not be writable. */
export interface ReadableCtx {
  readonly readable: true;
  readonly holds: 'zero' | 'nonzero';
  readonly writable: boolean;
  readonly describe: string;
}

export type CtxTraits = UnreadableCtx | ReadableCtx;

export const CTX_KINDS = {
  zero: {
    readable: true,
    holds: 'zero',
    writable: true,
    describe: 'a writable aio_context_t holding 0',
  },
  nonzero: {
    readable: true,
    holds: 'nonzero',
    writable: true,
    describe: 'a writable aio_context_t holding a non-zero value',
  },
  null: { readable: false, describe: 'NULL' },
  unmapped: { readable: false, describe: 'an address with no mapping' },
  readonly: {
    readable: true,
    holds: 'zero',
    writable: false,
    describe: 'a read-only page holding 0',
  },
  'readonly-nonzero': {
    readable: true,
    holds: 'nonzero',
    writable: false,
    describe: 'a read-only page holding a non-zero value',
  },
  kernel: { readable: false, describe: 'a kernel-half address' },
  straddle: {
    readable: false,
    describe: 'an 8-byte value whose last bytes lie in an inaccessible page',
  },
} as const satisfies Record<string, CtxTraits>;

export type CtxKind = keyof typeof CTX_KINDS;

export const CTX_KIND_NAMES = Object.keys(CTX_KINDS) as CtxKind[];

export function isCtxKind(s: string): s is CtxKind {
  return Object.hasOwn(CTX_KINDS, s);
}

export function ctxTraits(kind: CtxKind): CtxTraits {
  return CTX_KINDS[kind];
}

/** LTP io_setup01 fills a non-initialised context with memset(&ctx, 1, sizeof(ctx)). */
export const NONZERO_CTX = 0x0101_0101_0101_0101n;

/** The value the pointer holds before the call (what "left unchanged" means), or null if unreadable. */
export function initialCtxValue(kind: CtxKind): bigint | null {
  const t: CtxTraits = CTX_KINDS[kind];
  if (!t.readable) return null;
  return t.holds === 'zero' ? 0n : NONZERO_CTX;
}
