/**
 * The page's state in its URL: the query parameters are explain's flags
 * (`?nr-events=2147483648&ctx=zero&aio-max-nr=4294967296`), so a link
 * reproduces a case. Values equal to the defaults are left out.
 */
import { caseQuery, valuesFromQuery } from '../../conformance/cli/explain-input.js';
import { DEFAULTS, type Values } from './inputs.js';

export type Mode = 'single' | 'sequence' | 'replay' | 'tour';
export const MODES: readonly Mode[] = ['single', 'sequence', 'replay', 'tour'];

export function modeFrom(search: string): Mode {
  const m = new URLSearchParams(search).get('mode');
  return MODES.find((x) => x === m) ?? 'single';
}

export function valuesFrom(search: string): Values {
  return valuesFromQuery(search);
}

/** The given values that differ from the defaults (nr_events always: explain requires it). */
export function significant(values: Values): Values {
  const out: Values = {};
  for (const [k, v] of Object.entries(values))
    if (k === 'nr-events' || v !== DEFAULTS[k]) if (v !== false && v !== '') out[k] = v;
  return out;
}

export function searchFor(mode: Mode, values: Values, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams(caseQuery(significant(values)).slice(1));
  if (mode !== 'single') q.set('mode', mode);
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}
