/**
 * The holders table: each process's rings turned into what its contexts were
 * created with (bounds from the ring sizes, see ring-bounds.ts), sorted by
 * size, totalled, and held up against aio-nr.
 */
import type { HolderScan } from '../../real/aio-holders.js';
import { describeCgroup } from './cgroup.js';
import type { RingBounds } from './ring-bounds.js';

export interface HolderRow {
  readonly pid: number;
  readonly comm: string | null;
  readonly contexts: number;
  readonly ringPages: number;
  /** Bounds on the sum of the nr_events its contexts were created with. */
  readonly nrEventsMin: number;
  readonly nrEventsMax: number;
  /** Bounds on what its contexts add to aio-nr (equal to the above since v4.14). */
  readonly chargeMin: bigint;
  readonly chargeMax: bigint;
  readonly cgroup: string | null;
  readonly container: string | null;
  /** Ring mappings it got through fork(): its parent's contexts, not counted here. */
  readonly inherited: number;
  /** Rings whose size no io_setup can produce (moved or resized by the process?): not in the bounds. */
  readonly unexplained: number;
}

export interface Totals {
  readonly processes: number;
  readonly contexts: number;
  readonly ringPages: number;
  readonly nrEventsMin: number;
  readonly nrEventsMax: number;
  readonly chargeMin: bigint;
  readonly chargeMax: bigint;
}

/** How the holders' charges compare with aio-nr. */
export type Reconciliation =
  /** aio-nr lies within the bounds: every context is accounted for. */
  | 'within'
  /** aio-nr is above the bounds: processes not seen here hold the rest. */
  | 'unseen'
  /** aio-nr is below the bounds: it moved while we looked, or a ring's creator has exited. */
  | 'below'
  /** No aio-nr to compare with. */
  | 'none';

export interface HolderTable {
  readonly rows: readonly HolderRow[];
  readonly totals: Totals;
  /** Processes whose only rings were inherited through fork. */
  readonly forkCopies: readonly {
    readonly pid: number;
    readonly comm: string | null;
    readonly rings: number;
  }[];
}

const sumBig = (xs: readonly bigint[]) => xs.reduce((a, b) => a + b, 0n);
const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

/** Biggest first: by what they may hold, then ring pages, then pid. */
function bySize(a: HolderRow, b: HolderRow): number {
  if (a.chargeMax !== b.chargeMax) return a.chargeMax > b.chargeMax ? -1 : 1;
  return b.ringPages - a.ringPages || a.pid - b.pid;
}

export function holderTable(
  scan: HolderScan,
  pageSize: number,
  bounds: (pages: number) => RingBounds | null,
): HolderTable {
  const rows: HolderRow[] = [];
  const forkCopies: HolderTable['forkCopies'][number][] = [];
  for (const h of scan.holders) {
    if (h.rings.length === 0) {
      if (h.inherited > 0) forkCopies.push({ pid: h.pid, comm: h.comm, rings: h.inherited });
      continue;
    }
    const pages = h.rings.map((r) => Math.ceil(r.bytes / pageSize));
    const known = pages.map(bounds).filter((b): b is RingBounds => b !== null);
    const cg = describeCgroup(h.cgroup);
    rows.push({
      pid: h.pid,
      comm: h.comm,
      contexts: h.rings.length,
      ringPages: sum(pages),
      nrEventsMin: sum(known.map((b) => b.nrMin)),
      nrEventsMax: sum(known.map((b) => b.nrMax)),
      chargeMin: sumBig(known.map((b) => b.chargeMin)),
      chargeMax: sumBig(known.map((b) => b.chargeMax)),
      cgroup: cg.path,
      container: cg.container,
      inherited: h.inherited,
      unexplained: pages.length - known.length,
    });
  }
  rows.sort(bySize);
  return {
    rows,
    totals: {
      processes: rows.length,
      contexts: sum(rows.map((r) => r.contexts)),
      ringPages: sum(rows.map((r) => r.ringPages)),
      nrEventsMin: sum(rows.map((r) => r.nrEventsMin)),
      nrEventsMax: sum(rows.map((r) => r.nrEventsMax)),
      chargeMin: sumBig(rows.map((r) => r.chargeMin)),
      chargeMax: sumBig(rows.map((r) => r.chargeMax)),
    },
    forkCopies: forkCopies.sort((a, b) => a.pid - b.pid),
  };
}

export function reconcile(totals: Totals, aioNr: bigint | null): Reconciliation {
  if (aioNr === null) return 'none';
  if (aioNr > totals.chargeMax) return 'unseen';
  if (aioNr < totals.chargeMin) return 'below';
  return 'within';
}
