/**
 * The mirror follows the kernel's table: a new context's ring->id is the
 * lowest free slot (ioctx_add_table), so a context the model still holds in
 * that slot is not in the kernel's table. The step that shows it differs; the
 * next ones are decided from the real table, so a re-run agrees (the case is
 * then inconclusive, not a confirmed divergence). Before, the model kept such
 * a context and every later io_setup differed the same way.
 */
import { describe, expect, it } from 'vitest';
import { Mirror } from '../../conformance/engine/mirror.js';
import { DEFAULT_ENV } from '../../model/index.js';
import type { SetupResult } from '../../real/protocol.js';

let aioNr = 0;
function made(slot: number, handle: bigint, ref: number): SetupResult {
  const before = aioNr;
  aioNr += 1;
  return {
    op: 'setup',
    ret: 0,
    errno: 0,
    ref,
    handle: `0x${handle.toString(16)}`,
    ctxAfter: `0x${handle.toString(16)}`,
    ring: {
      id: slot,
      nr: 127,
      head: 0,
      tail: 0,
      magic: 0xa10a10a1,
      compatFeatures: 1,
      incompatFeatures: 0,
      headerLength: 32,
    },
    mapBytes: 4096,
    aioNrBefore: before,
    aioNrAfter: aioNr,
  };
}

const slotDiff = (diffs: readonly { field: string }[]) => diffs.find((d) => d.field === 'ring.id');

describe('the mirror and the kernel’s context table', () => {
  it('drops what it holds in the slot the kernel just gave out, and agrees from then on', () => {
    aioNr = 0;
    const m = new Mirror({ ...DEFAULT_ENV, aioNr: 0n });
    expect(slotDiff(m.setup(1, 'zero', made(0, 0x7f00_0010_0000n, 1)).diffs)).toBeUndefined();
    // The context of ref 1 is gone from the kernel's table without the mirror being told:
    // the kernel gives slot 0 again, where the model, still holding ref 1 there, says 1.
    expect(slotDiff(m.setup(1, 'zero', made(0, 0x7f00_0020_0000n, 2)).diffs)).toEqual({
      field: 'ring.id',
      model: 1,
      real: 0,
    });
    // From then on the model decides from the real table.
    expect(slotDiff(m.setup(1, 'zero', made(1, 0x7f00_0030_0000n, 3)).diffs)).toBeUndefined();
    expect(m.state.slots[0]?.handle).toBe(0x7f00_0020_0000n);
    expect(m.state.slots[1]?.handle).toBe(0x7f00_0030_0000n);
  });
});
