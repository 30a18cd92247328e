/**
 * The trace format, "aiospec-trace" version 1: JSON Lines, one object per
 * line, each with a "t" (type):
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
 * in cases are decimal strings; in results they are as the worker sent them.
 */
import type { Completion, FillResult, HostInfo, ReleaseResult, U64 } from '../../real/protocol.js';
import { type Case, caseToJson, parseCase } from '../cases.js';
import type { CaseReport } from '../engine/judge.js';
import type { Suite } from '../engine/verdict.js';

export const TRACE_FORMAT = 'aiospec-trace';
/** The version written. Version 1 (no batch lines, no candidate) is still read. */
export const TRACE_VERSION = 2;
const READABLE_VERSIONS: readonly unknown[] = [1, 2];

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
}

export type TraceLine =
  | TraceHeader
  | { readonly t: 'worker'; readonly worker: string; readonly host: HostInfo }
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

/** A trace that cannot be read: the message names the line. */
export class TraceError extends Error {
  override name = 'TraceError';
}

const SUITES: readonly string[] = ['table', 'props', 'stateful'];

function need(ok: unknown, line: number, what: string): asserts ok {
  if (!ok) throw new TraceError(`line ${line}: ${what}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Check one parsed line's shape (enough to judge it safely); returns it typed. */
function checkLine(o: unknown, n: number): TraceLine {
  need(isObject(o), n, 'not a JSON object');
  const t = o.t;
  need(typeof t === 'string', n, 'not an aiospec trace line (it has no "t")');
  if (t === 'header') {
    need(o.format === TRACE_FORMAT, n, `not an aiospec trace (format ${JSON.stringify(o.format)})`);
    need(
      READABLE_VERSIONS.includes(o.version),
      n,
      `trace version ${JSON.stringify(o.version)}, this aiospec reads versions ${READABLE_VERSIONS.join(' and ')}`,
    );
    need(
      typeof o.profile === 'string' && typeof o.seed === 'number' && Array.isArray(o.suites),
      n,
      'header lacks profile, seed or suites',
    );
    need(
      isObject(o.kernel) && isObject(o.environment) && isObject(o.target),
      n,
      'header lacks target, kernel or environment',
    );
    return o as unknown as TraceHeader;
  }
  if (t === 'end') {
    need(typeof o.cases === 'number', n, 'end line lacks the case count');
    return o as unknown as TraceLine;
  }
  need(typeof o.worker === 'string', n, `${String(t)} line lacks its worker`);
  switch (t) {
    case 'worker':
      need(
        isObject(o.host) &&
          typeof o.host.pageSize === 'number' &&
          typeof o.host.possibleCpus === 'number',
        n,
        'worker line lacks the host it detected',
      );
      return o as unknown as TraceLine;
    case 'batch':
      need(isObject(o.aioMaxNr), n, 'batch line lacks aioMaxNr');
      return o as unknown as TraceLine;
    case 'fill':
      need('released' in o && 'made' in o, n, 'fill line lacks released or made');
      return o as unknown as TraceLine;
    case 'release':
      need(
        isObject(o.released) && Array.isArray(o.released.refs),
        n,
        'release line lacks the refs released',
      );
      return o as unknown as TraceLine;
    case 'completions':
      need(Array.isArray(o.completions), n, 'completions line lacks its list');
      return o as unknown as TraceLine;
    case 'case': {
      need(
        typeof o.suite === 'string' && SUITES.includes(o.suite),
        n,
        `case line has suite ${JSON.stringify(o.suite)}`,
      );
      need(
        typeof o.index === 'number' && typeof o.rerun === 'boolean',
        n,
        'case line lacks index or rerun',
      );
      need(
        isObject(o.report) && typeof o.report.status === 'string',
        n,
        'case line lacks the worker report',
      );
      let c: Case;
      try {
        c = parseCase(o.case);
      } catch (e) {
        throw new TraceError(`line ${n}: ${(e as Error).message}`);
      }
      if (o.report.status === 'ok') {
        const results = o.report.results;
        need(Array.isArray(results), n, 'ok report lacks its results');
        const expected = c.steps.length;
        need(
          results.length >= expected,
          n,
          `the case has ${expected} steps but the report ${results.length} results`,
        );
        for (const [i, r] of results.entries())
          need(isObject(r) && typeof r.op === 'string', n, `result ${i} is not a step result`);
        for (const [i, s] of c.steps.entries()) {
          const op = (results[i] as { op: string }).op;
          need(op === s.op, n, `step ${i} is a ${s.op} but its result a ${op}`);
        }
      }
      return { ...(o as unknown as Extract<TraceLine, { t: 'case' }>), case: c };
    }
    default:
      throw new TraceError(`line ${n}: unknown line type ${JSON.stringify(t)}`);
  }
}

/** Parse a whole trace; a malformed or truncated one throws a TraceError naming the line. */
export function parseTrace(text: string): { header: TraceHeader; lines: TraceLine[] } {
  const raw = text.split('\n');
  if (raw.at(-1) === '') raw.pop();
  need(raw.length > 0, 1, 'empty trace');
  const lines = raw.map((l, i) => {
    let o: unknown;
    try {
      o = JSON.parse(l);
    } catch (e) {
      throw new TraceError(`line ${i + 1}: not JSON (${(e as Error).message})`);
    }
    return checkLine(o, i + 1);
  });
  const header = lines[0];
  need(header?.t === 'header', 1, 'the first line is not the trace header');
  lines.slice(1).forEach((l, i) => {
    need(l.t !== 'header', i + 2, 'a second header');
  });
  const end = lines.at(-1);
  if (end?.t !== 'end')
    throw new TraceError(
      `line ${raw.length}: the trace stops here without its end line (cut short?)`,
    );
  const cases = lines.filter((l) => l.t === 'case').length;
  need(
    end.cases === cases,
    raw.length,
    `the end line counts ${end.cases} cases, the trace has ${cases}`,
  );
  const workers = new Set<string>();
  lines.forEach((l, i) => {
    if (l.t === 'worker') workers.add(l.worker);
    else if ('worker' in l)
      need(workers.has(l.worker), i + 1, `worker "${l.worker}" used before its worker line`);
  });
  return { header: header as TraceHeader, lines };
}
