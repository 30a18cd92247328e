/** `--reporter json`: the run summary as one line of JSON, for scripts and dashboards. */
import { caseToJson } from '../cases.js';
import type { RunSummary } from '../engine/summary.js';
import { jsonReplacer } from './format.js';
import { terminalSafeJson } from './printable.js';

/** The object `--reporter json` prints (and the library returns), before stringifying. */
export type JsonReport = Record<string, unknown>;

export function jsonReport(s: RunSummary): JsonReport {
  // Per-case results can run to tens of thousands of entries: a summary leaves them out
  // (TAP and JUnit carry them). Destructuring keeps every other field, present and future.
  const { results: _results, ...summary } = s;
  return {
    ...summary,
    // Cases exactly as `--case '<json>'` reads them back (u64 as decimal strings);
    // every other bigint goes through jsonReplacer (a number while it is exact).
    divergences: s.divergences.map((d) => ({
      ...d,
      case: caseToJson(d.case),
      original: caseToJson(d.original),
    })),
  };
}

export function renderJson(s: RunSummary): string {
  // Names, releases and reasons come from kernels and traces: nothing in them may drive a terminal.
  return `${terminalSafeJson(JSON.stringify(jsonReport(s), jsonReplacer))}\n`;
}
