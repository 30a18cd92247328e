/**
 * One conformance run: the chosen suites against one target, judged by the
 * model, divergences shrunk, everything summed up in a RunSummary.
 */
import fc from 'fast-check';
import type { PageSize, ProfileName } from '../model/index.js';
import type { Launch } from '../real/worker-process.js';
import type { Case } from './cases.js';
import { Engine, signature } from './engine/execute.js';
import type { ModelRules } from './engine/mirror.js';
import type { Recorder } from './engine/recorder.js';
import type { DivergenceReport, RunSummary } from './engine/summary.js';
import type { CaseVerdict, Suite } from './engine/verdict.js';
import { type PropsHost, propsCaseArb, propsCases } from './gen/props.js';
import { replayAt } from './gen/replay-path.js';
import { sequenceArb, sequenceCase } from './suites/stateful.js';
import { tableRows } from './suites/table.js';
import {
  alike,
  divergenceReport,
  firstOfEachKind,
  replayCase,
  runFlags,
  type SummaryMeta,
  summarize,
} from './summarize.js';

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
}

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
    const available = h.aioMaxNr === null ? 65536n : BigInt(h.aioMaxNr) - BigInt(h.aioNr ?? 0);
    const propsHost: PropsHost = {
      possibleCpus: h.possibleCpus,
      pageSize: h.pageSize as PageSize,
      available: available < 0n ? 0n : available,
    };
    const verdicts: CaseVerdict[] = [];
    const divergences: DivergenceReport[] = [];
    const progress = (suite: Suite) => ({
      onProgress: (done: number, total: number) => cfg.onProgress?.(suite, done, total),
    });
    const reportAll = (run: CaseVerdict[]) => {
      for (const v of firstOfEachKind(run))
        divergences.push(
          divergenceReport(
            v,
            v,
            v.reproducer ?? v.case,
            replayCase(v.reproducer ?? v.case, meta),
            alike(run, v),
          ),
        );
    };

    if (cfg.only) {
      const run = await engine.run('table', [{ name: 'the case given with --case', ...cfg.only }]);
      verdicts.push(...run);
      reportAll(run);
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
          .map(
            (r, i): CaseVerdict => ({
              suite: 'table',
              index: run.length + i,
              ...r,
              status: 'skip',
              steps: [],
              moved: false,
              attempts: 0,
            }),
          );
        verdicts.push(...run, ...skipped);
        reportAll(run);
        continue;
      }
      const arb: fc.Arbitrary<Case> =
        suite === 'props'
          ? propsCaseArb(propsHost)
          : sequenceArb(h.possibleCpus, h.pageSize).map((cmds) => sequenceCase(cmds));
      const n = suite === 'props' ? cfg.runs : cfg.sequences;
      const cases =
        cfg.path !== undefined
          ? replayAt(arb, cfg.seed, cfg.path)
          : suite === 'props'
            ? propsCases(propsHost, n, cfg.seed)
            : fc.sample(arb, { numRuns: n, seed: cfg.seed });
      const run = await engine.run(suite, cases, progress(suite));
      verdicts.push(...run);
      for (const v of firstOfEachKind(run)) {
        const path = cfg.path ?? String(v.index);
        const judge = async (c: Case) => (await engine.run(suite, [c]))[0]!;
        // Shrinking runs cases of its own: they are not part of the recorded run.
        engine.recorder = null;
        const kind = signature(v);
        const sameKind = async (c: Case) => {
          const again = await judge(c);
          return again.status === 'diverge' && signature(again) === kind ? again : null;
        };
        const shrunk =
          v.index < cases.length && (cfg.shrinkMs ?? 20_000) > 0
            ? await shrinkAt(arb, cfg.seed, path, sameKind, cfg.shrinkMs ?? 20_000)
            : undefined;
        engine.recorder = cfg.recorder ?? null;
        // Not shrunk (out of time, or the case diverges only after the ones before it in its batch): show it as it must be replayed.
        const shown = shrunk ?? { case: v.reproducer ?? v.case, verdict: v };
        const replay = `aiospec run${runFlags(meta)} --suite ${suite} --seed=${cfg.seed} --path=${path}   # or: ${replayCase(shown.case, meta)}`;
        divergences.push(divergenceReport(v, shown.verdict, shown.case, replay, alike(run, v)));
      }
    }
    return summarize(meta, h, verdicts, divergences, Date.now() - started);
  } finally {
    await engine.close();
  }
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
