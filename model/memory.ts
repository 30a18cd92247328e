/**
 * What a u32 read at an address sees, as far as the model knows memory:
 * ring mappings of live contexts are known exactly; anything else is
 * described by the caller (or assumed unmapped, as a destroyed ring is).
 */
import { RING_HEADER_FIELDS, type RingHeader } from './abi/ring-header.js';
import { type ProcessState, ringContaining } from './state.js';

export type U32Read =
  | { readonly readable: false }
  | { readonly readable: true; readonly u32: number };

export const UNREADABLE: U32Read = { readable: false };

/** The 32 header bytes, native little-endian (x86_64, arm64, riscv64). */
function headerBytes(h: RingHeader): Uint8Array {
  const bytes = new Uint8Array(32);
  const view = new DataView(bytes.buffer);
  RING_HEADER_FIELDS.forEach((field, i) => {
    view.setUint32(i * 4, h[field] >>> 0, true);
  });
  return bytes;
}

/** u32 at `offset` of a ring whose header is `h` (events are all zero in a fresh ring). */
function readRing(h: RingHeader, offset: number): number {
  const bytes = new Uint8Array(4);
  const header = headerBytes(h);
  for (let i = 0; i < 4; i++) bytes[i] = offset + i < 32 ? header[offset + i]! : 0;
  return new DataView(bytes.buffer).getUint32(0, true);
}

/**
 * The u32 at `address`: from a live ring if one contains it, else `other`
 * (what the caller knows of that memory; by default it is unmapped).
 * A read that would run past the end of a ring is treated as unreadable:
 * the model does not know what lies beyond it.
 */
export function readU32(
  state: ProcessState,
  address: bigint,
  other: U32Read = UNREADABLE,
): U32Read {
  const ring = ringContaining(state, address);
  if (!ring) return other;
  const offset = Number(address - ring.handle);
  if (offset + 4 > ring.ring.bytes) return UNREADABLE;
  return { readable: true, u32: readRing(ring.header, offset) };
}
