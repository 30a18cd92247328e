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
import type { RealStep, SetupResult, StepResult } from '../../real/protocol.js';
import { WorkerProcess } from '../../real/worker-process.js';
import { aioRings } from '../support/processes.js';
import { crowdedOut, fillFellShort, movedAround, settle } from '../support/quiet-aio-nr.js';
import { aioNr, REAL } from '../support/real.js';
import { startedProcesses } from '../support/started.js';

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
  const started = startedProcesses();
  let worker: WorkerProcess;
  let mirror: Mirror;

  beforeAll(async () => {
    worker = started.worker(await WorkerProcess.start());
    mirror = new Mirror(hostEnvironment(worker.host, 'linux'));
  });

  afterAll(async () => {
    // Every test released what it made: the worker maps no ring (asked of it, not of the
    // host-wide aio-nr, which other processes move).
    const left = worker ? aioRings(worker.pid) : [];
    await worker?.close();
    expect(left).toEqual([]);
  });

  /** Run steps as one case; the results. */
  async function run(steps: readonly RealStep[]): Promise<StepResult[]> {
    const r = await worker.run([{ id: 0, steps }], 10_000);
    const c = r.cases[0]!;
    if (c.status !== 'ok') throw new Error(`worker: ${JSON.stringify(c)}`);
    return [...c.results];
  }

  /**
   * One io_setup judged by the model. Other processes may move aio-nr at any
   * time; the model is given the aio-nr the worker read just before the call,
   * so only a move inside the call itself (or around it, which is seen) can make
   * the two differ. Such tries are not counted: a try is kept when aio-nr moved
   * by nothing but this call, and (while others give the room back now and then)
   * was not so full that a call meant to fit got EAGAIN; a difference is
   * believed when an undisturbed retry shows it again.
   */
  async function one(nr: number, ctx: CtxKind, asHeadroom?: number) {
    const step =
      asHeadroom === undefined
        ? { op: 'setup' as const, nr, ctx }
        : { op: 'setup' as const, nr, ctx, asHeadroom };
    return settle(
      `io_setup(${nr}, ${ctx})`,
      async () => {
        const outerBefore = aioNr();
        const [real] = (await run([step])) as [SetupResult];
        const outerAfter = aioNr();
        const env =
          asHeadroom === undefined
            ? mirror.env
            : { ...mirror.env, asHeadroom: BigInt(asHeadroom) + mirror.state.ringBytes };
        const judged = mirror.setup(nr, ctx, real, env);
        return {
          disturbed: movedAround(outerBefore, [real], outerAfter),
          crowded: crowdedOut(nr, real) ? `aio-nr was ${real.aioNrBefore}` : null,
          outcome: JSON.stringify(judged.diffs, (_k, v) => (typeof v === 'bigint' ? `${v}` : v)),
          value: judged,
          undo: async () => {
            if (real.ref !== undefined) await release([real.ref]);
          },
        };
      },
      // Where others hold the room for good, the EAGAIN the model and the kernel then agree on
      // (or not) is still a comparison: it is taken, rather than no comparison at all.
      { confirm: (j) => j.diffs.length > 0, crowdedIsAnswer: true },
    );
  }

  async function release(refs?: readonly number[]) {
    const res = (await run([refs ? { op: 'release', refs } : { op: 'release' }]))[0]!;
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
    const calls = [
      [11, 'EAGAIN'],
      [10, null],
      [1, 'EAGAIN'],
    ] as const;
    // The fill and the calls as one case, so that the calls follow the fill at once; kept when
    // aio-nr moved by nothing but these steps, and when the same answer came twice.
    const judged = await settle('fill to 10 free, then io_setup 11, 10, 1', async () => {
      const outerBefore = aioNr();
      const results = await run([
        { op: 'fill', headroom: 10 },
        ...calls.map(([nr]) => ({ op: 'setup' as const, nr, ctx: 'zero' as const })),
      ]);
      const outerAfter = aioNr();
      const [fill, ...real] = results;
      if (fill!.op !== 'fill') throw new Error('fill failed');
      const fillers = fill!.fillers.map((f) => mirror.setup(f.nr, 'zero', f.result).diffs);
      const js = calls.map(([nr], i) => mirror.setup(nr, 'zero', real[i] as SetupResult));
      const value = { reached: fill!.reached, fillers, js };
      return {
        disturbed: movedAround(outerBefore, results, outerAfter),
        crowded: fillFellShort(fill!),
        outcome: JSON.stringify(
          {
            reached: value.reached,
            fillers,
            diffs: js.map((j) => j.diffs),
            errnos: js.map((j) => j.real.errno),
          },
          (_k, v) => (typeof v === 'bigint' ? `${v}` : v),
        ),
        value,
        undo: () => release(),
      };
    });
    expect(judged.reached).toBe(true);
    for (const d of judged.fillers) expect(d).toEqual([]);
    calls.forEach(([nr, expected], i) => {
      const j = judged.js[i]!;
      expect(j.diffs, `io_setup(${nr}): ${JSON.stringify(j.diffs)}`).toEqual([]);
      expect(j.real.errno).toBe(expected);
    });
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
