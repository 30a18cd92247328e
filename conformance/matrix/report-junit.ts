/**
 * `aiospec matrix --reporter junit`: one JUnit document (valid against
 * Jenkins' junit XSD) holding every row's suites, each named `LABEL/suite`
 * (`uml:debian-6.12-fault/faults`) so that names stay unique across rows. A
 * row that did not run is a suite of one skipped test saying why.
 */
import { seconds } from '../report/format.js';
import { junitTestsuites, xmlAttrs, xmlText } from '../report/junit.js';
import { printable } from '../report/printable.js';
import type { MatrixOutcome } from './outcome.js';
import type { RowOutcome } from './run-row.js';

function skippedRow(label: string, reason: string): string {
  return [
    `  <testsuite${xmlAttrs({ name: label, tests: 1, failures: 0, errors: 0, skipped: 1, time: '0.000' })}>`,
    `    <testcase${xmlAttrs({ name: `${label}: not run`, classname: 'aiospec.matrix', time: '0' })}><skipped>${xmlText(printable(reason))}</skipped></testcase>`,
    '  </testsuite>\n',
  ].join('\n');
}

/** The document's totals: a skipped row counts as one test. */
function totals(rows: readonly RowOutcome[]) {
  let tests = 0;
  let failures = 0;
  for (const r of rows) {
    tests += 'skipped' in r ? 1 : r.summary.cases;
    failures += 'skipped' in r ? 0 : r.summary.diverged;
  }
  return { tests, failures, errors: 0 };
}

export function* matrixJunitChunks(m: MatrixOutcome): Generator<string> {
  yield `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites${xmlAttrs({ name: 'aiospec matrix', ...totals(m.rows), time: seconds(m.wallMs, 3) })}>\n`;
  for (const r of m.rows) {
    if ('skipped' in r) yield skippedRow(r.spec.label, r.skipped);
    else yield* junitTestsuites(r.summary, `${r.spec.label}/`);
  }
  yield '</testsuites>\n';
}
