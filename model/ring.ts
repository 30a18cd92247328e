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
import {
  AIO_RING_COMPAT_FEATURES,
  AIO_RING_HEADER_BYTES,
  AIO_RING_INCOMPAT_FEATURES,
  AIO_RING_MAGIC,
  IO_EVENT_BYTES,
  type RingHeader,
} from './abi/ring-header.js';
import { divRoundUp } from './u32.js';

export type PageSize = 4096 | 16384 | 65536;
export const PAGE_SIZES: readonly PageSize[] = [4096, 16384, 65536];

/** Where the ring is in memory and how big it is. */
export interface RingGeometry {
  readonly pages: number;
  readonly bytes: number;
  /** ring->nr: the number of io_event slots the header announces. */
  readonly nr: number;
}

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
