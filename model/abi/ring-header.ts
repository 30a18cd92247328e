/**
 * struct aio_ring, the header the kernel writes at the start of every ring it
 * maps into a process (fs/aio.c; its layout is ABI: libaio and fio read it from
 * userspace). Kernel facts, shared by the model and the real backend.
 */

export const AIO_RING_MAGIC = 0xa10a10a1;
export const AIO_RING_COMPAT_FEATURES = 1;
export const AIO_RING_INCOMPAT_FEATURES = 0;
/** sizeof(struct aio_ring): eight u32 fields. */
export const AIO_RING_HEADER_BYTES = 32;
/** sizeof(struct io_event): data, obj, res, res2 (4 x u64). */
export const IO_EVENT_BYTES = 32;

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

/** The header from its 32 bytes: eight native-endian (here little-endian) u32, in RING_HEADER_FIELDS order. */
export function decodeRingHeader(bytes: Uint8Array): RingHeader {
  const v = new DataView(bytes.buffer, bytes.byteOffset, AIO_RING_HEADER_BYTES);
  return Object.fromEntries(
    RING_HEADER_FIELDS.map((field, i) => [field, v.getUint32(i * 4, true)]),
  ) as unknown as RingHeader;
}
