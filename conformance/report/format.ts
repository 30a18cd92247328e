/** What the reporters share: suite order, values for people and for JSON, safe one-line text. */

import { jsonInteger } from '../../real/protocol.js';
import { caseToString } from '../cases.js';
import type { CaseResult, DivergenceReport, RunSummary } from '../engine/summary.js';
import { SUITES, type Suite } from '../engine/verdict.js';
import type { Difference } from '../observe.js';
import { printable } from './printable.js';

export { printable };

/** The suites that ran (counted), always in the same order. */
export function suitesOf(s: RunSummary): Suite[] {
  return SUITES.filter((suite) => s.suites[suite] !== undefined);
}

/** A JSON.stringify replacer for values that may hold bigints anywhere. */
export function jsonReplacer(_key: string, v: unknown): unknown {
  return typeof v === 'bigint' ? jsonInteger(v) : v;
}

/** A value as a person reads it: errno names bare, numbers in full, null as "none". */
export function showValue(v: unknown): string {
  if (v === null) return 'none';
  if (v === undefined) return 'unknown';
  if (typeof v === 'string') return printable(v);
  if (typeof v === 'bigint') return v.toString();
  return printable(JSON.stringify(v, jsonReplacer) ?? String(v));
}

/** `field: model X, kernel Y`, the form every human-facing reporter uses. */
export function showDifference(d: Difference): string {
  return `${printable(d.field)}: model ${showValue(d.model)}, kernel ${showValue(d.real)}`;
}

type Differences = DivergenceReport['differences'];

/** Every difference, one per line, prefixed by its step when the case has several steps. */
export function stepDifferenceLines(differences: Differences, several: boolean): string[] {
  return differences.flatMap(({ step, diffs }) =>
    diffs.map((diff) => `${several ? `step ${step} · ` : ''}${showDifference(diff)}`),
  );
}

/** Every difference of a divergence report (its minimal case), one per line. */
export function differenceLines(d: DivergenceReport): string[] {
  return stepDifferenceLines(d.differences, d.case.steps.length > 1);
}

/**
 * Every difference of one case's result. A result keeps its name, not its
 * steps: a props case is one io_setup, the other suites' cases may have several.
 */
export function resultDifferenceLines(r: CaseResult): string[] {
  return stepDifferenceLines(r.differences ?? [], r.suite !== 'props');
}

/** A case's name unique in its run (`props #17: io_setup(8, zero)`): suites repeat descriptions. */
export function caseLabel(r: Pick<CaseResult, 'suite' | 'index' | 'name'>): string {
  return `${r.suite} #${r.index}: ${printable(r.name)}`;
}

/** Divergence reports (one per kind) keyed by suite and kind, to find a result's minimal case. */
export function kindIndex(s: RunSummary): Map<string, DivergenceReport> {
  return new Map(s.divergences.map((d) => [`${d.suite}:${d.kind}`, d]));
}

/** The divergence report standing for a diverged result's kind, if the run made one. */
export function kindOf(
  kinds: ReadonlyMap<string, DivergenceReport>,
  r: CaseResult,
): DivergenceReport | undefined {
  return r.kind === undefined ? undefined : kinds.get(`${r.suite}:${r.kind}`);
}

export function seconds(ms: number, digits: number): string {
  return (ms / 1000).toFixed(digits);
}

/** Whether a kind's minimal case is another case than this result (shrunk, or another index). */
export function minimalIsElsewhere(d: DivergenceReport, r: CaseResult): boolean {
  return (
    d.suite !== r.suite || d.index !== r.index || caseToString(d.case) !== caseToString(d.original)
  );
}
