/**
 * `aiospec replay`: a trace judged with the model (judge-trace.ts), summarized
 * as a live run is, with the first divergence of each kind reported as recorded.
 */
import type { RunSummary } from '../engine/summary.js';
import {
  alike,
  divergenceReport,
  firstOfEachKind,
  replayCase,
  type SummaryMeta,
  summarize,
} from '../summarize.js';
import type { TraceHeader } from './format.js';
import { judgeTrace, type ReplayOptions } from './judge-trace.js';

export type { ReplayOptions };

export async function replayTrace(
  text: string,
  opts: ReplayOptions = {},
): Promise<{ header: TraceHeader; summary: RunSummary }> {
  const started = Date.now();
  const { header, profile, mainHost, verdicts: all, seccompProfile } = judgeTrace(text, opts);
  const meta: SummaryMeta = {
    target: header.target.kind,
    profile,
    seed: header.seed,
    ...(seccompProfile ? { seccompProfile: seccompProfile.source } : {}),
  };
  const divergences = firstOfEachKind(all).map((v) => {
    const shown = v.shown ?? v.reproducer ?? v.case;
    return divergenceReport(v, v, shown, replayCase(shown, meta), alike(all, v));
  });
  return { header, summary: summarize(meta, mainHost, all, divergences, Date.now() - started) };
}
