/**
 * From verdicts to a RunSummary: counts per suite, rule coverage, one
 * divergence report per kind. A Tally takes verdicts as they are settled, a
 * chunk at a time, and keeps only what the summary needs, so that a run of
 * millions of cases holds counts in memory, not cases.
 */
import { PROFILES, type ProfileName } from '../model/index.js';
import { type Case, caseToString, describeCase } from './cases.js';
import { countRuleHits, featuresOf, type ReportedHost, ruleCoverage } from './engine/coverage.js';
import { ResultStore } from './engine/result-store.js';
import { firstOfEachKind, signature } from './engine/signature.js';
import type { CaseResult, DivergenceReport, RunSummary } from './engine/summary.js';
import { type CaseVerdict, type Status, SUITES, type Suite } from './engine/verdict.js';

export { firstOfEachKind, SUITES };

export interface SummaryMeta {
  readonly target: string;
  readonly profile: ProfileName;
  readonly seed: number;
  /** The seccomp profile the calls ran under (its file, as --seccomp-profile named it), if any. */
  readonly seccompProfile?: string;
  /** The --kernel a uml run was given (a name in the kernel cache or a path), for its replay commands. */
  readonly kernel?: string;
}

/** Shell-quoted: `aiospec run --case '<json>'` (a ' inside becomes '\''). */
export function replayCase(c: Case, meta: SummaryMeta): string {
  return `aiospec run${runFlags(meta)} --case '${caseToString(c).replaceAll("'", "'\\''")}'`;
}

/** The --target/--kernel/--profile flags a replay needs to meet the same conditions. */
export function runFlags(meta: SummaryMeta): string {
  const target = meta.target === 'host' ? '' : ` --target ${meta.target}`;
  const kernel = meta.kernel === undefined ? '' : ` --kernel ${shellWord(meta.kernel)}`;
  const profile = meta.profile === 'linux' ? '' : ` --profile ${meta.profile}`;
  const seccomp =
    meta.seccompProfile === undefined ? '' : ` --seccomp-profile ${shellWord(meta.seccompProfile)}`;
  return `${target}${kernel}${profile}${seccomp}`;
}

/** A word as sh reads it back: as it is when it holds nothing special, else single-quoted. */
function shellWord(w: string): string {
  return /^[\w./+@:,=-]+$/.test(w) ? w : `'${w.replaceAll("'", "'\\''")}'`;
}

/** How many divergent verdicts are of v's kind. */
export function alike(verdicts: readonly CaseVerdict[], v: CaseVerdict): number {
  const sig = signature(v);
  return verdicts.filter(
    (x) => x.status === 'diverge' && x.suite === v.suite && signature(x) === sig,
  ).length;
}

/**
 * A divergence report: `found` is the verdict the run reached; `judged` the
 * verdict of the case finally shown (the minimal one after shrinking).
 */
export function divergenceReport(
  found: CaseVerdict,
  judged: CaseVerdict,
  shown: Case,
  replay: string,
  count: number,
): DivergenceReport {
  return {
    suite: found.suite,
    index: found.index,
    count,
    kind: signature(found),
    ...(shown.name ? { name: shown.name } : {}),
    case: shown,
    original: found.reproducer ?? found.case,
    differences: judged.steps
      .filter((s) => s.diffs.length > 0)
      .map((s) => ({ step: s.index, diffs: s.diffs })),
    ...(judged.reason ? { reason: judged.reason } : {}),
    replay,
  };
}

type Counts = {
  cases: number;
  passed: number;
  diverged: number;
  inconclusive: number;
  skipped: number;
  ms: number;
};

const COUNTED: Record<Status, keyof Counts> = {
  pass: 'passed',
  diverge: 'diverged',
  inconclusive: 'inconclusive',
  skip: 'skipped',
};

const zero = (): Counts => ({
  cases: 0,
  passed: 0,
  diverged: 0,
  inconclusive: 0,
  skipped: 0,
  ms: 0,
});

/** What a run has concluded so far; verdicts go in as they are settled and are not kept. */
export class Tally {
  private readonly suites = new Map<Suite, Counts>();
  private readonly total = zero();
  private readonly hits = new Map<string, number>();
  /** Divergences per kind (suite and signature): how many, and the report once it is made. */
  private readonly kinds = new Map<
    string,
    { count: number; report?: Omit<DivergenceReport, 'count'> }
  >();
  /** Every case's result, or only the non-passing ones (what the human and JSON reports list). */
  readonly results = new ResultStore();
  private readonly keepPassing: boolean;

  constructor(
    private readonly meta: SummaryMeta,
    private readonly host: ReportedHost,
    opts: { keepResults: boolean } = { keepResults: true },
  ) {
    this.keepPassing = opts.keepResults;
  }

  /** Each suite's wall time as the run measured it (shrinking included), when it did. */
  private readonly suiteMs = new Map<Suite, number>();

  /**
   * Count settled verdicts, settled together in `wallMs` (shared among them by
   * calls made); returns the first divergence of each kind not seen before
   * (for the caller to shrink and report with `report`).
   */
  add(verdicts: readonly CaseVerdict[], wallMs = 0): CaseVerdict[] {
    countRuleHits(verdicts, this.hits);
    const fresh: CaseVerdict[] = [];
    const shares = timeShares(verdicts, wallMs);
    for (const [i, v] of verdicts.entries()) {
      const counts = this.suites.get(v.suite) ?? zero();
      this.suites.set(v.suite, counts);
      const ms = shares[i]!;
      for (const c of [counts, this.total]) {
        c.cases++;
        c[COUNTED[v.status]]++;
        c.ms += ms;
      }
      if (this.keepPassing || v.status !== 'pass') this.results.add(caseResult(v, this.meta, ms));
      if (v.status !== 'diverge') continue;
      const key = `${v.suite}:${signature(v)}`;
      const kind = this.kinds.get(key);
      if (kind) kind.count++;
      else {
        this.kinds.set(key, { count: 1 });
        fresh.push(v);
      }
    }
    return fresh;
  }

  /** A suite's whole wall time, shrinking included (else its cases' times add up to it). */
  time(suite: Suite, ms: number): void {
    this.suiteMs.set(suite, (this.suiteMs.get(suite) ?? 0) + ms);
  }

  /** Cases that diverged so far. */
  get diverged(): number {
    return this.total.diverged;
  }

  /** The report that stands for `found`'s kind (its count is filled in at the end). */
  report(found: CaseVerdict, r: DivergenceReport): void {
    const kind = this.kinds.get(`${found.suite}:${signature(found)}`);
    if (kind) {
      const { count: _count, ...rest } = r;
      kind.report = rest;
    }
  }

  summary(wallMs: number): RunSummary {
    const features = featuresOf(this.host);
    const coverage = ruleCoverage(
      PROFILES[this.meta.profile],
      this.hits,
      features,
      this.meta.seccompProfile !== undefined,
      [...this.suites.keys()].some((suite) => suite.startsWith('family-')),
      this.host.capEff,
    );
    const suites: Partial<Record<Suite, Counts>> = {};
    for (const suite of SUITES) {
      const c = this.suites.get(suite);
      if (c) suites[suite] = { ...c, ms: this.suiteMs.get(suite) ?? c.ms };
    }
    const divergences = [...this.kinds.values()].flatMap((k) =>
      k.report ? [{ ...k.report, count: k.count }] : [],
    );
    return {
      tool: 'aiospec',
      target: this.meta.target,
      profile: this.meta.profile,
      seed: this.meta.seed,
      kernel: {
        release: this.host.release,
        machine: this.host.machine,
        gvisor: this.host.gvisor,
        features,
      },
      environment: {
        possibleCpus: this.host.possibleCpus,
        pageSize: this.host.pageSize,
        aioMaxNr: this.host.aioMaxNr,
        aioNrAtStart: this.host.aioNr,
      },
      suites,
      cases: this.total.cases,
      passed: this.total.passed,
      diverged: this.total.diverged,
      inconclusive: this.total.inconclusive,
      skipped: this.total.skipped,
      rulesCovered: coverage.filter((c) => c.hits > 0).length,
      rulesTotal: coverage.length,
      coverage,
      divergences,
      wallMs,
      results: this.results,
    };
  }
}

/**
 * Each case's share of the wall time of the verdicts settled with it, by the
 * calls it made (runs times steps): a worker runs cases in batches, two at a
 * time, so no case has a time of its own. A case that never ran gets 0.
 */
export function timeShares(verdicts: readonly CaseVerdict[], wallMs: number): number[] {
  const calls = verdicts.map((v) => v.attempts * Math.max(1, v.case.steps.length));
  const total = calls.reduce((a, b) => a + b, 0);
  return calls.map((n) => (total > 0 ? (wallMs * n) / total : 0));
}

function caseResult(v: CaseVerdict, meta: SummaryMeta, ms: number): CaseResult {
  return {
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
    ...(v.status === 'diverge'
      ? {
          differences: v.steps
            .filter((s) => s.diffs.length > 0)
            .map((s) => ({ step: s.index, diffs: s.diffs })),
          replay: replayCase(v.shown ?? v.case, meta),
          kind: signature(v),
        }
      : {}),
    ms,
  };
}

/** A summary of verdicts all in hand (a replay), with the divergence reports already made. */
export function summarize(
  meta: SummaryMeta,
  host: ReportedHost,
  verdicts: readonly CaseVerdict[],
  divergences: readonly DivergenceReport[],
  wallMs: number,
): RunSummary {
  const tally = new Tally(meta, host);
  tally.add(verdicts);
  for (const d of divergences) {
    const found = verdicts.find((v) => v.suite === d.suite && v.index === d.index);
    if (found) tally.report(found, d);
  }
  return tally.summary(wallMs);
}
