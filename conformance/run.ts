/**
 * One conformance run: the chosen suites against one target, judged by the
 * model, divergences shrunk, everything summed up in a RunSummary.
 */
import fc from 'fast-check';
import { type PageSize, PROFILES, type ProfileName } from '../model/index.js';
import type { Launch } from '../real/worker-process.js';
import { type Case, caseToString, describeCase } from './cases.js';
import { ruleCoverage } from './engine/coverage.js';
import { Engine, signature } from './engine/execute.js';
import type { ModelRules } from './engine/mirror.js';
import type { CaseResult, DivergenceReport, RunSummary } from './engine/summary.js';
import type { CaseVerdict, Suite } from './engine/verdict.js';
import { type PropsHost, propsCaseArb, propsCases } from './gen/props.js';
import { sequenceArb, sequenceCase } from './suites/stateful.js';
import { tableRows } from './suites/table.js';

export const SUITES: readonly Suite[] = ['table', 'props', 'stateful'];

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
  /** Time allowed to shrink each divergence. */
  readonly shrinkMs?: number;
  /** Whether /proc/self/fail-nth exists here (kernel fault injection). */
  readonly faultInjection?: boolean;
  readonly onProgress?: (suite: Suite, done: number, total: number) => void;
}

export async function runConformance(cfg: RunConfig): Promise<RunSummary> {
  const started = Date.now();
  const engine = new Engine({
    profile: cfg.profile,
    ...(cfg.launch ? { launch: cfg.launch } : {}),
    ...(cfg.rules ? { rules: cfg.rules } : {}),
  });
  await engine.start();
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
    const judgeOne = async (c: Case, suite: Suite) => {
      const [v] = await engine.run(suite, [c]);
      return v!;
    };
    const progress = (suite: Suite) => ({
      onProgress: (done: number, total: number) => cfg.onProgress?.(suite, done, total),
    });

    if (cfg.only) {
      const [v] = await engine.run('table', [{ name: 'the case given with --case', ...cfg.only }]);
      verdicts.push(v!);
      if (v!.status === 'diverge') divergences.push(report(v!, v!.case, replayCase(cfg.only), cfg));
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
          progress('table'),
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
        for (const v of run)
          if (v.status === 'diverge') divergences.push(report(v, v.case, replayCase(v.case), cfg));
      }
      if (suite === 'props' || suite === 'stateful') {
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
          const shrunk = await shrinkAt(
            arb,
            cfg.seed,
            path,
            (c) => judgeOne(c, suite),
            cfg.shrinkMs ?? 20_000,
          );
          const minimal = shrunk ?? { case: v.case, verdict: v };
          divergences.push(
            report(
              minimal.verdict,
              v.case,
              `aiospec run --suite ${suite} --seed=${cfg.seed} --path=${path}   # or: ${replayCase(minimal.case)}`,
              cfg,
              minimal.case,
              alike(run, v),
              v,
            ),
          );
        }
      }
    }
    return summarize(cfg, engine, verdicts, divergences, Date.now() - started);
  } finally {
    await engine.close();
  }
}

/** Shell-quoted: `aiospec run --case '<json>'` (a ' inside becomes '\''). */
function replayCase(c: Case): string {
  return `aiospec run --case '${caseToString(c).replaceAll("'", "'\\''")}'`;
}

/** The first divergent case of each kind (the one worth shrinking and showing). */
function firstOfEachKind(run: readonly CaseVerdict[]): CaseVerdict[] {
  const seen = new Set<string>();
  return run.filter(
    (v) =>
      v.status === 'diverge' && !seen.has(signature(v)) && seen.add(signature(v)) !== undefined,
  );
}

/** How many divergent cases of the run are of v's kind. */
function alike(run: readonly CaseVerdict[], v: CaseVerdict): number {
  const sig = signature(v);
  return run.filter((x) => x.status === 'diverge' && signature(x) === sig).length;
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
 * the seed, so even values drawn through chains shrink.
 */
async function shrinkAt(
  arb: fc.Arbitrary<Case>,
  seed: number,
  path: string,
  judge: (c: Case) => Promise<CaseVerdict>,
  maxMs: number,
) {
  let last: { case: Case; verdict: CaseVerdict } | undefined;
  const deadline = Date.now() + maxMs;
  await fc.check(
    fc.asyncProperty(arb, async (c) => {
      if (last && Date.now() > deadline) return true;
      const v = await judge(c);
      if (v.status !== 'diverge') return true;
      last = { case: c, verdict: v };
      return false;
    }),
    { seed, path: path.split(':')[0]! },
  );
  return last;
}

/** `v` judged the (minimal) case; `found` is the verdict the run first reached, whose position is reported. */
function report(
  v: CaseVerdict,
  original: Case,
  replay: string,
  cfg: RunConfig,
  minimal: Case = v.case,
  count = 1,
  found: CaseVerdict = v,
): DivergenceReport {
  return {
    suite: found.suite,
    index: found.index,
    count,
    ...(minimal.name ? { name: minimal.name } : {}),
    case: minimal,
    original,
    differences: v.steps
      .filter((s) => s.diffs.length > 0)
      .map((s) => ({ step: s.index, diffs: s.diffs })),
    ...(v.reason ? { reason: v.reason } : {}),
    replay: replay.replace(
      /^aiospec run/,
      `aiospec run${cfg.target === 'host' ? '' : ` --target ${cfg.target}`}${cfg.profile === 'linux' ? '' : ` --profile ${cfg.profile}`}`,
    ),
  };
}

function summarize(
  cfg: RunConfig,
  engine: Engine,
  verdicts: CaseVerdict[],
  divergences: DivergenceReport[],
  wallMs: number,
): RunSummary {
  const count = (vs: CaseVerdict[], s: CaseVerdict['status']) =>
    vs.filter((v) => v.status === s).length;
  const suites: Record<
    string,
    { cases: number; passed: number; diverged: number; inconclusive: number; skipped: number }
  > = {};
  for (const suite of SUITES) {
    const vs = verdicts.filter((v) => v.suite === suite);
    if (vs.length === 0) continue;
    suites[suite] = {
      cases: vs.length,
      passed: count(vs, 'pass'),
      diverged: count(vs, 'diverge'),
      inconclusive: count(vs, 'inconclusive'),
      skipped: count(vs, 'skip'),
    };
  }
  const coverage = ruleCoverage(
    PROFILES[cfg.profile],
    verdicts,
    engine.host,
    cfg.faultInjection ?? false,
  );
  const results: CaseResult[] = verdicts.map((v) => ({
    suite: v.suite,
    index: v.index,
    name: v.case.name ?? describeCase(v.case),
    status: v.status,
    ...(v.reason ? { reason: v.reason } : {}),
    rules: [
      ...new Set(
        v.steps.map((s) => s.rule).filter((r): r is NonNullable<typeof r> => r !== undefined),
      ),
    ],
  }));
  const h = engine.host;
  return {
    tool: 'aiospec',
    target: cfg.target,
    profile: cfg.profile,
    seed: cfg.seed,
    kernel: { release: h.release, machine: h.machine, gvisor: h.gvisor },
    environment: {
      possibleCpus: h.possibleCpus,
      pageSize: h.pageSize,
      aioMaxNr: h.aioMaxNr,
      aioNrAtStart: h.aioNr,
    },
    suites,
    cases: verdicts.length,
    passed: count(verdicts, 'pass'),
    diverged: count(verdicts, 'diverge'),
    inconclusive: count(verdicts, 'inconclusive'),
    skipped: count(verdicts, 'skip'),
    rulesCovered: coverage.filter((c) => c.hits > 0).length,
    rulesTotal: coverage.length,
    coverage,
    divergences,
    wallMs,
    results,
  };
}
