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

type Counted = {
  readonly cases: number;
  readonly diverged: number;
  readonly inconclusive: number;
  readonly skipped: number;
};

/** The attributes' counts, from the same tally the <testcase> elements come from. */
function counts(c: Counted | undefined) {
  return {
    tests: c?.cases ?? 0,
    failures: c?.diverged ?? 0,
    errors: 0,
    skipped: (c?.skipped ?? 0) + (c?.inconclusive ?? 0),
  };
}

export function renderJunit(s: RunSummary): string {
  return [...junitChunks(s)].join('');
}

/** The XML a piece at a time: a run's results are read once per suite, never all held. */
export function* junitChunks(s: RunSummary): Generator<string> {
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
  const total = { name: 'aiospec', ...counts(s), time: seconds(s.wallMs, 3) };
  yield `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites${attrs(total)}>\n`;
  for (const suite of suitesOf(s)) {
    // Cases are not timed one by one; the run's wall time is on <testsuites>.
    yield `${[`  <testsuite${attrs({ name: suite, ...counts(s.suites[suite]), time: 0 })}>`, ...properties].join('\n')}\n`;
    let lines: string[] = [];
    for (const r of s.results) {
      if (r.suite !== suite) continue;
      lines.push(testcase(r, byKey.get(`${suite}:${r.index}`)));
      if (lines.length >= 1024) {
        yield `${lines.join('\n')}\n`;
        lines = [];
      }
    }
    if (lines.length > 0) yield `${lines.join('\n')}\n`;
    yield '  </testsuite>\n';
  }
  yield '</testsuites>\n';
}
