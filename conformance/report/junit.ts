/**
 * `--reporter junit`: the JUnit XML that Jenkins, GitLab and GitHub Actions'
 * test reporters read, valid against Jenkins' junit XSD. One <testsuite> per
 * suite, one <testcase> per case, named `suite #index: description` (unique:
 * descriptions repeat) with the suite as classname. Divergences are failures
 * carrying their own differences and replay command; skipped and inconclusive
 * cases are both <skipped> (JUnit has no "inconclusive"), told apart by text.
 */
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
function failureMessage(r: CaseResult): string {
  const lines = resultDifferenceLines(r);
  return lines.length ? lines.join('; ') : (r.reason ?? 'model and kernel differ');
}

/** Everything about this very case, then where its kind's minimal case is (when it is another). */
function failureBody(r: CaseResult, d: DivergenceReport | undefined): string {
  const lines = [`case: ${caseLabel(r)}`, ...resultDifferenceLines(r)];
  if (r.reason) lines.push(`reason: ${printable(r.reason)}`);
  if (r.replay) lines.push(`replay: ${printable(r.replay)}`);
  if (r.kind) lines.push(`kind: ${printable(r.kind)}${d ? ` (${d.count} cases)` : ''}`);
  if (d && minimalIsElsewhere(d, r))
    lines.push(
      `minimal case of this kind: ${printable(describeCase(d.case))}`,
      `replay minimal: ${printable(d.replay)}`,
    );
  return lines.join('\n');
}

/** Seconds as JUnit's time attribute holds them; microseconds, since most cases take well under one. */
const time = (ms: number) => seconds(ms, 6);

/**
 * One <testcase>. The Jenkins schema allows <skipped> no attributes, so a
 * skip's reason is its text; an inconclusive case is a skip whose text says so.
 */
function testcase(r: CaseResult, d: DivergenceReport | undefined): string {
  const open = `    <testcase${attrs({ name: caseLabel(r), classname: `aiospec.${r.suite}`, time: time(r.ms) })}`;
  const reason = r.reason ? printable(r.reason) : '';
  switch (r.status) {
    case 'pass':
      return `${open}/>`;
    case 'skip':
      return `${open}><skipped>${text(reason || 'skipped')}</skipped></testcase>`;
    case 'inconclusive':
      return `${open}><skipped>${text(`inconclusive: ${reason || 'no reason given'}`)}</skipped></testcase>`;
    case 'diverge':
      return [
        `${open}>`,
        `      <failure${attrs({ message: printable(failureMessage(r)), type: 'divergence' })}>${text(failureBody(r, d))}</failure>`,
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

/** The counts as JUnit names them: inconclusive cases are skips (they fail nothing). */
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
  // <testsuites> takes no skipped count in the Jenkins schema; each <testsuite> has one.
  const { skipped: _skipped, ...total } = counts(s);
  yield `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites${attrs({ name: 'aiospec', ...total, time: seconds(s.wallMs, 3) })}>\n`;
  yield* junitTestsuites(s);
  yield '</testsuites>\n';
}

/**
 * The run's <testsuite> elements, one per suite, named `PREFIX + suite`: a
 * document holding several runs (`aiospec matrix`) prefixes each run's, so
 * that no two suites share a name.
 */
export function* junitTestsuites(s: RunSummary, prefix = ''): Generator<string> {
  const kinds = kindIndex(s);
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
  for (const suite of suitesOf(s)) {
    const c = s.suites[suite];
    yield `${[`  <testsuite${attrs({ name: prefix + suite, ...counts(c), time: seconds(c?.ms ?? 0, 3) })}>`, ...properties].join('\n')}\n`;
    let lines: string[] = [];
    for (const r of s.results) {
      if (r.suite !== suite) continue;
      lines.push(testcase(r, kindOf(kinds, r)));
      if (lines.length >= 1024) {
        yield `${lines.join('\n')}\n`;
        lines = [];
      }
    }
    if (lines.length > 0) yield `${lines.join('\n')}\n`;
    yield '  </testsuite>\n';
  }
}

/** Escaping for the matrix's own elements (its skipped rows). */
export { attrs as xmlAttrs, text as xmlText };
