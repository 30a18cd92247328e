/**
 * The model against this machine's kernel, one io_setup at a time, on every
 * case that can be produced here without changing a sysctl: each ctx kind, the
 * errno edges, page-geometry edges, the u32 wrap, a pre-filled aio-nr and
 * RLIMIT_AS. Every observable must agree.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostEnvironment } from '../../conformance/engine/host-env.js';
import { Mirror } from '../../conformance/engine/mirror.js';
import { edgeValues } from '../../conformance/gen/nr-events.js';
import type { CtxKind } from '../../model/index.js';
import type { SetupResult } from '../../real/protocol.js';
import { WorkerProcess } from '../../real/worker-process.js';
import { aioNr, REAL } from '../support/real.js';

const KINDS: CtxKind[] = [
  'zero',
  'nonzero',
  'null',
  'unmapped',
  'readonly',
  'readonly-nonzero',
  'kernel',
  'straddle',
];

describe.skipIf(REAL !== null)(`model vs this kernel${REAL ? ` (skipped: ${REAL})` : ''}`, () => {
  let worker: WorkerProcess;
  let mirror: Mirror;
  let baseline: bigint;

  beforeAll(async () => {
    baseline = aioNr();
    worker = await WorkerProcess.start();
    mirror = new Mirror(hostEnvironment(worker.host, 'linux'));
  });

  afterAll(async () => {
    await worker?.close();
    expect(aioNr()).toBe(baseline);
  });

  async function one(nr: number, ctx: CtxKind, asHeadroom?: number) {
    const step =
      asHeadroom === undefined
        ? { op: 'setup' as const, nr, ctx }
        : { op: 'setup' as const, nr, ctx, asHeadroom };
    const r = await worker.run([{ id: 0, steps: [step] }], 10_000);
    const c = r.cases[0]!;
    if (c.status !== 'ok') throw new Error(`worker: ${JSON.stringify(c)}`);
    const real = c.results[0] as SetupResult;
    const env =
      asHeadroom === undefined
        ? mirror.env
        : { ...mirror.env, asHeadroom: BigInt(asHeadroom) + mirror.state.ringBytes };
    return mirror.setup(nr, ctx, real, env);
  }

  async function release() {
    const r = await worker.run([{ id: 0, steps: [{ op: 'release' }] }], 10_000);
    const c = r.cases[0]!;
    if (c.status !== 'ok') throw new Error(`worker: ${JSON.stringify(c)}`);
    const res = c.results[0]!;
    if (res.op !== 'release') throw new Error('expected a release result');
    mirror.released(res.refs, res.aioNrAfter === null ? null : BigInt(res.aioNrAfter));
  }

  it('agrees on every ctx kind with nr_events 1', async () => {
    for (const ctx of KINDS) {
      const j = await one(1, ctx);
      expect(j.diffs, `${ctx}: ${JSON.stringify(j.diffs)}`).toEqual([]);
    }
    await release();
  });

  it('agrees on the nr_events edges (0, 4C, page edges, internal limit, the u32 wrap)', async () => {
    const host = worker.host;
    for (const nr of edgeValues(host.possibleCpus, host.pageSize)) {
      for (const ctx of ['zero', 'readonly'] as const) {
        const j = await one(nr, ctx);
        expect(j.diffs, `nr ${nr} ${ctx}: ${JSON.stringify(j.diffs)}`).toEqual([]);
        if (j.real.errno === null) await release();
      }
    }
  });

  it('gives slot ids lowest-first, also after a slot is freed', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 6; i++) {
      const j = await one(1, 'zero');
      expect(j.diffs).toEqual([]);
      ids.push(j.real.ring!.id);
    }
    expect(ids).toEqual([0, 1, 2, 3, 4, 5]);
    await release();
  });

  it('agrees when aio-nr is filled to the limit by real contexts (cumulative EAGAIN)', async () => {
    const r = await worker.run([{ id: 0, steps: [{ op: 'fill', headroom: 10 }] }], 10_000);
    const c = r.cases[0]!;
    if (c.status !== 'ok' || c.results[0]!.op !== 'fill') throw new Error('fill failed');
    for (const f of c.results[0]!.fillers)
      expect(mirror.setup(f.nr, 'zero', f.result).diffs).toEqual([]);
    for (const [nr, expected] of [
      [11, 'EAGAIN'],
      [10, null],
      [1, 'EAGAIN'],
    ] as const) {
      const j = await one(nr, 'zero');
      expect(j.diffs, JSON.stringify(j.diffs)).toEqual([]);
      expect(j.real.errno).toBe(expected);
    }
    await release();
  });

  it('agrees on ENOMEM from RLIMIT_AS at the page boundary', async () => {
    const page = worker.host.pageSize;
    for (const [nr, headroom] of [
      [1, page - 1],
      [1, page],
      [4096, 65 * page - 1],
      [4096, 65 * page],
    ] as const) {
      const j = await one(nr, 'zero', headroom);
      expect(j.diffs, `nr ${nr} headroom ${headroom}: ${JSON.stringify(j.diffs)}`).toEqual([]);
    }
    await release();
  });
});
