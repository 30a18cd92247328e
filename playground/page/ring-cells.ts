/**
 * What each 32-byte cell of a ring page holds: page 0 starts with the
 * header (struct aio_ring is 32 bytes), then io_event slots (32 bytes each).
 * The kernel sized the ring for ne + 2 events and rounded up to whole pages;
 * the slots the rounding added are told apart. Pure.
 */
export type Cell = 'header' | 'event' | 'rounding' | 'zero';

export interface RingShape {
  readonly pages: number;
  readonly nr: number;
  /** Events the kernel asked for (ne + 2) before rounding up; 0 for a ring of zeros. */
  readonly sized: number;
  readonly pageSize: number;
}

export function cellsPerPage(pageSize: number): number {
  return pageSize / 32;
}

export function cellOf(shape: RingShape, page: number, i: number): Cell {
  const g = page * cellsPerPage(shape.pageSize) + i;
  if (shape.nr === 0) return 'zero';
  if (g === 0) return 'header';
  const event = g - 1;
  if (event < shape.sized) return 'event';
  return event < shape.nr ? 'rounding' : 'zero';
}

/** The pages drawn: all of a short ring; the first two and the last of a long one (null: the gap). */
export function pagesShown(pages: number): (number | null)[] {
  if (pages <= 4) return [...Array(pages).keys()];
  return [0, 1, null, pages - 1];
}

/** The event slots a page holds, as [first, last], or null (a page of zeros). */
export function eventsOn(shape: RingShape, page: number): [number, number] | null {
  if (shape.nr === 0) return null;
  const per = cellsPerPage(shape.pageSize);
  const first = page === 0 ? 0 : page * per - 1;
  const last = Math.min((page + 1) * per - 2, shape.nr - 1);
  return [first, last];
}
