/**
 * The ring the kernel maps into the caller on a successful io_setup.
 *
 * fs/aio.c aio_setup_ring(ctx, nr_events=ne):
 *   nr_events += 2;                          // head/tail overlap entry, "2 for good luck"
 *   size = sizeof(struct aio_ring)           // 32-byte header
 *        + sizeof(struct io_event) * nr_events;  // 32 bytes per event
 *   nr_pages = PFN_UP(size);
 *   ring->nr = (PAGE_SIZE * nr_pages - sizeof(struct aio_ring)) / sizeof(struct io_event);
 * so ring->nr fills the last page: it is >= ne + 2 and usually larger.
 */
import { divRoundUp } from './u32.js';

export const AIO_RING_MAGIC = 0xa10a10a1;
export const AIO_RING_COMPAT_FEATURES = 1;
export const AIO_RING_INCOMPAT_FEATURES = 0;
/** sizeof(struct aio_ring): eight u32 fields. */
export const AIO_RING_HEADER_BYTES = 32;
/** sizeof(struct io_event): data, obj, res, res2 (4 x u64). */
export const IO_EVENT_BYTES = 32;

export type PageSize = 4096 | 16384 | 65536;
export const PAGE_SIZES: readonly PageSize[] = [4096, 16384, 65536];

/** Where the ring is in memory and how big it is. */
export interface RingGeometry {
  readonly pages: number;
  readonly bytes: number;
  /** ring->nr: the number of io_event slots the header announces. */
  readonly nr: number;
}

/** The 32-byte header userspace can read at the handle (eight native-endian u32). */
export interface RingHeader {
  readonly id: number;
  readonly nr: number;
  readonly head: number;
  readonly tail: number;
  readonly magic: number;
  readonly compatFeatures: number;
  readonly incompatFeatures: number;
  readonly headerLength: number;
}

/** Header field order at offsets 0, 4, ..., 28 (struct aio_ring). */
export const RING_HEADER_FIELDS = [
  'id',
  'nr',
  'head',
  'tail',
  'magic',
  'compatFeatures',
  'incompatFeatures',
  'headerLength',
] as const satisfies readonly (keyof RingHeader)[];

/** Geometry of the Linux ring for the doubled event count `ne` (aio_setup_ring). */
export function linuxRingGeometry(ne: number, pageSize: PageSize): RingGeometry {
  const size = AIO_RING_HEADER_BYTES + IO_EVENT_BYTES * (ne + 2);
  const pages = divRoundUp(size, pageSize);
  const bytes = pages * pageSize;
  return { pages, bytes, nr: (bytes - AIO_RING_HEADER_BYTES) / IO_EVENT_BYTES };
}

/** The header as aio_setup_ring() writes it, with ring->id set by ioctx_add_table(). */
export function linuxRingHeader(slot: number, geometry: RingGeometry): RingHeader {
  return {
    id: slot,
    nr: geometry.nr,
    head: 0,
    tail: 0,
    magic: AIO_RING_MAGIC,
    compatFeatures: AIO_RING_COMPAT_FEATURES,
    incompatFeatures: AIO_RING_INCOMPAT_FEATURES,
    headerLength: AIO_RING_HEADER_BYTES,
  };
}

/**
 * gVisor maps one read-only page of zeros per context
 * (pkg/sentry/mm/aio_context.go NewAIOContext: "keeps it set to zeroes to ensure
 * it will not match AIO_RING_MAGIC").
 */
export function gvisorRingGeometry(pageSize: PageSize): RingGeometry {
  return { pages: 1, bytes: pageSize, nr: 0 };
}

export const ZERO_HEADER: RingHeader = {
  id: 0,
  nr: 0,
  head: 0,
  tail: 0,
  magic: 0,
  compatFeatures: 0,
  incompatFeatures: 0,
  headerLength: 0,
};
