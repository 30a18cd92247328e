/**
 * Checking a trace against the model, with no kernel involved: every worker
 * line becomes a judge for the environment it detected, and the recorded
 * fillers, cases, releases and late io_destroy return values are judged in the
 * order they happened, exactly as the live engine judged them. Re-runs the
 * trace recorded settle divergences as they did live; nothing is shrunk.
 */
import type { ErrnoName, ProfileName } from '../../model/index.js';
import { confirmKinds } from '../engine/execute.js';
import { hostEnvironment } from '../engine/host-env.js';
import { Judge } from '../engine/judge.js';
import type { ModelRules } from '../engine/mirror.js';
import type { RunSummary } from '../engine/summary.js';
import type { CaseVerdict } from '../engine/verdict.js';
import {
  alike,
  divergenceReport,
  firstOfEachKind,
  replayCase,
  type SummaryMeta,
  summarize,
} from '../summarize.js';
import { blameOnLine } from './crash-verdict.js';
import { parseTrace, TraceError, type TraceHeader, type TraceLine } from './format.js';
import { requireCases } from './nothing-to-judge.js';

export interface ReplayOptions {
  /** Judge with this profile instead of the one the trace was recorded against. */
  readonly profile?: ProfileName;
  readonly rules?: ModelRules;
}

function seccompOf(worker: string): ErrnoName | undefined {
  const m = /^seccomp:([A-Z0-9]+)$/.exec(worker);
  return m ? (m[1] as ErrnoName) : undefined;
}

export async function replayTrace(
  text: string,
  opts: ReplayOptions = {},
): Promise<{ header: TraceHeader; summary: RunSummary }> {
  const started = Date.now();
  const { header, lines } = parseTrace(text);
  requireCases(lines);
  const profile = opts.profile ?? (header.profile as ProfileName);
  const judges = new Map<string, Judge>();
  const verdicts: CaseVerdict[] = [];
  const reruns = new Map<string, CaseVerdict[]>();
  /** Where in `verdicts` each case recorded as not-run is, until it is run. */
  const notRun = new Map<string, number>();
  const extra: CaseVerdict[] = [];
  let mainHost: Extract<TraceLine, { t: 'worker' }>['host'] | undefined;

  lines.forEach((line, i) => {
    const at = (e: unknown) => new TraceError(`line ${i + 1}: ${(e as Error).message}`);
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
              ),
              opts.rules,
            ),
          );
          if (line.worker === 'main') mainHost = line.host;
          return;
        }
        case 'fill':
          judges.get(line.worker)!.fill(line, null, 'props', extra);
          return;
        case 'release':
          judges.get(line.worker)!.release(line.released);
          return;
        case 'completions':
          judges.get(line.worker)!.completions(line.completions);
          return;
        case 'case': {
          const v: CaseVerdict = {
            suite: line.suite,
            index: line.index,
            case: line.case,
            status: line.report.status === 'ok' ? 'pass' : 'skip',
            steps: [],
            moved: false,
            attempts: 0,
          };
          judges.get(line.worker)!.cases([v], [line.report], line.case.headroom ?? null);
          blameOnLine(v, line.report, i + 1);
          if (line.rerun)
            reruns.set(`${v.suite}#${v.index}`, [
              ...(reruns.get(`${v.suite}#${v.index}`) ?? []),
              v,
            ]);
          else {
            // A batch whose worker died is recorded not-run, then run again case by case under
            // the same indexes, as the live engine does: that run takes the not-run line's place.
            const key = `${v.suite}#${v.index}`;
            const unrun = notRun.get(key);
            notRun.delete(key);
            if (line.report.status === 'not-run') notRun.set(key, unrun ?? verdicts.length);
            if (unrun === undefined) verdicts.push(v);
            else verdicts[unrun] = v;
          }
          return;
        }
        default:
          return;
      }
    } catch (e) {
      throw e instanceof TraceError ? e : at(e);
    }
  });
  if (!mainHost) throw new TraceError('line 2: the trace has no main worker');

  // Settle divergences with the re-runs the trace holds (none: the first run stands).
  await confirmKinds(verdicts, async (v) => reruns.get(`${v.suite}#${v.index}`)?.shift() ?? null);
  const all = [...verdicts, ...extra.map((v, i) => ({ ...v, index: verdicts.length + i }))];
  const meta: SummaryMeta = {
    target: header.target.kind,
    profile,
    seed: header.seed,
    faultInjection: false,
  };
  const divergences = firstOfEachKind(all).map((v) =>
    divergenceReport(
      v,
      v,
      v.reproducer ?? v.case,
      replayCase(v.reproducer ?? v.case, meta),
      alike(all, v),
    ),
  );
  return { header, summary: summarize(meta, mainHost, all, divergences, Date.now() - started) };
}
