/** The reporters by name: each turns a RunSummary into text. */
import type { RunSummary } from '../engine/summary.js';
import { renderHuman } from './human.js';
import { renderJson } from './json.js';
import { renderJunit } from './junit.js';
import { renderTap } from './tap.js';

export { progressLine } from './human.js';

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
