/**
 * Judging a trace's lines with the model, with no kernel involved: every worker
 * line becomes a judge for the environment it detected, and the recorded
 * batches, fillers, cases, releases and late io_destroy return values are
 * judged in the order they happened, exactly as the live engine judged them.
 * Each case is then settled by the same confirmation policy as a live run,
 * fed with the re-runs the trace recorded; nothing is shrunk or re-run.
 * Node-free: the playground runs it in a browser.
 */
import {
  type ErrnoName,
  type ProfileName,
  parseSeccompProfile,
  type SeccompProfile,
} from '../../model/index.js';
import type { Case, Step } from '../cases.js';
import { caseToString } from '../cases.js';
import { type Attempt, decide, trustworthy } from '../engine/confirm.js';
import type { ReportedHost } from '../engine/coverage.js';
import { hostEnvironment } from '../engine/host-env.js';
import { Judge } from '../engine/judge.js';
import type { ModelRules } from '../engine/mirror.js';
import { type CaseVerdict, newVerdict } from '../engine/verdict.js';
import { parseTrace, TraceError, type TraceHeader, type TraceLine } from './format.js';
import { requireCases } from './nothing-to-judge.js';

export interface ReplayOptions {
  /** Judge with this profile instead of the one the trace was recorded against. */
  readonly profile?: ProfileName;
  readonly rules?: ModelRules;
}

/** The seccomp profile a trace was recorded under, read as --seccomp-profile reads a file. */
function recordedProfile(header: TraceHeader): SeccompProfile | undefined {
  const p = header.seccompProfile;
  if (p === undefined) return undefined;
  if (typeof p !== 'object' || p === null || typeof p.source !== 'string')
    throw new TraceError('line 1: seccompProfile: must be {source, json}');
  try {
    return parseSeccompProfile(JSON.stringify(p.json), p.source);
  } catch (e) {
    throw new TraceError(`line 1: seccompProfile: ${(e as Error).message}`);
  }
}

function seccompOf(worker: string): ErrnoName | undefined {
  const m = /^seccomp:([A-Z0-9]+)$/.exec(worker);
  return m ? (m[1] as ErrnoName) : undefined;
}

/** A recorded case and the runs the trace holds of it. */
interface Recorded {
  readonly v: CaseVerdict;
  first: Attempt | null;
  readonly reruns: Attempt[];
  /** The line of its first run, for reasons that point at the trace. */
  readonly line: number;
}

export interface JudgedTrace {
  readonly header: TraceHeader;
  readonly profile: ProfileName;
  /** What the main worker detected: the environment the summary reports. */
  readonly mainHost: ReportedHost;
  readonly verdicts: CaseVerdict[];
  /** The seccomp profile the trace was recorded under, if any. */
  readonly seccompProfile: SeccompProfile | undefined;
}

/** Every case of a trace, settled: the verdicts `aiospec replay` counts, in the trace's order. */
export function judgeTrace(text: string, opts: ReplayOptions = {}): JudgedTrace {
  const { header, lines } = parseTrace(text);
  requireCases(lines);
  const profile = opts.profile ?? (header.profile as ProfileName);
  const seccompProfile = recordedProfile(header);
  const judges = new Map<string, Judge>();
  /** Per worker, the setups of the current batch that left contexts (a case's reproducer prefix). */
  const prefixes = new Map<string, Step[]>();
  const recorded = new Map<string, Recorded>();
  let mainHost: Extract<TraceLine, { t: 'worker' }>['host'] | undefined;

  const judgeOf = (worker: string) => {
    const j = judges.get(worker);
    if (!j) throw new Error(`worker "${worker}" used before its worker line`);
    return j;
  };

  lines.forEach((line, i) => {
    const n = i + 1;
    try {
      switch (line.t) {
        case 'worker': {
          const errno = seccompOf(line.worker);
          judges.set(
            line.worker,
            new Judge(
              hostEnvironment(
                line.host,
                profile,
                errno ? { action: 'errno', errno } : { action: 'allow' },
                seccompProfile,
              ),
              opts.rules,
              line.host,
            ),
          );
          if (line.worker === 'main') mainHost = line.host;
          return;
        }
        case 'batch':
          judgeOf(line.worker).batch(line.aioMaxNr);
          prefixes.set(line.worker, []);
          return;
        case 'fill':
          judgeOf(line.worker).fill(line);
          return;
        case 'release':
          judgeOf(line.worker).release(line.released, null);
          prefixes.set(line.worker, []);
          return;
        case 'completions':
          judgeOf(line.worker).completions(line.completions);
          return;
        case 'case': {
          const key = `${line.suite}#${line.index}`;
          const known = recorded.get(key);
          const alone =
            line.report.status !== 'ok' || line.report.results.length > line.case.steps.length;
          const prefix = alone ? null : (prefixes.get(line.worker) ?? []);
          prefixes.set(line.worker, prefix ?? []);
          const candidate =
            line.candidate ??
            (known && caseToString(line.case) !== caseToString(known.v.case) ? 1 : 0);
          const judged = judgeOf(line.worker).run(line.case, line.report, candidate, prefix);
          if (line.rerun) {
            if (known && judged) known.reruns.push(blame(judged.attempt, n));
            return;
          }
          const v = newVerdict(line.suite, line.index, line.case);
          if (judged?.reproducer) v.reproducer = judged.reproducer;
          recorded.set(key, {
            v,
            first: judged ? blame(judged.attempt, n) : null,
            reruns: [],
            line: n,
          });
          return;
        }
        default:
          return;
      }
    } catch (e) {
      throw e instanceof TraceError ? e : new TraceError(`line ${n}: ${(e as Error).message}`);
    }
  });
  if (!mainHost) throw new TraceError('line 2: the trace has no main worker');
  return {
    header,
    profile,
    mainHost,
    verdicts: [...recorded.values()].map(settle),
    seccompProfile,
  };
}

/** A run that gave no evidence names the trace line it was recorded on. */
function blame(a: Attempt, line: number): Attempt {
  return a.failure === null ? a : { ...a, failure: `line ${line}: ${a.failure}` };
}

/** The verdict a live run reached, from the runs the trace recorded. */
function settle(r: Recorded): CaseVerdict {
  const { v } = r;
  if (r.first === null) {
    v.status = 'skip';
    v.reason = `line ${r.line}: the worker never got to this case`;
    return v;
  }
  const forms: Case[] = v.reproducer ? [v.case, v.reproducer] : [v.case];
  const d = decide({ first: r.first, reruns: r.reruns, candidates: forms.length });
  v.attempts = 1 + r.reruns.length;
  if (d.kind === 'settled') {
    v.status = d.status;
    if (d.reason !== undefined) v.reason = d.reason;
    v.steps = [...d.shown.steps];
    v.disturbed = d.shown.disturbed;
    const shown = forms[d.shown.candidate];
    if (d.status === 'diverge' && shown) v.shown = shown;
    return v;
  }
  // The policy wants another re-run, which a trace cannot give.
  v.steps = [...r.first.steps];
  v.disturbed = r.first.disturbed;
  if (r.reruns.length === 0 && trustworthy(r.first)) {
    // Recorded once, undisturbed (a trace recorded with another profile, or before re-runs were recorded).
    v.status = 'diverge';
    v.reason = `line ${r.line}: differs as recorded; the trace holds no re-run of it to confirm it`;
  } else {
    v.status = 'inconclusive';
    v.reason = `line ${r.line}: the trace holds too few re-runs to settle it (${r.reruns.length} recorded)`;
  }
  return v;
}
