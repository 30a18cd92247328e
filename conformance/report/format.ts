/** What the reporters share: suite order, values for people and for JSON, safe one-line text. */

import { jsonInteger } from '../../real/protocol.js';
import type { DivergenceReport, RunSummary } from '../engine/summary.js';
import type { Suite } from '../engine/verdict.js';
import type { Difference } from '../observe.js';
import { printable } from './printable.js';

export { printable };

const SUITE_ORDER: readonly Suite[] = ['table', 'props', 'stateful'];

/** The suites that ran (counted), always in the same order. */
export function suitesOf(s: RunSummary): Suite[] {
  return SUITE_ORDER.filter((suite) => s.suites[suite] !== undefined);
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

/** Every difference of a divergence, one per line, prefixed by its step when the case has several. */
export function differenceLines(d: DivergenceReport): string[] {
  const several = d.case.steps.length > 1;
  return d.differences.flatMap(({ step, diffs }) =>
    diffs.map((diff) => `${several ? `step ${step} · ` : ''}${showDifference(diff)}`),
  );
}

/** Divergence reports keyed by suite and index, to find a result's details. */
export function divergenceIndex(s: RunSummary): Map<string, DivergenceReport> {
  return new Map(s.divergences.map((d) => [`${d.suite}:${d.index}`, d]));
}

export function seconds(ms: number, digits: number): string {
  return (ms / 1000).toFixed(digits);
}
