/**
 * `--reporter tap`: TAP version 14, one commented subtest per suite and one test
 * point per case. Inconclusive cases are TODO, so that they never fail CI.
 */

import { jsonInteger } from '../../real/protocol.js';
import { describeCase } from '../cases.js';
import type { CaseResult, DivergenceReport, RunSummary } from '../engine/summary.js';
import {
  caseLabel,
  kindIndex,
  kindOf,
  minimalIsElsewhere,
  printable,
  resultDifferenceLines,
  seconds,
  suitesOf,
} from './format.js';

/** TAP14 escaping: `\` and `#` in descriptions and reasons, so no `#` reads as a directive. */
function tapEscape(s: string): string {
  return printable(s).replace(/[\\#]/g, (c) => `\\${c}`);
}

/** A YAML double-quoted scalar: JSON's string syntax, on one line, minus the characters YAML refuses raw. */
function yamlString(s: string): string {
  return JSON.stringify(printable(s)).replace(
    /[\uFEFF\uFFFE\uFFFF]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16)}`,
  );
}

/** Any value as YAML flow (JSON-like, but with `: ` and `, ` so that YAML 1.1 parsers agree). */
function yamlValue(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'bigint') {
    const j = jsonInteger(v);
    return typeof j === 'number' ? String(j) : yamlString(j);
  }
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null';
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return yamlString(v);
  if (Array.isArray(v)) return `[${v.map(yamlValue).join(', ')}]`;
  if (typeof v === 'object') {
    const entries = Object.entries(v).filter(([, x]) => x !== undefined);
    return `{${entries.map(([k, x]) => `${yamlString(k)}: ${yamlValue(x)}`).join(', ')}}`;
  }
  return yamlString(String(v));
}

/** `key: value` lines of a YAML block: a list of flow mappings, or `[]` when empty. */
function yamlList(key: string, items: readonly Record<string, unknown>[]): string[] {
  if (items.length === 0) return [`${key}: []`];
  return [`${key}:`, ...items.map((x) => `  - ${yamlValue(x)}`)];
}

/**
 * The YAML diagnostics of a divergence: this very case's differences and the
 * command that replays it, then its kind's minimal case when that is another.
 */
function diagnostics(r: CaseResult, d: DivergenceReport | undefined): string[] {
  const diffs = (r.differences ?? []).flatMap(({ step, diffs }) =>
    diffs.map((x) => ({ step, field: x.field, model: x.model, real: x.real })),
  );
  const lines = [
    '---',
    `message: ${yamlString(resultDifferenceLines(r).join('; ') || r.reason || 'model and kernel differ')}`,
    'severity: fail',
    ...yamlList('differences', diffs),
  ];
  if (r.reason) lines.push(`reason: ${yamlString(r.reason)}`);
  if (r.replay) lines.push(`replay: ${yamlString(r.replay)}`);
  if (r.kind) lines.push(`kind: ${yamlString(r.kind)}`);
  if (d && minimalIsElsewhere(d, r))
    lines.push(
      `minimal: ${yamlValue({ case: describeCase(d.case), replay: d.replay, count: d.count })}`,
    );
  lines.push('...');
  return lines.map((l) => `  ${l}`);
}

function testPoint(n: number, r: CaseResult, d: DivergenceReport | undefined): string[] {
  const name = tapEscape(caseLabel(r));
  const reason = r.reason ? tapEscape(r.reason) : '';
  switch (r.status) {
    case 'pass':
      return [`ok ${n} - ${name}`];
    case 'skip':
      return [`ok ${n} - ${name} # SKIP${reason ? ` ${reason}` : ''}`];
    case 'inconclusive':
      return [`ok ${n} - ${name} # TODO inconclusive${reason ? `: ${reason}` : ''}`];
    case 'diverge':
      return [`not ok ${n} - ${name}`, ...diagnostics(r, d)];
  }
}

export function renderTap(s: RunSummary): string {
  return [...tapChunks(s)].join('');
}

/** The TAP stream a piece at a time: a run's results are read once per suite, never all held. */
export function* tapChunks(s: RunSummary): Generator<string> {
  yield `${[
    'TAP version 14',
    // A comment: nothing in it reads as a directive, so it only has to stay on one line.
    `# aiospec ${printable(s.target)}: kernel ${printable(s.kernel.release)} ${printable(s.kernel.machine)}, profile ${printable(s.profile)}, seed ${s.seed}`,
  ].join('\n')}\n`;
  const kinds = kindIndex(s);
  const suites = suitesOf(s);
  for (const [i, suite] of suites.entries()) {
    const n = s.suites[suite]?.cases ?? 0;
    // The subtest comment names the suite; its correlated test point must repeat that name.
    yield `# Subtest: ${suite}\n    1..${n}\n`;
    let j = 0;
    let failed = (s.suites[suite]?.diverged ?? 0) > 0;
    let lines: string[] = [];
    for (const r of s.results) {
      if (r.suite !== suite) continue;
      failed ||= r.status === 'diverge';
      for (const l of testPoint(++j, r, kindOf(kinds, r))) lines.push(`    ${l}`);
      if (lines.length >= 1024) {
        yield `${lines.join('\n')}\n`;
        lines = [];
      }
    }
    if (lines.length > 0) yield `${lines.join('\n')}\n`;
    const empty = !failed && n === 0;
    yield `${failed ? 'not ok' : 'ok'} ${i + 1} - ${suite}${empty ? ' # SKIP no cases' : ''}\n`;
  }
  yield `${[
    suites.length ? `1..${suites.length}` : '1..0 # no suite ran',
    `# cases ${s.cases}`,
    `# passed ${s.passed}`,
    `# diverged ${s.diverged}`,
    `# inconclusive ${s.inconclusive}`,
    `# skipped ${s.skipped}`,
    `# rules covered ${s.rulesCovered} of ${s.rulesTotal}`,
    `# wall time ${seconds(s.wallMs, 1)}s`,
  ].join('\n')}\n`;
}
