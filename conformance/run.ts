/**
 * One conformance run: the chosen suites against one target, judged by the
 * model, divergences shrunk, everything summed up in a RunSummary.
 */
import fc from 'fast-check';
import type { PageSize, ProfileName } from '../model/index.js';
import type { Launch } from '../real/worker-process.js';
import type { Case } from './cases.js';
import { Engine } from './engine/execute.js';
import type { ModelRules } from './engine/mirror.js';
import type { Recorder } from './engine/recorder.js';
import { signature } from './engine/signature.js';
import type { RunSummary } from './engine/summary.js';
import { type CaseVerdict, newVerdict, type Suite } from './engine/verdict.js';
import { type PropsHost, propsCaseArb } from './gen/props.js';
import { sequenceArb, sequenceCase } from './suites/stateful.js';
import { tableRows } from './suites/table.js';
import { divergenceReport, replayCase, runFlags, type SummaryMeta, Tally } from './summarize.js';

export { SUITES } from './summarize.js';

export interface RunConfig {
  readonly suites: readonly Suite[];
  /** Cases of the props suite. */
  readonly runs: number;
  /** Sequences of the stateful suite. */
  readonly sequences: number;
  readonly seed: number;
  readonly profile: ProfileName;
  readonly target: string;
  readonly launch?: Launch;
  /** Replace model rules (tests prove a wrong model is caught). */
  readonly rules?: ModelRules;
  /** Run only this case (a replay). */
  readonly only?: Case;
  /** Run only the generated case at this fast-check path of the one suite selected (a replay). */
  readonly path?: string;
  /** Time allowed to shrink each kind of divergence (0: do not shrink). */
  readonly shrinkMs?: number;
  /** Whether /proc/self/fail-nth exists here (kernel fault injection). */
  readonly faultInjection?: boolean;
  /** Where the raw observations go (a trace); shrinking's own runs are not recorded. */
  readonly recorder?: Recorder;
  readonly onProgress?: (suite: Suite, done: number, total: number) => void;
  /** Cases generated and settled at a time (default CHUNK). */
  readonly chunkSize?: number;
  /** Keep every case's result for the reporters that list cases (TAP, JUnit); default true. */
  readonly keepResults?: boolean;
}

/** Cases generated, run and settled at a time: memory holds one chunk, whatever --runs says. */
export const CHUNK = 16_384;

export async function runConformance(cfg: RunConfig): Promise<RunSummary> {
  const started = Date.now();
  const engine = new Engine({
    profile: cfg.profile,
    ...(cfg.launch ? { launch: cfg.launch } : {}),
    ...(cfg.rules ? { rules: cfg.rules } : {}),
  });
  engine.recorder = cfg.recorder ?? null;
  await engine.start();
  const meta: SummaryMeta = {
    target: cfg.target,
    profile: cfg.profile,
    seed: cfg.seed,
    faultInjection: cfg.faultInjection ?? false,
  };
  try {
    const h = engine.host;
    const tally = new Tally(meta, h, { keepResults: cfg.keepResults ?? true });
    const available = h.aioMaxNr === null ? 65536n : BigInt(h.aioMaxNr) - BigInt(h.aioNr ?? 0);
    const propsHost: PropsHost = {
      possibleCpus: h.possibleCpus,
      pageSize: h.pageSize as PageSize,
      available: available < 0n ? 0n : available,
    };
    const progress = (suite: Suite, before = 0, total?: number) => ({
      onProgress: (done: number, of: number) => cfg.onProgress?.(suite, before + done, total ?? of),
    });
    /** Settled verdicts in; each new kind of divergence reported as it was confirmed (not shrunk). */
    const take = (run: readonly CaseVerdict[]) => {
      for (const v of tally.add(run)) {
        const shown = v.shown ?? v.case;
        tally.report(v, divergenceReport(v, v, shown, replayCase(shown, meta), 1));
      }
    };

    if (cfg.only) {
      take(await engine.run('table', [{ name: 'the case given with --case', ...cfg.only }]));
    }
    for (const suite of cfg.only ? [] : cfg.suites) {
      if (suite === 'table') {
        const rows = tableRows({
          ...propsHost,
          aioMaxNr: h.aioMaxNr === null ? 65536n : BigInt(h.aioMaxNr),
        });
        const run = await engine.run(
          'table',
          rows.filter((r) => !r.skip).map((r) => r.case),
          { alone: true, ...progress('table') },
        );
        const skipped = rows
          .flatMap((r) => (r.skip === undefined ? [] : [{ case: r.case, reason: r.skip }]))
          .map((r, i): CaseVerdict => {
            const v = newVerdict('table', run.length + i, r.case);
            v.status = 'skip';
            v.reason = r.reason;
            return v;
          });
        take(run);
        take(skipped);
        continue;
      }
      const arb: fc.Arbitrary<Case> =
        suite === 'props'
          ? propsCaseArb(propsHost)
          : sequenceArb(h.possibleCpus, h.pageSize).map((cmds) => sequenceCase(cmds));
      const n = suite === 'props' ? cfg.runs : cfg.sequences;
      // Sequences are read alone: each releases its contexts as it ends, so it replays as printed.
      const alone = suite === 'stateful';
      const runChunk = async (cases: readonly Case[], first: number) => {
        const run = await engine.run(suite, cases, {
          alone,
          firstIndex: first,
          ...progress(suite, first, cfg.path !== undefined ? 1 : n),
        });
        for (const v of tally.add(run)) await reportKind(v);
      };
      const reportKind = async (v: CaseVerdict) => {
        const path = cfg.path ?? String(v.index);
        // Shrinking runs cases of its own: they are not part of the recorded run.
        engine.recorder = null;
        const kind = signature(v);
        const sameKind = async (c: Case) => {
          const [again] = await engine.run(suite, [c], { alone });
          return again!.status === 'diverge' && signature(again!) === kind ? again! : null;
        };
        // Only a divergence that shows alone can shrink: fast-check regenerates the case by itself.
        const alonePrinted = (v.shown ?? v.case) === v.case;
        const shrunk =
          alonePrinted && (cfg.shrinkMs ?? 20_000) > 0
            ? await shrinkAt(arb, cfg.seed, path, sameKind, cfg.shrinkMs ?? 20_000)
            : undefined;
        engine.recorder = cfg.recorder ?? null;
        const shown = shrunk ?? { case: v.shown ?? v.case, verdict: v };
        // --path regenerates the case alone; a divergence that needs its batch's setups replays only as a case.
        const replay = alonePrinted
          ? `aiospec run${runFlags(meta)} --suite ${suite} --seed=${cfg.seed} --path=${path}   # or: ${replayCase(shown.case, meta)}`
          : replayCase(shown.case, meta);
        tally.report(v, divergenceReport(v, shown.verdict, shown.case, replay, 1));
      };
      if (cfg.path !== undefined) await runChunk(replayAt(arb, cfg.seed, cfg.path), 0);
      else await inChunks(arb, n, cfg.seed, cfg.chunkSize ?? CHUNK, runChunk);
    }
    return tally.summary(Date.now() - started);
  } finally {
    await engine.close();
  }
}

/**
 * Generate `n` cases for a seed, exactly as fc.sample would (the same stream
 * fast-check's --path replays and shrinking regenerate), `size` at a time,
 * handing each chunk to `run` before generating the next.
 */
async function inChunks(
  arb: fc.Arbitrary<Case>,
  n: number,
  seed: number,
  size: number,
  run: (cases: readonly Case[], first: number) => Promise<void>,
): Promise<void> {
  if (n <= 0) return;
  let chunk: Case[] = [];
  let first = 0;
  const flush = async () => {
    const cases = chunk;
    chunk = [];
    await run(cases, first);
    first += cases.length;
  };
  const r = await fc.check(
    fc.asyncProperty(arb, async (c) => {
      chunk.push(c);
      if (chunk.length >= size) await flush();
      return true;
    }),
    { numRuns: n, seed },
  );
  if (r.failed)
    throw r.errorInstance instanceof Error ? r.errorInstance : new Error(String(r.errorInstance));
  if (chunk.length > 0) await flush();
}

/** The generated case at a fast-check path (its first number: the run index) for a seed. */
function replayAt(arb: fc.Arbitrary<Case>, seed: number, path: string): Case[] {
  const found: Case[] = [];
  fc.check(
    fc.property(arb, (c) => {
      found.push(c);
      return false; // stop at the case the path names
    }),
    { seed, path: path.split(':')[0]!, endOnFailure: true },
  );
  return found.slice(0, 1);
}

/**
 * Shrink the divergent case at `path`: fast-check replays its generation from
 * the seed, so even values drawn through chains shrink. `stillFails` judges a
 * candidate and returns its verdict when it still shows the divergence (of the
 * same kind: shrinking must not wander off to another one), else null.
 */
async function shrinkAt(
  arb: fc.Arbitrary<Case>,
  seed: number,
  path: string,
  stillFails: (c: Case) => Promise<CaseVerdict | null>,
  maxMs: number,
) {
  let last: { case: Case; verdict: CaseVerdict } | undefined;
  const deadline = Date.now() + maxMs;
  await fc.check(
    fc.asyncProperty(arb, async (c) => {
      if (last && Date.now() > deadline) return true;
      const v = await stillFails(c);
      if (!v) return true;
      last = { case: c, verdict: v };
      return false;
    }),
    { seed, path: path.split(':')[0]! },
  );
  return last;
}
