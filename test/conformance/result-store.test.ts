/** Every case's result, kept in memory and then on disk: read back exactly as it went in. */
import { describe, expect, it } from 'vitest';
import { ResultStore } from '../../conformance/engine/result-store.js';
import type { CaseResult } from '../../conformance/engine/summary.js';

const result = (index: number): CaseResult => ({
  suite: 'props',
  index,
  name: `io_setup(${index}, zero) — “${'é'.repeat(index % 3)}”`,
  status: index % 2 ? 'diverge' : 'pass',
  rules: ['setup.ok'],
  ms: index / 7,
  ...(index % 2
    ? {
        differences: [
          { step: 0, diffs: [{ field: 'aioNrDelta', model: BigInt(index), real: 2n ** 70n }] },
        ],
        replay: `aiospec run --case '{"steps":[]}' # ${index}`,
        kind: 'setup:setup.ok:aioNrDelta',
      }
    : {}),
});

describe('the result store', () => {
  it('gives back what it was given, in order, bigints and all, before and after it spills to disk', () => {
    for (const kept of [10, 3]) {
      const store = new ResultStore(kept);
      const all = Array.from({ length: 7 }, (_, i) => result(i));
      for (const r of all) store.add(r);
      expect(store.count).toBe(7);
      expect([...store]).toEqual(all);
      // Read twice: a reporter reads once per suite.
      expect([...store]).toEqual(all);
      store.dispose();
    }
  });

  it('reads back a character split across its read buffer intact', () => {
    const store = new ResultStore(0);
    // Long names of two-byte characters: some end up straddling the 1 MiB reads.
    const all = Array.from({ length: 3000 }, (_, i) => ({
      ...result(2 * i),
      name: 'é'.repeat(400 + i),
    }));
    for (const r of all) store.add(r);
    expect([...store].map((r) => r.name)).toEqual(all.map((r) => r.name));
    store.dispose();
  });
});
