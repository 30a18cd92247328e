/** `--reporter json`: the run summary as one line of JSON, for scripts and dashboards. */
import { caseToJson } from '../cases.js';
import type { RunSummary } from '../engine/summary.js';
import { jsonReplacer } from './format.js';
import { terminalSafeJson } from './printable.js';

export function renderJson(s: RunSummary): string {
  // Per-case results can run to tens of thousands of entries: a summary leaves them out
  // (TAP and JUnit carry them). Destructuring keeps every other field, present and future.
  const { results: _results, ...summary } = s;
  const out = {
    ...summary,
    // Cases exactly as `--case '<json>'` reads them back (u64 as decimal strings);
    // every other bigint goes through jsonReplacer (a number while it is exact).
    divergences: s.divergences.map((d) => ({
      ...d,
      case: caseToJson(d.case),
      original: caseToJson(d.original),
    })),
  };
  // Names, releases and reasons come from kernels and traces: nothing in them may drive a terminal.
  return `${terminalSafeJson(JSON.stringify(out, jsonReplacer))}\n`;
}
