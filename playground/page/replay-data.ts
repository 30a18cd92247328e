/**
 * What a dropped file holds, for the replay view: a trace (`aiospec record`),
 * judged here by the same code as `aiospec replay`, or a `--reporter json`
 * report, shown as it is. Pure: no DOM.
 */

export { firstOfEachKind } from '../../conformance/engine/signature.js';

import type { CaseVerdict, Status } from '../../conformance/engine/verdict.js';
import type { Difference } from '../../conformance/observe.js';
import { type JudgedTrace, judgeTrace } from '../../conformance/trace/judge-trace.js';
import type { ProfileName } from '../../model/index.js';

export interface ReportDivergence {
  readonly suite: string;
  readonly index: number;
  readonly count: number;
  readonly name?: string;
  readonly case: unknown;
  readonly differences: readonly { readonly step: number; readonly diffs: readonly Difference[] }[];
  readonly reason?: string;
  readonly replay: string;
}

export interface ReportFile {
  readonly tool?: string;
  readonly target?: string;
  readonly profile?: string;
  readonly seed?: number;
  readonly kernel?: { readonly release?: string; readonly machine?: string };
  readonly cases: number;
  readonly passed: number;
  readonly diverged: number;
  readonly inconclusive: number;
  readonly skipped: number;
  readonly divergences: readonly ReportDivergence[];
}

export type Loaded =
  | { readonly kind: 'trace'; readonly text: string }
  | { readonly kind: 'report'; readonly report: ReportFile };

/** A trace's first line is its header; a report is one JSON object with divergences. */
export function classify(text: string): Loaded {
  const first = text.slice(0, text.indexOf('\n') < 0 ? text.length : text.indexOf('\n'));
  let head: unknown;
  try {
    head = JSON.parse(first);
  } catch {
    head = undefined;
  }
  if (isObject(head) && head.t === 'header') return { kind: 'trace', text };
  let whole: unknown;
  try {
    whole = JSON.parse(text);
  } catch {
    throw new Error(
      'neither a trace (aiospec record) nor a JSON report (--reporter json): not JSON',
    );
  }
  if (isObject(whole) && Array.isArray(whole.divergences) && typeof whole.cases === 'number')
    return { kind: 'report', report: whole as unknown as ReportFile };
  throw new Error('neither a trace (its first line a header) nor a JSON report (with divergences)');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export type Counts = Readonly<
  Record<'cases' | 'passed' | 'diverged' | 'inconclusive' | 'skipped', number>
>;

const COUNTED: Record<Status, keyof Counts> = {
  pass: 'passed',
  diverge: 'diverged',
  inconclusive: 'inconclusive',
  skip: 'skipped',
};

export function countVerdicts(verdicts: readonly CaseVerdict[]): Counts {
  const c = { cases: 0, passed: 0, diverged: 0, inconclusive: 0, skipped: 0 };
  for (const v of verdicts) {
    c.cases++;
    c[COUNTED[v.status]]++;
  }
  return c;
}

export function judge(text: string, profile: ProfileName | null): JudgedTrace {
  return judgeTrace(text, profile === null ? {} : { profile });
}

/** An observation as rows of dotted fields (`ring.id`), the names differences use. */
export function flatten(v: unknown, prefix = ''): [string, string][] {
  if (isObject(v)) {
    return Object.entries(v).flatMap(([k, x]) => flatten(x, prefix ? `${prefix}.${k}` : k));
  }
  return [[prefix || 'value', shown(v)]];
}

export function shown(v: unknown): string {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'string') return v;
  return JSON.stringify(v) ?? 'undefined';
}

/** Model and kernel side by side, field by field; a field a difference names is marked. */
export function compareRows(
  model: unknown,
  real: unknown,
  diffs: readonly Difference[],
): { field: string; model: string; real: string; differs: boolean }[] {
  const m = new Map(flatten(model));
  const r = new Map(flatten(real));
  const fields = [...new Set([...m.keys(), ...r.keys(), ...diffs.map((d) => d.field)])];
  return fields.map((field) => {
    const d = diffs.find((x) => x.field === field);
    return {
      field,
      model: d ? shown(d.model) : (m.get(field) ?? '—'),
      real: d ? shown(d.real) : (r.get(field) ?? '—'),
      differs: d !== undefined || diffs.some((x) => field.startsWith(`${x.field}.`)),
    };
  });
}
