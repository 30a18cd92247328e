/**
 * `aiospec matrix --reporter json`: one object, described by
 * schema/matrix.schema.json: each row holds the JSON report its run would
 * print (`run --reporter json`, schema/report.schema.json) or why it was
 * skipped, then the union of the rows' coverage. Built field by field, as
 * report/json.ts builds a run's.
 */
import { toolVersion } from '../cli/version.js';
import { jsonReplacer } from '../report/format.js';
import { type JsonReport, jsonReport } from '../report/json.js';
import { terminalSafeJson } from '../report/printable.js';
import { type MatrixOutcome, type RowVerdict, rowVerdict } from './outcome.js';
import type { UnionCoverage } from './union-coverage.js';

/** Raised when a field is removed or changes meaning (new fields do not raise it). */
export const MATRIX_SCHEMA_VERSION = 1;

export interface JsonMatrixRow {
  readonly label: string;
  readonly target: string;
  readonly kernel: string | null;
  readonly verdict: RowVerdict;
  readonly reason?: string;
  readonly seccompProfile?: string;
  readonly report?: JsonReport;
}

export interface JsonMatrix {
  readonly schemaVersion: typeof MATRIX_SCHEMA_VERSION;
  readonly tool: { readonly name: 'aiospec'; readonly version: string };
  readonly seed: number;
  readonly suites: readonly string[];
  readonly runs: number;
  readonly sequences: number;
  readonly rows: readonly JsonMatrixRow[];
  readonly coverage: UnionCoverage;
  readonly wallMs: number;
  readonly stopped?: string;
}

export function matrixJson(m: MatrixOutcome): JsonMatrix {
  return {
    schemaVersion: MATRIX_SCHEMA_VERSION,
    tool: { name: 'aiospec', version: toolVersion() },
    seed: m.seed,
    suites: [...m.suites],
    runs: m.runs,
    sequences: m.sequences,
    rows: m.rows.map((r) => ({
      label: r.spec.label,
      target: r.spec.target,
      kernel: r.spec.kernel ?? null,
      verdict: rowVerdict(r),
      ...('skipped' in r
        ? { reason: r.skipped }
        : {
            ...(r.seccompProfile !== undefined ? { seccompProfile: r.seccompProfile } : {}),
            report: jsonReport(r.summary),
          }),
    })),
    coverage: {
      covered: m.coverage.covered,
      total: m.coverage.total,
      rules: m.coverage.rules.map((u) => ({
        id: u.id,
        hits: u.hits,
        coveredBy: [...u.coveredBy],
        ...(u.uncovered !== undefined ? { uncovered: u.uncovered } : {}),
      })),
    },
    wallMs: m.wallMs,
    ...(m.stopped !== undefined ? { stopped: m.stopped } : {}),
  };
}

/** Kernel releases and reasons come from the targets: text that cannot drive a terminal. */
export function renderMatrixJson(m: MatrixOutcome): string {
  return `${terminalSafeJson(JSON.stringify(matrixJson(m), jsonReplacer))}\n`;
}
