/**
 * `--reporter json`: the run's report as one line of JSON, for scripts and
 * dashboards. Its shape is a contract, versioned by `schemaVersion` and
 * described by schema/report.schema.json (shipped in the package): it is
 * built field by field here, never by spreading the internal summary, so that
 * an internal change cannot alter it unnoticed.
 */
import { caseToJson } from '../cases.js';
import { toolVersion } from '../cli/version.js';
import type { CaseResult, DivergenceReport, RunSummary } from '../engine/summary.js';
import type { Status, Suite } from '../engine/verdict.js';
import { jsonReplacer } from './format.js';
import { terminalSafeJson } from './printable.js';

/**
 * The version of the report's shape: raised when a field is removed or changes
 * meaning (adding a field does not raise it; readers ignore what they do not know).
 */
export const REPORT_SCHEMA_VERSION = 1;

/** A u64 as JSON carries it: a number up to 2^53-1, a decimal string above. */
export type JsonU64 = number | string;

export interface JsonCounts {
  readonly cases: number;
  readonly passed: number;
  readonly diverged: number;
  readonly inconclusive: number;
  readonly skipped: number;
}

/** What differed at one step: `model` and `real` are the values the model predicted and the kernel showed. */
export interface JsonDifferences {
  readonly step: number;
  readonly diffs: readonly {
    readonly field: string;
    readonly model: unknown;
    readonly real: unknown;
  }[];
}

/** A case exactly as `--case '<json>'` takes it (u64 values as decimal strings); schema/report.schema.json spells it out. */
export type CaseJson = Readonly<Record<string, unknown>>;

/** One kind of divergence, shown by its minimal case. */
export interface JsonDivergence {
  readonly suite: Suite;
  readonly index: number;
  /** The kind: the first differing step's op, rule, fields and errnos. */
  readonly kind: string;
  /** How many cases of the run are of this kind. */
  readonly count: number;
  readonly name?: string;
  /** The minimal case (shrunk where the suite allows), as `--case` takes it. */
  readonly case: CaseJson;
  /** The case as first found. */
  readonly original: CaseJson;
  readonly differences: readonly JsonDifferences[];
  readonly reason?: string;
  readonly replay: string;
}

export type JsonVerdict = 'diverged' | 'inconclusive' | 'skipped';

/** A case that did not pass, with why. */
export interface JsonNonPassing {
  readonly suite: Suite;
  readonly index: number;
  readonly name: string;
  readonly verdict: JsonVerdict;
  /** Why it was skipped or is inconclusive; how a divergence was confirmed. */
  readonly reason?: string;
  /** A divergence's kind (as in `divergences`), its own differences and the command that replays it. */
  readonly kind?: string;
  readonly differences?: readonly JsonDifferences[];
  readonly replay?: string;
  /** Its share of the wall time of the cases run with it, in milliseconds. */
  readonly ms: number;
}

export interface JsonReport extends JsonCounts {
  readonly schemaVersion: typeof REPORT_SCHEMA_VERSION;
  readonly tool: { readonly name: 'aiospec'; readonly version: string };
  readonly target: string;
  readonly profile: string;
  readonly seed: number;
  readonly kernel: {
    readonly release: string;
    readonly machine: string;
    readonly gvisor: boolean;
    /** What the kernel offers beyond io_setup, detected in it: which rules the run could reach. */
    readonly features: { readonly faultInjection: boolean; readonly aio: boolean };
  };
  readonly environment: {
    readonly possibleCpus: number;
    readonly pageSize: number;
    readonly aioMaxNr: JsonU64 | null;
    readonly aioNrAtStart: JsonU64 | null;
  };
  readonly suites: Readonly<Partial<Record<Suite, JsonCounts & { readonly ms: number }>>>;
  readonly rulesCovered: number;
  readonly rulesTotal: number;
  readonly coverage: readonly {
    readonly id: string;
    readonly hits: number;
    readonly unreachable?: string;
  }[];
  readonly divergences: readonly JsonDivergence[];
  readonly wallMs: number;
  /** Why the run stopped before its end; absent when it ran to the end. */
  readonly stopped?: string;
  /** Every case that did not pass, in the order they were settled. */
  readonly nonPassing: readonly JsonNonPassing[];
}

const VERDICT: Record<Exclude<Status, 'pass'>, JsonVerdict> = {
  diverge: 'diverged',
  inconclusive: 'inconclusive',
  skip: 'skipped',
};

const counts = (c: JsonCounts): JsonCounts => ({
  cases: c.cases,
  passed: c.passed,
  diverged: c.diverged,
  inconclusive: c.inconclusive,
  skipped: c.skipped,
});

/** Values as JSON holds them (a bigint as a number while exact, else a decimal string). */
function jsonValues<T>(v: T): T {
  return JSON.parse(JSON.stringify(v, jsonReplacer)) as T;
}

function divergence(d: DivergenceReport): JsonDivergence {
  return {
    suite: d.suite,
    index: d.index,
    kind: d.kind,
    count: d.count,
    ...(d.name !== undefined ? { name: d.name } : {}),
    // Cases exactly as `--case '<json>'` reads them back (u64 as decimal strings).
    case: caseToJson(d.case) as CaseJson,
    original: caseToJson(d.original) as CaseJson,
    differences: jsonValues(d.differences),
    ...(d.reason !== undefined ? { reason: d.reason } : {}),
    replay: d.replay,
  };
}

export function nonPassing(r: CaseResult): JsonNonPassing | null {
  if (r.status === 'pass') return null;
  return {
    suite: r.suite,
    index: r.index,
    name: r.name,
    verdict: VERDICT[r.status],
    ...(r.reason !== undefined ? { reason: r.reason } : {}),
    ...(r.kind !== undefined ? { kind: r.kind } : {}),
    ...(r.differences !== undefined ? { differences: jsonValues(r.differences) } : {}),
    ...(r.replay !== undefined ? { replay: r.replay } : {}),
    ms: r.ms,
  };
}

/** Everything but the list of non-passing cases (which a long run reads from disk). */
function head(s: RunSummary): Omit<JsonReport, 'nonPassing'> {
  const suites: Partial<Record<Suite, JsonCounts & { ms: number }>> = {};
  for (const [suite, c] of Object.entries(s.suites) as [Suite, (typeof s.suites)[Suite]][])
    if (c) suites[suite] = { ...counts(c), ms: c.ms };
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'aiospec', version: toolVersion() },
    target: s.target,
    profile: s.profile,
    seed: s.seed,
    kernel: {
      release: s.kernel.release,
      machine: s.kernel.machine,
      gvisor: s.kernel.gvisor,
      features: { faultInjection: s.kernel.features.faultInjection, aio: s.kernel.features.aio },
    },
    environment: {
      possibleCpus: s.environment.possibleCpus,
      pageSize: s.environment.pageSize,
      aioMaxNr: s.environment.aioMaxNr,
      aioNrAtStart: s.environment.aioNrAtStart,
    },
    suites,
    ...counts(s),
    rulesCovered: s.rulesCovered,
    rulesTotal: s.rulesTotal,
    coverage: s.coverage.map((c) => ({
      id: c.id,
      hits: c.hits,
      ...(c.unreachable !== undefined ? { unreachable: c.unreachable } : {}),
    })),
    divergences: s.divergences.map(divergence),
    wallMs: s.wallMs,
    ...(s.stopped !== undefined ? { stopped: s.stopped } : {}),
  };
}

/** The report as an object (what the library returns), every non-passing case in it. */
export function jsonReport(s: RunSummary): JsonReport {
  const listed: JsonNonPassing[] = [];
  for (const r of s.results) {
    const n = nonPassing(r);
    if (n) listed.push(n);
  }
  return { ...head(s), nonPassing: listed };
}

/** JSON text that cannot drive a terminal: names, releases and reasons come from kernels and traces. */
const text = (v: unknown) => terminalSafeJson(JSON.stringify(v, jsonReplacer));

/**
 * The report's text a piece at a time, the same text as stringifying
 * jsonReport: a million diverging cases are written as they are read, never held.
 */
export function* jsonChunks(s: RunSummary): Generator<string> {
  // `nonPassing` is the last key: the head's text, open where the list goes.
  const open = text({ ...head(s), nonPassing: [] });
  yield open.slice(0, -2);
  let sep = '';
  let batch: string[] = [];
  for (const r of s.results) {
    const n = nonPassing(r);
    if (!n) continue;
    batch.push(text(n));
    if (batch.length >= 1024) {
      yield sep + batch.join(',');
      sep = ',';
      batch = [];
    }
  }
  if (batch.length > 0) yield sep + batch.join(',');
  yield ']}\n';
}

export function renderJson(s: RunSummary): string {
  return [...jsonChunks(s)].join('');
}
