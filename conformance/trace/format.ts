/**
 * The trace format, "aiospec-trace" version 2 (version 1, without batch lines
 * and candidates, is still read): JSON Lines, one object per line, each with a
 * "t" (type):
 *
 *   header       first line: format, version, tool, recorded, target, kernel,
 *                environment, profile (the one the target is expected to
 *                conform to), seed, suites
 *   worker       a worker started: its key and the host it detected
 *   batch        a batch's lines follow (version 2): aio-max-nr as the worker
 *                read it at the batch's start and end
 *   fill         the fillers a worker released and made before a batch
 *   case         one case: suite, index, rerun, the case, and the worker's
 *                report (status "ok" with the step results, or why not)
 *   release      contexts a worker released at the end of a batch
 *   completions  io_destroy return values that arrived after their step
 *   end          last line: how many case lines came before (a trace without
 *                it was cut short)
 *
 * Every line but the header names its worker ("main", "seccomp:EPERM",
 * "fresh:0"); lines of one worker are in the order they happened. u64 values
 * in cases are decimal strings; in results they are as the worker sent them
 * (u64.ts). Reading a trace checks every field of every line (line-checks.ts)
 * and the order of the lines (below); an error names the line and the field.
 */
import type { Completion, FillResult, ReleaseResult, U64 } from '../../real/protocol.js';
import { type Case, caseToJson, parseCase } from '../cases.js';
import type { ReportedHost } from '../engine/coverage.js';
import type { CaseReport } from '../engine/judge.js';
import type { Suite } from '../engine/verdict.js';
import { printable } from '../report/printable.js';
import { type Check, fields, isObject, type LineContext, shown } from './checks.js';
import { LINE_CHECKS, TRACE_FORMAT, TRACE_VERSION } from './line-checks.js';

export { TRACE_FORMAT, TRACE_VERSION };

export interface TraceHeader {
  readonly t: 'header';
  readonly format: typeof TRACE_FORMAT;
  readonly version: number;
  readonly tool: string;
  readonly recorded: string;
  readonly target: { readonly kind: string };
  readonly kernel: {
    readonly release: string;
    readonly version: string;
    readonly machine: string;
    readonly gvisor: boolean;
  };
  readonly environment: {
    readonly possibleCpus: number;
    readonly pageSize: number;
    readonly aioMaxNr: number | string | null;
    readonly aioNr: number | string | null;
    readonly seccompMode: number | null;
  };
  readonly profile: string;
  readonly seed: number;
  readonly suites: readonly Suite[];
  /** The seccomp profile the workers ran under (--seccomp-profile): its file name and its JSON as read. */
  readonly seccompProfile?: { readonly source: string; readonly json: unknown };
}

export type TraceLine =
  | TraceHeader
  | { readonly t: 'worker'; readonly worker: string; readonly host: ReportedHost }
  | {
      readonly t: 'batch';
      readonly worker: string;
      readonly aioMaxNr: { readonly before: U64 | null; readonly after: U64 | null };
    }
  | {
      readonly t: 'fill';
      readonly worker: string;
      readonly released: ReleaseResult | null;
      readonly made: FillResult | null;
    }
  | {
      readonly t: 'case';
      readonly worker: string;
      readonly suite: Suite;
      readonly index: number;
      readonly rerun: boolean;
      /** For a re-run: which form of the case ran (0 alone, 1 after its batch's setups); version 2. */
      readonly candidate?: number;
      readonly case: Case;
      readonly report: CaseReport;
    }
  | { readonly t: 'release'; readonly worker: string; readonly released: ReleaseResult }
  | {
      readonly t: 'completions';
      readonly worker: string;
      readonly completions: readonly Completion[];
    }
  | { readonly t: 'end'; readonly cases: number };

export function formatLine(line: TraceLine): string {
  return JSON.stringify(line.t === 'case' ? { ...line, case: caseToJson(line.case) } : line);
}

/**
 * A trace that cannot be read: the message names the line. It often quotes
 * the trace, so it is made printable here, once for every path that throws one.
 */
export class TraceError extends Error {
  override name = 'TraceError';
  constructor(message: string) {
    super(printable(message));
  }
}

/** A check per line type, built once from the tables. */
const LINE_SHAPES: ReadonlyMap<string, Check> = new Map(
  Object.entries(LINE_CHECKS).map(([t, shape]) => [t, fields(shape)]),
);

function fail(line: number, what: string): never {
  throw new TraceError(`line ${line}: ${what}`);
}

type CaseLine = Extract<TraceLine, { t: 'case' }>;

/** A case line's case, read as `--case` reads one, and its results one per step. */
function caseLine(o: Record<string, unknown>, n: number): CaseLine {
  let c: Case;
  try {
    c = parseCase(o.case);
  } catch (e) {
    return fail(n, (e as Error).message);
  }
  const line = { ...(o as unknown as CaseLine), case: c };
  if (line.report.status !== 'ok') return line;
  const results = line.report.results;
  const steps = c.steps.length;
  // One result per step, then the case's own release when it released its contexts alone.
  if (results.length < steps || results.length > steps + 1)
    fail(n, `report.results: ${results.length} results for a case of ${steps} steps`);
  c.steps.forEach((s, i) => {
    const op = results[i]!.op;
    if (op !== s.op) fail(n, `report.results[${i}].op: "${op}", but step ${i} is a ${s.op}`);
  });
  const after = results[steps];
  if (after !== undefined && after.op !== 'release')
    fail(
      n,
      `report.results[${steps}].op: "${after.op}" after the last step (only a release may follow)`,
    );
  return line;
}

/** One line's JSON, its fields checked against its type's table; the case line's case parsed. */
function checkLine(o: unknown, n: number, ctx: LineContext): TraceLine {
  if (!isObject(o)) return fail(n, 'not a JSON object');
  if (typeof o.t !== 'string') return fail(n, 'not an aiospec trace line (it has no "t")');
  const shape = LINE_SHAPES.get(o.t);
  if (!shape)
    return fail(n, `unknown line type ${shown(o.t)} (${[...LINE_SHAPES.keys()].join(', ')})`);
  const p = shape(o, ctx);
  if (p) fail(n, `${p.at}: ${p.what}`);
  return o.t === 'case' ? caseLine(o, n) : (o as unknown as TraceLine);
}

/** What the lines before this one established. */
interface Seen {
  /** This line's number. */
  readonly n: number;
  /** Workers introduced so far, with the page size each detected. */
  readonly workers: ReadonlyMap<string, number>;
  readonly cases: number;
  /** The end line's number, once there is one. */
  readonly end: number | null;
}

/** How lines must follow one another; the first rule a line breaks is its error. */
const ORDER: readonly {
  readonly broken: (l: TraceLine, s: Seen) => boolean;
  readonly why: (l: TraceLine, s: Seen) => string;
}[] = [
  {
    broken: (_, s) => s.end !== null,
    why: (_, s) => `after the end line (line ${s.end}): a trace ends at its end line`,
  },
  {
    broken: (l, s) => s.n === 1 && l.t !== 'header',
    why: () => 'the first line is not the trace header',
  },
  {
    broken: (l, s) => s.n > 1 && l.t === 'header',
    why: () => 'a second header (a trace has one, its first line)',
  },
  {
    broken: (l, s) => 'worker' in l && l.t !== 'worker' && !s.workers.has(l.worker),
    why: (l) =>
      `worker: ${shown((l as { worker: string }).worker)} was not started by an earlier worker line`,
  },
  {
    broken: (l, s) => l.t === 'end' && l.cases !== s.cases,
    why: (l, s) =>
      `cases: the end line counts ${(l as { cases: number }).cases} cases, the trace has ${s.cases}`,
  },
];

/** Parse a whole trace; a malformed or truncated one throws a TraceError naming the line. */
export function parseTrace(text: string): { header: TraceHeader; lines: TraceLine[] } {
  const raw = text.split('\n');
  // A trace the recorder finished ends with a newline; without one, the last line may be cut.
  const unterminated = raw.at(-1) !== '';
  if (!unterminated) raw.pop();
  if (raw.length === 0) fail(1, 'empty trace');
  const workers = new Map<string, number>();
  let cases = 0;
  let end: number | null = null;
  const lines = raw.map((l, i) => {
    const n = i + 1;
    let o: unknown;
    try {
      o = JSON.parse(l);
    } catch (e) {
      if (unterminated && n === raw.length)
        fail(n, 'the trace stops here in the middle of a line (cut short?)');
      fail(n, `not JSON (${(e as Error).message})`);
    }
    const worker = isObject(o) && typeof o.worker === 'string' ? o.worker : '';
    const line = checkLine(o, n, { pageSize: workers.get(worker) ?? null });
    const broken = ORDER.find((r) => r.broken(line, { n, workers, cases, end }));
    if (broken) fail(n, broken.why(line, { n, workers, cases, end }));
    if (line.t === 'worker') workers.set(line.worker, line.host.pageSize);
    if (line.t === 'case') cases++;
    if (line.t === 'end') end = n;
    return line;
  });
  if (end === null) fail(raw.length, 'the trace stops here without its end line (cut short?)');
  return { header: lines[0] as TraceHeader, lines };
}
