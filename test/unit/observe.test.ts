/**
 * The comparison itself: which differences between the model's observation
 * and the kernel's count, field by field.
 */
import { describe, expect, it } from 'vitest';
import { diffObs, type SetupObs } from '../../conformance/observe.js';

const ring = {
  nr: 127,
  pages: 1,
  id: 0,
  head: 0,
  tail: 0,
  magic: 0xa10a10a1,
  compatFeatures: 1,
  incompatFeatures: 0,
  headerLength: 32,
};

const failed: SetupObs = { errno: 'EINVAL', ctx: 'unchanged', ring: null, aioNrDelta: 0n };
const succeeded: SetupObs = { errno: null, ctx: 'written', ring, aioNrDelta: 1n };

describe('diffObs', () => {
  it('finds nothing when every observable agrees', () => {
    expect(diffObs(succeeded, { ...succeeded, ring: { ...ring } })).toEqual([]);
  });

  it('names each ring field that differs, not the ring as a whole', () => {
    const zeros = { ...ring, nr: 0, magic: 0, compatFeatures: 0, headerLength: 0 };
    expect(diffObs(succeeded, { ...succeeded, ring: zeros }).map((d) => d.field)).toEqual([
      'ring.nr',
      'ring.magic',
      'ring.compatFeatures',
      'ring.headerLength',
    ]);
  });

  it('a kernel without aio-nr differs only where the model predicts aio-nr moves', () => {
    // gVisor has no /proc/sys/fs/aio-nr: a failed call there is not a divergence for that...
    expect(diffObs(failed, { ...failed, aioNrDelta: null })).toEqual([]);
    // ...but a success that Linux would charge is.
    expect(diffObs(succeeded, { ...succeeded, aioNrDelta: null })).toEqual([
      { field: 'aioNrDelta', model: 1n, real: null },
    ]);
  });

  it('an aio-nr that moved when the model says it should not is a difference', () => {
    expect(diffObs(failed, { ...failed, aioNrDelta: 1n })).toEqual([
      { field: 'aioNrDelta', model: 0n, real: 1n },
    ]);
  });
});
