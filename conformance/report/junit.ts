/**
 * `--reporter junit`: the JUnit XML that Jenkins, GitLab and GitHub Actions'
 * test reporters read. Divergences are failures; skipped and inconclusive
 * cases are both <skipped> (JUnit has no "inconclusive"), told apart by message.
 */
import { describeCase } from '../cases.js';
import type { CaseResult, DivergenceReport, RunSummary } from '../engine/summary.js';
import { differenceLines, divergenceIndex, printable, seconds, suitesOf } from './format.js';

/** Characters XML 1.0 forbids even as references: replaced, since a parser rejects the whole file. */
const FORBIDDEN =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function text(s: string): string {
  return s
    .replace(FORBIDDEN, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\r/g, '&#13;'); // a raw CR would be read back as a newline
}

/** Attribute values also escape quotes, and whitespace that attribute normalisation would flatten. */
function attr(s: string): string {
  return text(s)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;');
}

function attrs(a: Record<string, string | number>): string {
  return Object.entries(a)
    .map(([k, v]) => ` ${k}="${attr(String(v))}"`)
    .join('');
}

/** The one-line failure message: what differed, as a CI summary shows it. */
function failureMessage(r: CaseResult, d: DivergenceReport | undefined): string {
  const lines = d ? differenceLines(d) : [];
  return lines.length ? lines.join('; ') : (r.reason ?? d?.reason ?? 'model and kernel differ');
}

function failureBody(r: CaseResult, d: DivergenceReport | undefined): string {
  const reason = r.reason ?? d?.reason;
  const lines = d ? [`case: ${printable(describeCase(d.case))}`, ...differenceLines(d)] : [];
  if (reason) lines.push(`reason: ${printable(reason)}`);
  if (d) lines.push(`replay: ${printable(d.replay)}`);
  return lines.join('\n');
}

function testcase(r: CaseResult, d: DivergenceReport | undefined): string {
  const open = `    <testcase${attrs({ classname: `aiospec.${r.suite}`, name: printable(r.name), time: 0 })}`;
  const reason = r.reason ? printable(r.reason) : '';
  switch (r.status) {
    case 'pass':
      return `${open}/>`;
    case 'skip':
      return `${open}><skipped${attrs({ message: reason || 'skipped' })}/></testcase>`;
    case 'inconclusive':
      return `${open}><skipped${attrs({ message: `inconclusive: ${reason || 'no reason given'}` })}/></testcase>`;
    case 'diverge':
      return [
        `${open}>`,
        `      <failure${attrs({ message: printable(failureMessage(r, d)), type: 'divergence' })}>${text(failureBody(r, d))}</failure>`,
        '    </testcase>',
      ].join('\n');
  }
}

/** Counts from the <testcase> elements written, so the attributes always agree with them. */
function counts(results: readonly CaseResult[]) {
  return {
    tests: results.length,
    failures: results.filter((r) => r.status === 'diverge').length,
    errors: 0,
    skipped: results.filter((r) => r.status === 'skip' || r.status === 'inconclusive').length,
  };
}

export function renderJunit(s: RunSummary): string {
  const byKey = divergenceIndex(s);
  const properties = [
    '    <properties>',
    ...Object.entries({
      target: s.target,
      profile: s.profile,
      seed: s.seed,
      'kernel.release': s.kernel.release,
      'kernel.machine': s.kernel.machine,
      'kernel.gvisor': String(s.kernel.gvisor),
    }).map(
      ([name, value]) => `      <property${attrs({ name, value: printable(String(value)) })}/>`,
    ),
    '    </properties>',
  ];
  const suites = suitesOf(s).flatMap((suite) => {
    const results = s.results.filter((r) => r.suite === suite);
    // Cases are not timed one by one; the run's wall time is on <testsuites>.
    return [
      `  <testsuite${attrs({ name: suite, ...counts(results), time: 0 })}>`,
      ...properties,
      ...results.map((r) => testcase(r, byKey.get(`${suite}:${r.index}`))),
      '  </testsuite>',
    ];
  });
  const total = { name: 'aiospec', ...counts(s.results), time: seconds(s.wallMs, 3) };
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attrs(total)}>`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}
