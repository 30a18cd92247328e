/** From verdicts to a RunSummary: counts per suite, rule coverage, one divergence report per kind. */
import { PROFILES, type ProfileName } from '../model/index.js';
import type { HostInfo } from '../real/protocol.js';
import { type Case, caseToString, describeCase } from './cases.js';
import { ruleCoverage } from './engine/coverage.js';
import { signature } from './engine/execute.js';
import type { CaseResult, DivergenceReport, RunSummary } from './engine/summary.js';
import type { CaseVerdict, Suite } from './engine/verdict.js';

export const SUITES: readonly Suite[] = ['table', 'props', 'stateful'];

export interface SummaryMeta {
  readonly target: string;
  readonly profile: ProfileName;
  readonly seed: number;
  readonly faultInjection: boolean;
}

/** Shell-quoted: `aiospec run --case '<json>'` (a ' inside becomes '\''). */
export function replayCase(c: Case, meta: SummaryMeta): string {
  return `aiospec run${runFlags(meta)} --case '${caseToString(c).replaceAll("'", "'\\''")}'`;
}

/** The --target/--profile flags a replay needs to meet the same conditions. */
export function runFlags(meta: SummaryMeta): string {
  return `${meta.target === 'host' ? '' : ` --target ${meta.target}`}${meta.profile === 'linux' ? '' : ` --profile ${meta.profile}`}`;
}

/** The first divergent verdict of each kind (the one worth shrinking and showing). */
export function firstOfEachKind(verdicts: readonly CaseVerdict[]): CaseVerdict[] {
  const seen = new Set<string>();
  return verdicts.filter((v) => {
    if (v.status !== 'diverge' || seen.has(signature(v))) return false;
    seen.add(signature(v));
    return true;
  });
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

export function summarize(
  meta: SummaryMeta,
  host: HostInfo,
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
  const coverage = ruleCoverage(PROFILES[meta.profile], verdicts, host, meta.faultInjection);
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
  return {
    tool: 'aiospec',
    target: meta.target,
    profile: meta.profile,
    seed: meta.seed,
    kernel: { release: host.release, machine: host.machine, gvisor: host.gvisor },
    environment: {
      possibleCpus: host.possibleCpus,
      pageSize: host.pageSize,
      aioMaxNr: host.aioMaxNr,
      aioNrAtStart: host.aioNr,
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
