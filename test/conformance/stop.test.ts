/**
 * A run stopped early (Ctrl-C, --time-limit, --max-divergences): it stops soon,
 * counts what ran, says why, and leaves no case half-counted.
 */
import { describe, expect, it } from 'vitest';
import { runConformance } from '../../conformance/run.js';
import { REAL } from '../support/real.js';

const base = { sequences: 0, seed: 7, target: 'host', shrinkMs: 0 } as const;

describe.skipIf(REAL !== null)(`stopping a run early${REAL ? ` (skipped: ${REAL})` : ''}`, () => {
  it('a time limit ends a ten-million-case run within a chunk, with what ran counted', async () => {
    const s = await runConformance({
      ...base,
      suites: ['props'],
      runs: 10_000_000,
      profile: 'linux',
      timeLimitMs: 1500,
      chunkSize: 2048,
    });
    expect(s.stopped).toMatch(/time limit of 1.5 s/);
    expect(s.cases).toBeGreaterThan(0);
    expect(s.cases).toBeLessThan(10_000_000);
    expect(s.cases).toBe(s.passed + s.diverged + s.inconclusive + s.skipped);
  });

  it('--max-divergences stops once that many cases diverged', async () => {
    const s = await runConformance({
      ...base,
      suites: ['props'],
      runs: 100_000,
      profile: 'gvisor', // gVisor's model on Linux: most cases diverge
      maxDivergences: 1,
      chunkSize: 256,
    });
    expect(s.stopped).toMatch(/divergences? found \(the most asked for: 1\)/);
    expect(s.diverged).toBeGreaterThanOrEqual(1);
    expect(s.cases).toBeLessThan(100_000);
  });

  it('an aborted signal stops it, with the reason given', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort('interrupted (SIGINT)'), 800);
    const s = await runConformance({
      ...base,
      suites: ['props'],
      runs: 10_000_000,
      profile: 'linux',
      signal: ac.signal,
      chunkSize: 2048,
    });
    expect(s.stopped).toBe('interrupted (SIGINT)');
    expect(s.cases).toBeLessThan(10_000_000);
  });
});
