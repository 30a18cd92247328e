/**
 * The observables both sides are compared on, and how each side's result
 * becomes one. A difference in any field is a divergence.
 */
import {
  type CtxKind,
  type DestroyOutcome,
  type ErrnoName,
  errnoName,
  initialCtxValue,
  RING_HEADER_FIELDS,
  type RingHeader,
  type SetupOutcome,
} from '../model/index.js';
import { type DestroyResult, fromU64, type SetupResult } from '../real/protocol.js';

/** An errno name, or `errno N` for a number the model's table does not name. */
export type ErrnoLabel = ErrnoName | `errno ${number}`;

/** The ring as compared: ring->nr, its size in pages, then the rest of its header. */
export type RingObs = { readonly nr: number; readonly pages: number } & Omit<RingHeader, 'nr'>;

export interface SetupObs {
  readonly errno: ErrnoLabel | null;
  /** What happened to *ctx_idp: the handle written, left as it was, or not readable at all. */
  readonly ctx: 'written' | 'unchanged' | 'unreadable';
  /** The ring header and size in pages; null when no ring was mapped (or could not be read). */
  readonly ring: RingObs | null;
  /** aio-nr after minus before; null where the kernel keeps no aio-nr. */
  readonly aioNrDelta: bigint | null;
  /** Only when not 0 or -1: the raw value a seccomp TRAP left the call returning. */
  readonly ret?: number;
  /** Only when one came: SIGSYS delivered with the call (TRAP) or the caller killed by it. */
  readonly signal?: 'delivered' | 'killed';
  /**
   * Compared on calls made to fail an allocation (the faults suite): the AIO
   * rings mapped after the call minus before (1 for a new context, else 0:
   * a failed call leaves no ring behind, except where RING_MAY_STAY says).
   */
  readonly ringsAdded?: number;
  /**
   * The kernel's side only, never compared: whether the call reached the
   * allocation armed to fail (what the model is allowed to predict depends on it).
   */
  readonly faultReached?: boolean;
}

export interface DestroyObs {
  /** null = success; undefined = not known yet (the return value comes later). */
  readonly errno: ErrnoLabel | null | undefined;
  readonly aioNrDelta: bigint | null;
  /** Whether the context's ring disappeared. */
  readonly ringGone: boolean;
  readonly ret?: number;
  readonly signal?: 'delivered' | 'killed';
}

/** The seccomp observables, present only where they are not the ordinary ones (so ordinary results read as before). */
function trapped(ret: number | null, signal: 'delivered' | 'killed' | null) {
  return {
    ...(ret !== null && ret > 0 ? { ret } : {}),
    ...(signal ? { signal } : {}),
  };
}

export function errnoLabel(n: number): ErrnoLabel {
  return errnoName(n) ?? `errno ${n}`;
}

function delta(before: bigint | null, after: bigint | null): bigint | null {
  return before === null || after === null ? null : after - before;
}

const readableKinds: ReadonlySet<CtxKind> = new Set([
  'zero',
  'nonzero',
  'readonly',
  'readonly-nonzero',
]);

/** `rings`: also predict the rings mapped (a call the faults suite made fail, whose worker counted them). */
export function modelSetupObs(o: SetupOutcome, rings = false): SetupObs {
  return {
    errno: o.errno,
    ctx: o.ctxWritten ? 'written' : readableKinds.has(o.call.ctx) ? 'unchanged' : 'unreadable',
    ring: o.ring ? ringObs(o.ring.nr, o.ring.pages, o.ring.header) : null,
    aioNrDelta: delta(o.aioNrBefore, o.aioNrAfter),
    ...trapped(o.ret, o.signal),
    ...(rings ? { ringsAdded: o.ring ? 1 : 0 } : {}),
  };
}

export function realSetupObs(r: SetupResult, kind: CtxKind, pageSize: number): SetupObs {
  const after = r.ctxAfter === null ? null : BigInt(r.ctxAfter);
  const ctx =
    after === null ? 'unreadable' : after === initialCtxValue(kind) ? 'unchanged' : 'written';
  // A mapping that cannot be found counts as 0 pages: the comparison then names ring.pages.
  const pages = r.mapBytes === undefined || r.mapBytes === null ? 0 : r.mapBytes / pageSize;
  return {
    errno: r.ret >= 0 ? null : errnoLabel(r.errno),
    ctx,
    ring: r.ret === 0 && r.ring ? ringObs(r.ring.nr, pages, r.ring) : null,
    aioNrDelta: delta(fromU64(r.aioNrBefore), fromU64(r.aioNrAfter)),
    ...trapped(r.ret, r.signal ? 'delivered' : null),
    ...(r.rings ? { ringsAdded: r.rings.after - r.rings.before } : {}),
    ...(r.faultInjected === undefined ? {} : { faultReached: r.faultInjected }),
  };
}

/** ring->nr and the size first, then the header's other fields in their order (a report lists them so). */
function ringObs(nr: number, pages: number, h: RingHeader): RingObs {
  const obs: Record<string, number> = { nr, pages };
  for (const field of RING_HEADER_FIELDS) if (field !== 'nr') obs[field] = h[field];
  return obs as unknown as RingObs;
}

export function modelDestroyObs(o: DestroyOutcome, aioNrBefore: bigint | null): DestroyObs {
  return {
    errno: o.errno,
    aioNrDelta: aioNrBefore === null || o.aioNrAfter === null ? null : o.aioNrAfter - aioNrBefore,
    ringGone: o.destroyed !== null,
    ...trapped(o.ret, o.signal),
  };
}

export function realDestroyObs(r: DestroyResult): DestroyObs {
  return {
    errno: r.ret === null ? undefined : r.ret >= 0 ? null : errnoLabel(r.errno),
    aioNrDelta: delta(fromU64(r.aioNrBefore), fromU64(r.aioNrAfter)),
    ringGone: r.ringGone,
    ...trapped(r.ret, r.signal ? 'delivered' : null),
  };
}

export interface Difference {
  readonly field: string;
  readonly model: unknown;
  readonly real: unknown;
}

function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) =>
    same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}

/** Fields a real observation carries for the judge's choice of prediction, never compared. */
const NOT_COMPARED: ReadonlySet<string> = new Set(['faultReached']);

/** Field-by-field differences; ring fields are compared one by one so a report names the field. */

export function diffObs(model: SetupObs | DestroyObs, real: SetupObs | DestroyObs): Difference[] {
  const out: Difference[] = [];
  // Both sides' fields: the seccomp ones are present on one side only when they differ (absent reads as null).
  for (const field of new Set([...Object.keys(model), ...Object.keys(real)])) {
    if (NOT_COMPARED.has(field)) continue;
    const m = field in model ? (model as unknown as Record<string, unknown>)[field] : null;
    const r = field in real ? (real as unknown as Record<string, unknown>)[field] : null;
    if (field === 'errno' && r === undefined) continue; // return value still pending
    // A kernel without /proc/sys/fs/aio-nr (gVisor) shows no accounting: that is a
    // difference only where the model predicts aio-nr moves, not on every failed call.
    if (field === 'aioNrDelta' && r === null && (m === null || m === 0n)) continue;
    if (field === 'ring' && m && r) {
      for (const k of Object.keys(m as object)) {
        const mv = (m as Record<string, unknown>)[k];
        const rv = (r as Record<string, unknown>)[k];
        if (!same(mv, rv)) out.push({ field: `ring.${k}`, model: mv, real: rv });
      }
      continue;
    }
    if (!same(m, r)) out.push({ field, model: m, real: r });
  }
  return out;
}
