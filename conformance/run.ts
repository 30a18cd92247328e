/**
 * One conformance run: the chosen suites against one target, judged by the
 * model, divergences shrunk, everything summed up in a RunSummary.
 */
import fc from 'fast-check';
import {
  DEFAULT_ENV,
  type PageSize,
  type ProfileName,
  type SeccompProfile,
} from '../model/index.js';
import type { Launch } from '../real/worker-process.js';
import { type Case, caseProblem } from './cases.js';
import { Engine, reasonOf } from './engine/execute.js';
import type { ModelRules } from './engine/mirror.js';
import type { Recorder } from './engine/recorder.js';
import { signature } from './engine/signature.js';
import type { RunSummary } from './engine/summary.js';
import { type CaseVerdict, newVerdict, type Suite } from './engine/verdict.js';
import { isFamilyOp } from './family/case-steps.js';
import { wouldBlock } from './family/would-block.js';
import { familyPropsArb } from './gen/family-props.js';
import { type PropsHost, propsCaseArb } from './gen/props.js';
import { replayAt } from './gen/replay-path.js';
import { familySequenceArb, familySequenceCase } from './suites/family-stateful.js';
import { familyTableRows } from './suites/family-table.js';
import {
  armedStep,
  FAULT_FAMILIES,
  faultCase,
  REFUSED_FIRST,
  refusedCase,
} from './suites/faults.js';
import { sequenceArb, sequenceCase } from './suites/stateful.js';
import { tableRows } from './suites/table.js';
import { divergenceReport, replayCase, runFlags, type SummaryMeta, Tally } from './summarize.js';

export { SUITES } from './summarize.js';

/** A case given to run that cannot run on this host (a usage error, found once the host is known). */
export class CaseRefused extends Error {
  override name = 'CaseRefused';
}

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
  /** The seccomp profile every worker runs under (installed by the worker, or by the OCI runtime). */
  readonly seccompProfile?: SeccompProfile;
  /** Replace model rules (tests prove a wrong model is caught). */
  readonly rules?: ModelRules;
  /** Run only this case (a replay). */
  readonly only?: Case;
  /** Run only the generated case at this fast-check path of the one suite selected (a replay). */
  readonly path?: string;
  /** Time allowed to shrink each kind of divergence (0: do not shrink). */
  readonly shrinkMs?: number;
  /** The --kernel a uml run was given, for replay commands. */
  readonly kernel?: string;
  /** Where the raw observations go (a trace); shrinking's own runs are not recorded. */
  readonly recorder?: Recorder;
  /** Called as cases are done (after each batch of first runs), with what a progress display shows. */
  readonly onProgress?: (progress: RunProgress) => void;
  /** Cases generated and settled at a time (default CHUNK). */
  readonly chunkSize?: number;
  /** Stop early when this aborts (Ctrl-C): the summary then counts what ran and says why it stopped. */
  readonly signal?: AbortSignal;
  /** Stop once this many cases have diverged (CI's --max-divergences / --bail). */
  readonly maxDivergences?: number;
  /** Stop after this long (CI's --time-limit). */
  readonly timeLimitMs?: number;
  /**
   * Keep every passing case's result, for the reporters that list every case
   * (TAP, JUnit); default true. Non-passing results are always kept.
   */
  readonly keepResults?: boolean;
}

/** Where a run is: the suite under way, its cases done of its total, and the run's divergences so far. */
export interface RunProgress {
  readonly suite: Suite;
  readonly done: number;
  readonly total: number;
  /** Cases of the whole run confirmed divergent so far (settled a chunk at a time). */
  readonly diverged: number;
}

/** Cases generated, run and settled at a time: memory holds one chunk, whatever --runs says. */
export const CHUNK = 16_384;

/** What the parts of one run share. */
interface RunContext {
  readonly cfg: RunConfig;
  readonly engine: Engine;
  readonly meta: SummaryMeta;
  readonly tally: Tally;
  /** The host as the generators see it (CPUs, page size, the room aio-max-nr leaves). */
  readonly host: PropsHost;
  /** aio-max-nr where the target keeps one, else the kernel's default. */
  readonly aioMaxNr: bigint;
  /** Aborts when the run must stop early (the caller's signal, the time limit, enough divergences). */
  readonly stop: AbortController;
  /** Stop the run if it has found as many divergences as it was told to stop at. */
  readonly checkDivergences: () => void;
}

export async function runConformance(cfg: RunConfig): Promise<RunSummary> {
  const started = Date.now();
  const engine = new Engine({
    profile: cfg.profile,
    ...(cfg.launch ? { launch: cfg.launch } : {}),
    ...(cfg.rules ? { rules: cfg.rules } : {}),
    ...(cfg.recorder ? { recorder: cfg.recorder } : {}),
    ...(cfg.seccompProfile ? { seccompProfile: cfg.seccompProfile } : {}),
  });
  await engine.start();
  const ctx = runContext(cfg, engine);
  const timer =
    cfg.timeLimitMs === undefined
      ? undefined
      : setTimeout(
          () => ctx.stop.abort(`the time limit of ${cfg.timeLimitMs! / 1000} s was reached`),
          cfg.timeLimitMs,
        );
  const onAbort = () => ctx.stop.abort(cfg.signal?.reason ?? 'interrupted');
  cfg.signal?.addEventListener('abort', onAbort, { once: true });
  if (cfg.signal?.aborted) onAbort();
  try {
    if (cfg.only) await runOne(ctx, cfg.only);
    else
      for (const suite of cfg.suites) {
        if (ctx.stop.signal.aborted) break;
        const t0 = performance.now();
        await SUITE_RUNS[suite](ctx, suite);
        ctx.tally.time(suite, performance.now() - t0);
      }
    const summary = ctx.tally.summary(Date.now() - started);
    return ctx.stop.signal.aborted ? { ...summary, stopped: reasonOf(ctx.stop.signal) } : summary;
  } finally {
    clearTimeout(timer);
    cfg.signal?.removeEventListener('abort', onAbort);
    await engine.close();
  }
}

function runContext(cfg: RunConfig, engine: Engine): RunContext {
  const h = engine.host;
  const aioMaxNr = h.aioMaxNr === null ? DEFAULT_ENV.aioMaxNr : BigInt(h.aioMaxNr);
  const available = aioMaxNr - BigInt(h.aioNr ?? 0);
  const meta: SummaryMeta = {
    target: cfg.target,
    profile: cfg.profile,
    seed: cfg.seed,
    ...(cfg.seccompProfile ? { seccompProfile: cfg.seccompProfile.source } : {}),
    ...(cfg.kernel === undefined ? {} : { kernel: cfg.kernel }),
  };
  const tally = new Tally(meta, h, { keepResults: cfg.keepResults ?? true });
  const stop = new AbortController();
  return {
    cfg,
    engine,
    meta,
    tally,
    stop,
    checkDivergences: () => {
      const max = cfg.maxDivergences;
      if (max !== undefined && tally.diverged >= max && !stop.signal.aborted)
        stop.abort(
          `${tally.diverged} divergence${tally.diverged === 1 ? '' : 's'} found (the most asked for: ${max})`,
        );
    },
    host: {
      possibleCpus: h.possibleCpus,
      pageSize: h.pageSize as PageSize,
      available: available < 0n ? 0n : available,
    },
    aioMaxNr,
  };
}

/** Progress of a suite's cases, `before` of them done in earlier chunks. */
function progress(ctx: RunContext, suite: Suite, before = 0, total?: number) {
  return {
    onProgress: (done: number, of: number) =>
      ctx.cfg.onProgress?.({
        suite,
        done: before + done,
        total: total ?? of,
        diverged: ctx.tally.diverged,
      }),
  };
}

/** Settled verdicts in; each new kind of divergence reported as it was confirmed (not shrunk). */
function take(ctx: RunContext, run: readonly CaseVerdict[], wallMs = 0): void {
  for (const v of ctx.tally.add(run, wallMs)) {
    const shown = v.shown ?? v.case;
    ctx.tally.report(v, divergenceReport(v, v, shown, replayCase(shown, ctx.meta), 1));
  }
}

/** `--case`: one case, checked against what only the host can tell (its page size) before it runs. */
async function runOne(ctx: RunContext, c: Case): Promise<void> {
  const problem = caseProblem(c, ctx.engine.host.pageSize) ?? familyProblem(c);
  if (problem !== null) throw new CaseRefused(`--case: ${problem.replace(/^case: /, '')}`);
  const t0 = performance.now();
  const run = await ctx.engine.run('table', [{ name: 'the case given with --case', ...c }]);
  take(ctx, run, performance.now() - t0);
}

/** Why a case with family steps cannot run here (it could block the worker), or null. */
function familyProblem(c: Case): string | null {
  if (!c.steps.some((s) => isFamilyOp(s.op)) && c.files === undefined) return null;
  const block = wouldBlock(c);
  return block === null ? null : `it could block the worker: ${block}`;
}

/** Family props cases per props case of --runs (200 with the default 10000). */
export const FAMILY_PROPS_PER_RUN = 1 / 50;
/** Family sequences per stateful sequence (20 with the default 300). */
export const FAMILY_SEQUENCES_PER_SEQUENCE = 1 / 15;

/** How many cases a family suite generates for this run. */
function familyCount(cfg: RunConfig, suite: Suite): number {
  const n =
    suite === 'family-props'
      ? cfg.runs * FAMILY_PROPS_PER_RUN
      : cfg.sequences * FAMILY_SEQUENCES_PER_SEQUENCE;
  return n <= 0 ? 0 : Math.max(1, Math.round(n));
}

/** The table: every row alone; rows that cannot run here are skipped with their reason. */
async function runTable(ctx: RunContext, suite: Suite = 'table'): Promise<void> {
  const rows =
    suite === 'family-table'
      ? familyTableRows()
      : tableRows({ ...ctx.host, aioMaxNr: ctx.aioMaxNr });
  const t0 = performance.now();
  const run = await ctx.engine.run(
    suite,
    rows.filter((r) => !r.skip).map((r) => r.case),
    { alone: true, ...progress(ctx, suite), signal: ctx.stop.signal },
  );
  const skipped = rows
    .flatMap((r) => (r.skip === undefined ? [] : [{ case: r.case, reason: r.skip }]))
    .map((r, i): CaseVerdict => {
      const v = newVerdict(suite, run.length + i, r.case);
      v.status = 'skip';
      v.reason = r.reason;
      return v;
    });
  take(ctx, run, performance.now() - t0);
  take(ctx, skipped);
  ctx.checkDivergences();
}

/** A generated suite (props, stateful): its cases in chunks, each new kind of divergence shrunk. */
async function runGenerated(ctx: RunContext, suite: Suite): Promise<void> {
  const { cfg, engine, host } = ctx;
  const arb: fc.Arbitrary<Case> =
    suite === 'props'
      ? propsCaseArb(host)
      : suite === 'family-props'
        ? familyPropsArb(host)
        : suite === 'family-stateful'
          ? familySequenceArb().map((cmds) => familySequenceCase(cmds))
          : sequenceArb(host.possibleCpus, host.pageSize).map((cmds) => sequenceCase(cmds));
  const n =
    suite === 'props' ? cfg.runs : suite === 'stateful' ? cfg.sequences : familyCount(cfg, suite);
  // Sequences and family cases are read alone: each releases its contexts (and closes its files) as it ends.
  const alone = suite !== 'props';
  const runChunk = async (cases: readonly Case[], first: number) => {
    const t0 = performance.now();
    const run = await engine.run(suite, cases, {
      alone,
      firstIndex: first,
      ...progress(ctx, suite, first, cfg.path !== undefined ? 1 : n),
      signal: ctx.stop.signal,
    });
    for (const v of ctx.tally.add(run, performance.now() - t0))
      await reportKind(ctx, suite, arb, alone, v);
    ctx.checkDivergences();
  };
  if (cfg.path !== undefined) await runChunk(replayAt(arb, cfg.seed, cfg.path), 0);
  else await inChunks(arb, n, cfg.seed, cfg.chunkSize ?? CHUNK, runChunk, ctx.stop.signal);
}

/** fail-nth values a walk tries before it counts as not ending (io_setup of a 10-page ring makes about 20 allocations). */
const WALK_LIMIT = 64;
/** Steps of a walk run together (the fresh processes a family needs start together). */
const WALK_CHUNK = 6;
const NO_FAULT_INJECTION =
  'needs kernel fault injection (/proc/thread-self/fail-nth), which this kernel lacks: aiospec kernel build --debian 6.12 --fault-injection, then --target uml --kernel debian-6.12-fault';

/** Whether the armed allocation of a judged case was reached (the kernel's side of its step). */
function reached(v: CaseVerdict): boolean {
  const step = v.steps.find((s) => s.index === armedStep(v.case));
  return (step?.real as { faultReached?: boolean } | undefined)?.faultReached !== false;
}

/**
 * The faults suite: each family's walk (fail-nth 1, 2, ... until the call no
 * longer reaches the allocation armed), then the refused calls. On a kernel
 * without fault injection it runs nothing, unless asked for alone.
 */
async function runFaults(ctx: RunContext): Promise<void> {
  if (!ctx.engine.host.features?.faultInjection) {
    if (ctx.cfg.suites.length === 1) {
      const v = newVerdict('faults', 0, faultCase(FAULT_FAMILIES[0]!, 1));
      v.status = 'skip';
      v.reason = NO_FAULT_INJECTION;
      take(ctx, [v]);
    }
    return;
  }
  let index = 0;
  /** Run and settle cases; `last`: the walk's limit, whose case must no longer reach its allocation. */
  const runCases = async (cases: readonly Case[], limit = false) => {
    const t0 = performance.now();
    const run = await ctx.engine.run('faults', cases, {
      alone: true,
      firstIndex: index,
      signal: ctx.stop.signal,
    });
    index += cases.length;
    const end = run.at(-1);
    if (limit && end && end.status === 'pass' && reached(end)) {
      end.status = 'diverge';
      end.reason = `the walk did not end: io_setup still reached its allocation #${WALK_LIMIT}`;
    }
    take(ctx, run, performance.now() - t0);
    ctx.checkDivergences();
    return run;
  };
  for (const family of FAULT_FAMILIES) {
    for (let nth = 1; nth <= WALK_LIMIT && !ctx.stop.signal.aborted; nth += WALK_CHUNK) {
      const last = Math.min(nth + WALK_CHUNK - 1, WALK_LIMIT);
      const cases = Array.from({ length: last - nth + 1 }, (_, i) => faultCase(family, nth + i));
      const run = await runCases(cases, last === WALK_LIMIT);
      if (!run.every(reached)) break;
    }
  }
  if (!ctx.stop.signal.aborted) await runCases(REFUSED_FIRST.map(refusedCase));
}

const SUITE_RUNS: Readonly<Record<Suite, (ctx: RunContext, suite: Suite) => Promise<void>>> = {
  table: runTable,
  props: runGenerated,
  stateful: runGenerated,
  faults: runFaults,
  'family-table': runTable,
  'family-props': runGenerated,
  'family-stateful': runGenerated,
};

/**
 * Report the first divergence of a kind: shrunk, when it shows alone (fast-check
 * regenerates the case by itself), with the commands that replay it. Shrinking
 * runs cases of its own, which are not part of the recorded run.
 */
async function reportKind(
  ctx: RunContext,
  suite: Suite,
  arb: fc.Arbitrary<Case>,
  alone: boolean,
  v: CaseVerdict,
): Promise<void> {
  const { cfg, engine, meta } = ctx;
  const path = cfg.path ?? String(v.index);
  const kind = signature(v);
  const sameKind = async (c: Case) => {
    const [again] = await engine.run(suite, [c], { alone, record: false });
    return again!.status === 'diverge' && signature(again!) === kind ? again! : null;
  };
  const alonePrinted = (v.shown ?? v.case) === v.case;
  const shrinkMs = cfg.shrinkMs ?? 20_000;
  const shrunk =
    alonePrinted && shrinkMs > 0
      ? await shrinkAt(arb, cfg.seed, path, sameKind, shrinkMs)
      : undefined;
  const shown = shrunk ?? { case: v.shown ?? v.case, verdict: v };
  // --path regenerates the case alone; a divergence that needs its batch's setups replays only as a case.
  const replay = alonePrinted
    ? `aiospec run${runFlags(meta)} --suite ${suite} --seed=${cfg.seed} --path=${path}   # or: ${replayCase(shown.case, meta)}`
    : replayCase(shown.case, meta);
  ctx.tally.report(v, divergenceReport(v, shown.verdict, shown.case, replay, 1));
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
  signal: AbortSignal,
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
      // A stopped run generates no more: the throw ends fast-check's loop (endOnFailure: no shrinking).
      if (signal.aborted) throw STOPPED;
      chunk.push(c);
      if (chunk.length >= size) await flush();
      return true;
    }),
    { numRuns: n, seed, endOnFailure: true },
  );
  if (r.failed && r.errorInstance !== STOPPED)
    throw r.errorInstance instanceof Error ? r.errorInstance : new Error(String(r.errorInstance));
  if (chunk.length > 0 && !signal.aborted) await flush();
}

/** Thrown into fast-check's loop to end a generation the run no longer wants. */
const STOPPED = new Error('the run stopped');

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
