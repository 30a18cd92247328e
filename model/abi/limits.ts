/** The kernel's fixed limits on io_setup (fs/aio.c), shared by the model and the real backend. */
import { IO_EVENT_BYTES } from './ring-header.js';

/**
 * ioctx_alloc(): `if (nr_events > (0x10000000U / sizeof(struct io_event))) return -EINVAL`,
 * with nr_events already doubled: ne > 0x800000.
 */
export const INTERNAL_LIMIT_NE = 0x1000_0000 / IO_EVENT_BYTES;

/** The largest nr_events the internal limit lets through (while 4*C is below it): 4,194,304. */
export const INTERNAL_LIMIT_NR = INTERNAL_LIMIT_NE / 2;
