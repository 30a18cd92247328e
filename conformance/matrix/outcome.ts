/**
 * The matrix as its reporters see it: each row's outcome, the union of their
 * coverage, the whole wall time, and why it stopped early (Ctrl-C) if it did.
 */
import type { Suite } from '../engine/verdict.js';
import type { RowOutcome } from './run-row.js';
import type { UnionCoverage } from './union-coverage.js';

export interface MatrixOutcome {
  readonly seed: number;
  readonly suites: readonly Suite[];
  readonly runs: number;
  readonly sequences: number;
  readonly rows: readonly RowOutcome[];
  readonly coverage: UnionCoverage;
  readonly wallMs: number;
  readonly stopped?: string;
}

export type RowVerdict = 'conformant' | 'diverged' | 'skipped';

/** A row's verdict: inconclusive cases fail nothing (as in `run`); a target that could not start is skipped. */
export function rowVerdict(row: RowOutcome): RowVerdict {
  if ('skipped' in row) return 'skipped';
  return row.summary.diverged > 0 ? 'diverged' : 'conformant';
}

/** `run`'s exit status over the rows: any divergence is 1, else 0 (skipped rows say why, they fail nothing). */
export function matrixDiverged(m: MatrixOutcome): boolean {
  return m.rows.some((r) => rowVerdict(r) === 'diverged');
}
