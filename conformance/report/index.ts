/** The reporters by name: each turns a RunSummary into text (whole, or a piece at a time). */
import type { RunSummary } from '../engine/summary.js';
import { renderHuman } from './human.js';
import { jsonChunks, renderJson } from './json.js';
import { junitChunks, renderJunit } from './junit.js';
import { renderTap, tapChunks } from './tap.js';

export const REPORTERS = {
  human: (s: RunSummary) => renderHuman(s, { color: false }),
  tap: renderTap,
  junit: renderJunit,
  json: renderJson,
} as const;

export type ReporterName = keyof typeof REPORTERS;

export function humanReport(s: RunSummary, color: boolean): string {
  return renderHuman(s, { color });
}

/**
 * A report a piece at a time, for writing as it is made: TAP and JUnit list
 * every case, JSON every case that did not pass, millions of them in a long
 * run, and are never held whole.
 */
export function reportChunks(
  name: ReporterName,
  s: RunSummary,
  opts: { readonly color: boolean },
): Iterable<string> {
  if (name === 'tap') return tapChunks(s);
  if (name === 'junit') return junitChunks(s);
  if (name === 'json') return jsonChunks(s);
  return [renderHuman(s, opts)];
}
