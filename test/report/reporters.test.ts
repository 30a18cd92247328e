/**
 * The four reporters on hand-made summaries (hostile names, u64 values past
 * 2^53, several cases of one kind). TAP and JUnit are checked by small
 * structural checkers written here, strict about escaping; the real
 * consumers (tap-parser, junit2json, xmllint, ajv) read real runs' reports in
 * consumers.test.ts, and the JSON report of these summaries here.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type Case,
  caseToJson,
  caseToString,
  describeCase,
  parseCase,
} from '../../conformance/cases.js';
import type { CaseResult, DivergenceReport, RunSummary } from '../../conformance/engine/summary.js';
import { jsonReplacer, seconds } from '../../conformance/report/format.js';
import { renderHuman, wrap } from '../../conformance/report/human.js';
import { jsonReport, renderJson } from '../../conformance/report/json.js';
import { renderJunit } from '../../conformance/report/junit.js';
import { renderTap } from '../../conformance/report/tap.js';

import { schemaValidator } from '../support/consumers.js';

const PACKAGE = resolve(import.meta.dirname, '../../package.json');

// ---------------------------------------------------------------- fixtures

/** Everything a reporter must escape: TAP's # and \, XML's < & " ', an ESC sequence and a newline. */
const WEIRD = `a#b \\ <c> & "d" 'e' \x1b[31mred\nend`;
/** The same name as every reporter shows it: control characters made visible. */
const WEIRD_SHOWN = `a#b \\ <c> & "d" 'e' \\x1b[31mred\\x0aend`;

const TWO_64 = 2n ** 64n;
const BIG = 2n ** 60n; // past 2^53: JSON must carry it as a string

const replay = (c: Case) => `aiospec run --case '${caseToString(c)}'`;

const weirdCase: Case = {
  name: WEIRD,
  source: 'LTP io_setup01',
  steps: [
    { op: 'setup', nr: 1, ctx: 'zero' },
    { op: 'destroy', target: { handle: 0 } },
  ],
};

const bigCase: Case = {
  headroom: TWO_64 - 1n,
  steps: [
    { op: 'setup', nr: 0x10000, ctx: 'nonzero', asHeadroom: BIG },
    { op: 'destroy', target: { address: '0xffffffffffffffff' } },
  ],
};
const bigOriginal: Case = {
  ...bigCase,
  freshProcess: true,
  steps: [...bigCase.steps, { op: 'setup', nr: 7, ctx: 'readonly' }],
};

const divergences: DivergenceReport[] = [
  {
    suite: 'table',
    index: 1,
    count: 1,
    name: WEIRD,
    case: weirdCase,
    original: weirdCase,
    differences: [{ step: 0, diffs: [{ field: 'errno', model: 'EINVAL', real: null }] }],
    reason: 'confirmed on 3 attempts # really',
    replay: replay(weirdCase),
    kind: 'setup:setup.nr-zero:errno:EINVAL/null',
  },
  {
    suite: 'stateful',
    index: 0,
    count: 2,
    case: bigCase,
    original: bigOriginal,
    differences: [
      {
        step: 0,
        diffs: [
          { field: 'aioNrDelta', model: BIG, real: 1n },
          { field: 'ring.pages', model: 1, real: 2 },
        ],
      },
      { step: 1, diffs: [{ field: 'ringGone', model: true, real: false }] },
    ],
    replay: `aiospec run --suite stateful --seed=7 --path=0:1   # or: ${replay(bigCase)}`,
    kind: 'setup:setup.ok:aioNrDelta,ring',
  },
];

/** A second case of the stateful kind, with differences of its own. */
const otherCase: Case = { steps: [{ op: 'setup', nr: 3, ctx: 'zero' }] };

const result = (r: Omit<CaseResult, 'rules' | 'ms'> & { ms?: number }): CaseResult => ({
  rules: ['setup.ok'],
  ms: 1.25,
  ...r,
});

const divergedResults: CaseResult[] = [
  result({ suite: 'table', index: 0, name: 'nr_events 0', status: 'pass' }),
  result({
    suite: 'table',
    index: 1,
    name: WEIRD,
    status: 'diverge',
    reason: 'confirmed on 3 attempts # really',
    differences: divergences[0]!.differences,
    replay: replay(weirdCase),
    kind: divergences[0]!.kind,
  }),
  result({
    suite: 'table',
    index: 2,
    name: 'gVisor only',
    status: 'skip',
    reason: 'needs #gvisor \\ runsc',
  }),
  result({ suite: 'props', index: 0, name: describeCase(weirdCase), status: 'pass' }),
  result({
    suite: 'props',
    index: 1,
    name: 'io_setup(2, zero)',
    status: 'inconclusive',
    reason: 'aio-nr moved under the case',
  }),
  result({
    suite: 'props',
    index: 2,
    name: 'io_setup(3, kernel)',
    status: 'skip',
    reason: 'no kernel address',
  }),
  result({
    suite: 'stateful',
    index: 0,
    name: describeCase(bigOriginal),
    status: 'diverge',
    differences: [
      { step: 0, diffs: [{ field: 'aioNrDelta', model: BIG, real: 1n }] },
      { step: 2, diffs: [{ field: 'ring.pages', model: 1, real: 2 }] },
    ],
    replay: replay(bigOriginal),
    kind: divergences[1]!.kind,
  }),
  result({ suite: 'stateful', index: 1, name: 'io_setup(1, zero)', status: 'pass' }),
  result({
    suite: 'stateful',
    index: 2,
    name: describeCase(otherCase),
    status: 'diverge',
    differences: [{ step: 0, diffs: [{ field: 'ring.nr', model: 0, real: 383 }] }],
    replay: replay(otherCase),
    kind: divergences[1]!.kind,
  }),
];

const base = {
  tool: 'aiospec',
  target: 'local',
  profile: 'linux',
  seed: 42,
  kernel: {
    release: '6.8.0-45-generic',
    machine: 'x86_64',
    gvisor: false,
    features: { faultInjection: false, aio: true },
  },
  environment: { possibleCpus: 4, pageSize: 4096, aioMaxNr: 65536, aioNrAtStart: '0' },
  rulesCovered: 2,
  rulesTotal: 3,
  coverage: [
    { id: 'setup.nr-zero', hits: 3 },
    { id: 'setup.ok', hits: 9 },
    { id: 'setup.kmem', hits: 0, unreachable: 'needs kernel fault injection' },
  ],
} as const;

const conformant: RunSummary = {
  ...base,
  suites: {
    table: { cases: 2, passed: 2, diverged: 0, inconclusive: 0, skipped: 0, ms: 500 },
    props: { cases: 1, passed: 1, diverged: 0, inconclusive: 0, skipped: 0, ms: 300 },
  },
  cases: 3,
  passed: 3,
  diverged: 0,
  inconclusive: 0,
  skipped: 0,
  divergences: [],
  wallMs: 860,
  results: [
    result({ suite: 'table', index: 0, name: 'nr_events 0', status: 'pass' }),
    result({ suite: 'table', index: 1, name: 'nr_events 1', status: 'pass' }),
    result({ suite: 'props', index: 0, name: 'io_setup(5, zero)', status: 'pass' }),
  ],
};

const diverged: RunSummary = {
  ...base,
  kernel: {
    release: '4.4.0 #1 <gVisor>',
    machine: 'x86_64',
    gvisor: true,
    features: { faultInjection: false, aio: true },
  },
  suites: {
    table: { cases: 3, passed: 1, diverged: 1, inconclusive: 0, skipped: 1, ms: 4000 },
    props: { cases: 3, passed: 1, diverged: 0, inconclusive: 1, skipped: 1, ms: 3000 },
    stateful: { cases: 3, passed: 1, diverged: 2, inconclusive: 0, skipped: 0, ms: 5000 },
  },
  cases: 9,
  passed: 3,
  diverged: 3,
  inconclusive: 1,
  skipped: 2,
  divergences,
  wallMs: 12_345,
  results: divergedResults,
};

// ---------------------------------------------------------------- a TAP 14 checker

interface TapPoint {
  ok: boolean;
  n: number;
  description: string;
  directive?: { kind: string; reason: string };
  yaml?: string[];
  subtest?: TapDoc;
}
interface TapDoc {
  plan: number;
  points: TapPoint[];
  comments: string[];
}

/** TAP14 unescaping; an unescaped `#` is only allowed as the directive delimiter. */
function splitDescription(raw: string): Pick<TapPoint, 'description' | 'directive'> {
  let text = '';
  for (let k = 0; k < raw.length; k++) {
    const c = raw[k]!;
    if (c === '\\' && (raw[k + 1] === '\\' || raw[k + 1] === '#')) {
      text += raw[++k];
    } else if (c === '#') {
      const m = /^# (SKIP|TODO)(?: (.*))?$/.exec(raw.slice(k));
      if (!m || !text.endsWith(' ')) throw new Error(`unescaped # in ${JSON.stringify(raw)}`);
      const reason = splitDescription(m[2] ?? '');
      if (reason.directive) throw new Error(`unescaped # in reason of ${JSON.stringify(raw)}`);
      return {
        description: text.slice(0, -1),
        directive: { kind: m[1]!, reason: reason.description },
      };
    } else {
      text += c;
    }
  }
  return { description: text };
}

function parseTapLevel(lines: readonly string[], indent: number, first: number): TapDoc {
  const pad = ' '.repeat(indent);
  const doc: TapDoc = { plan: -1, points: [], comments: [] };
  let planAt = -1;
  let introduced: string | undefined; // a "# Subtest: name" waiting for its subtest
  let pending: { name: string | undefined; doc: TapDoc } | undefined; // a subtest waiting for its test point
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`TAP line ${first + i}: ${why}: ${JSON.stringify(lines[i])}`);
  };
  while (i < lines.length) {
    const line = lines[i]!;
    if (!line.startsWith(pad)) fail(`not indented by ${indent}`);
    const body = line.slice(indent);
    if (body.startsWith('    ')) {
      if (pending) fail('second subtest before a test point');
      let j = i;
      while (j < lines.length && lines[j]!.startsWith(`${pad}    `)) j++;
      pending = { name: introduced, doc: parseTapLevel(lines.slice(i, j), indent + 4, first + i) };
      introduced = undefined;
      i = j;
      continue;
    }
    if (body.startsWith('# Subtest: ')) introduced = body.slice('# Subtest: '.length);
    else if (body.startsWith('#')) doc.comments.push(body);
    else if (/^1\.\.\d+( # .+)?$/.test(body)) {
      if (planAt >= 0) fail('second plan');
      doc.plan = Number(/^1\.\.(\d+)/.exec(body)![1]);
      planAt = doc.points.length;
    } else {
      const m = /^(not )?ok (\d+) - (.*)$/.exec(body);
      if (!m) fail('not a TAP line');
      if (planAt > 0) fail('test point after the plan');
      if (introduced !== undefined) fail('subtest comment with no subtest');
      const point: TapPoint = { ok: !m![1], n: Number(m![2]), ...splitDescription(m![3]!) };
      if (pending) {
        if (pending.name !== undefined && pending.name !== point.description)
          fail(`subtest "${pending.name}" closed by a test point of another name`);
        point.subtest = pending.doc;
        pending = undefined;
      }
      i++;
      if (lines[i] === `${pad}  ---`) {
        const end = lines.indexOf(`${pad}  ...`, i);
        if (end < 0) fail('YAML block never closed');
        const yaml = lines.slice(i + 1, end);
        for (const l of yaml)
          if (!l.startsWith(`${pad}  `) || l.trim() === '---') fail('YAML line outside its block');
        point.yaml = yaml.map((l) => l.slice(indent + 2));
        i = end + 1;
      }
      doc.points.push(point);
      continue;
    }
    i++;
  }
  if (pending || introduced !== undefined) fail('subtest with no closing test point');
  if (doc.plan < 0) fail('no plan');
  if (planAt !== 0 && planAt !== doc.points.length) fail('plan in the middle');
  if (doc.plan !== doc.points.length) fail(`plan 1..${doc.plan} but ${doc.points.length} points`);
  doc.points.forEach((p, k) => {
    if (p.n !== k + 1) fail(`test point ${p.n} where ${k + 1} was due`);
  });
  return doc;
}

function checkTap(text: string): TapDoc {
  if (!text.endsWith('\n')) throw new Error('TAP must end with a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines[0] !== 'TAP version 14') throw new Error('first line must be "TAP version 14"');
  return parseTapLevel(lines.slice(1), 0, 2);
}

/** The YAML values written are JSON-compatible flow scalars: read one back. */
function yamlField(yaml: readonly string[], key: string): unknown[] {
  return yaml
    .map((l) => new RegExp(`^\\s*(?:- )?${key}: (.*)$`).exec(l))
    .filter((m) => m !== null)
    .map((m) => JSON.parse(m[1]!));
}

/** The flow mappings of a YAML list under `key` (one `  - {...}` line each). */
function yamlList(yaml: readonly string[], key: string): unknown[] {
  const at = yaml.indexOf(`${key}:`);
  if (at < 0) return [];
  const items: unknown[] = [];
  for (const l of yaml.slice(at + 1)) {
    const m = /^ {2}- (.*)$/.exec(l);
    if (!m) break;
    items.push(JSON.parse(m[1]!));
  }
  return items;
}

// ---------------------------------------------------------------- an XML well-formedness checker

interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const XML_FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

function decodeXml(s: string): string {
  const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
  return s.replace(/&([^;&]*)(;?)/g, (all, body: string, semi: string) => {
    const code = /^#(\d+)$/.exec(body)?.[1] ?? /^#x([0-9a-fA-F]+)$/.exec(body)?.[1];
    const out =
      named[body] ??
      (code === undefined
        ? undefined
        : String.fromCodePoint(Number.parseInt(code, body[1] === 'x' ? 16 : 10)));
    if (!semi || out === undefined) throw new Error(`bad entity ${all}`);
    if (XML_FORBIDDEN.test(out)) throw new Error(`reference to a forbidden character: ${all}`);
    return out;
  });
}

function parseXml(xml: string): XmlElement {
  const decl = '<?xml version="1.0" encoding="UTF-8"?>\n';
  if (!xml.startsWith(decl)) throw new Error('missing XML declaration');
  if (XML_FORBIDDEN.test(xml)) throw new Error('a character XML 1.0 forbids');
  const tag = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*="[^"<]*")*)\s*(\/?)>/y;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let i = decl.length;
  while (i < xml.length) {
    if (xml[i] === '<') {
      tag.lastIndex = i;
      const m = tag.exec(xml);
      if (!m) throw new Error(`malformed tag at ${i}: ${xml.slice(i, i + 60)}`);
      const [all, close, name, attrText, selfClose] = m;
      if (close) {
        if (attrText || selfClose) throw new Error(`malformed end tag ${all}`);
        const open = stack.pop();
        if (open?.name !== name) throw new Error(`</${name}> closes <${open?.name}>`);
      } else {
        const attrs: Record<string, string> = {};
        for (const a of attrText!.matchAll(/([A-Za-z_][\w.-]*)="([^"]*)"/g)) {
          if (Object.hasOwn(attrs, a[1]!)) throw new Error(`duplicate attribute ${a[1]}`);
          attrs[a[1]!] = decodeXml(a[2]!);
        }
        const el: XmlElement = { name: name!, attrs, children: [], text: '' };
        const parent = stack.at(-1);
        if (parent) parent.children.push(el);
        else if (root) throw new Error('second root element');
        else root = el;
        if (!selfClose) stack.push(el);
      }
      i += all.length;
    } else {
      const end = xml.indexOf('<', i) < 0 ? xml.length : xml.indexOf('<', i);
      const raw = xml.slice(i, end);
      if (raw.includes(']]>')) throw new Error(']]> in text');
      const parent = stack.at(-1);
      if (parent) parent.text += decodeXml(raw);
      else if (raw.trim()) throw new Error(`text outside the root: ${raw}`);
      i = end;
    }
  }
  if (stack.length) throw new Error(`<${stack.at(-1)!.name}> never closed`);
  if (!root) throw new Error('no root element');
  return root;
}

const kids = (el: XmlElement, name: string) => el.children.filter((c) => c.name === name);

// ---------------------------------------------------------------- the tests

describe('json reporter', () => {
  const strict = schemaValidator('report', { strict: true });

  it('is one line of JSON, valid against schema/report.schema.json with every field described', () => {
    for (const s of [conformant, diverged]) {
      const text = renderJson(s);
      expect(text.endsWith('\n')).toBe(true);
      expect(text.slice(0, -1)).not.toContain('\n');
      const parsed = JSON.parse(text) as Record<string, unknown>;
      expect(strict(parsed), JSON.stringify(strict.errors)).toBe(true);
      expect(parsed).toEqual(JSON.parse(JSON.stringify(jsonReport(s), jsonReplacer)));
      expect(parsed).toMatchObject({
        schemaVersion: 1,
        tool: { name: 'aiospec', version: JSON.parse(readFileSync(PACKAGE, 'utf8')).version },
        cases: s.cases,
        environment: s.environment,
      });
    }
  });

  it('lists every non-passing case with its verdict and reason, a divergence with its own differences and replay', () => {
    const parsed = JSON.parse(renderJson(diverged)) as ReturnType<typeof jsonReport>;
    expect(parsed.nonPassing.map((c) => [c.suite, c.index, c.verdict, c.reason])).toEqual([
      ['table', 1, 'diverged', 'confirmed on 3 attempts # really'],
      ['table', 2, 'skipped', 'needs #gvisor \\ runsc'],
      ['props', 1, 'inconclusive', 'aio-nr moved under the case'],
      ['props', 2, 'skipped', 'no kernel address'],
      ['stateful', 0, 'diverged', undefined],
      ['stateful', 2, 'diverged', undefined],
    ]);
    const [first, second] = parsed.nonPassing.filter((c) => c.suite === 'stateful');
    expect(first!.replay).toBe(replay(bigOriginal));
    expect(second!.replay).toBe(replay(otherCase));
    expect(second!.differences).toEqual([
      { step: 0, diffs: [{ field: 'ring.nr', model: 0, real: 383 }] },
    ]);
    expect(first!.differences![0]!.diffs[0]).toEqual({
      field: 'aioNrDelta',
      model: BIG.toString(),
      real: 1,
    });
    expect(first!.kind).toBe(parsed.divergences[1]!.kind);
  });

  it('the schema refuses what the report must not be', () => {
    const loose = schemaValidator('report', { strict: false });
    const good = JSON.parse(renderJson(diverged)) as Record<string, unknown>;
    expect(loose(good)).toBe(true);
    for (const bad of [
      { ...good, schemaVersion: 2 },
      {
        ...good,
        nonPassing: [{ suite: 'props', index: 0, name: 'x', verdict: 'diverged', ms: 0 }],
      },
      { ...good, nonPassing: [{ suite: 'props', index: 0, name: 'x', verdict: 'skipped', ms: 0 }] },
      { ...good, cases: -1 },
    ])
      expect(loose(bad)).toBe(false);
    // A field the schema does not describe: the published schema lets readers ignore it, the tests do not.
    expect(strict({ ...good, extra: 1 })).toBe(false);
  });

  it('writes cases as caseToJson does, so that they replay exactly', () => {
    const parsed = JSON.parse(renderJson(diverged)) as {
      divergences: { case: unknown; original: unknown; name?: string }[];
    };
    parsed.divergences.forEach((d, k) => {
      const want = diverged.divergences[k]!;
      expect(d.case).toEqual(caseToJson(want.case));
      expect(d.original).toEqual(caseToJson(want.original));
      expect(parseCase(d.case)).toEqual(want.case);
      expect(parseCase(d.original)).toEqual(want.original);
    });
    expect(parsed.divergences[0]!.name).toBe(WEIRD);
    expect(parsed.divergences[1]!.case).toMatchObject({ headroom: (TWO_64 - 1n).toString() });
  });

  it('writes other bigints as numbers while exact, as decimal strings past 2^53', () => {
    const parsed = JSON.parse(renderJson(diverged)) as {
      divergences: { differences: { diffs: { model: unknown; real: unknown }[] }[] }[];
    };
    const diff = parsed.divergences[1]!.differences[0]!.diffs[0]!;
    expect(diff).toEqual({ field: 'aioNrDelta', model: BIG.toString(), real: 1 });
  });
});

describe('tap reporter', () => {
  it('the checker rejects broken TAP', () => {
    expect(() => checkTap('TAP version 14\n1..2\nok 1 - a\n')).toThrow(/plan/);
    expect(() => checkTap('TAP version 14\nok 1 - a\nok 3 - b\n1..2\n')).toThrow(/due/);
    expect(() => checkTap('TAP version 14\nnot ok 1 - a\n  ---\n  x: 1\n1..1\n')).toThrow(/YAML/);
    expect(() => checkTap('TAP version 14\nok 1 - a # b\n1..1\n')).toThrow(/unescaped/);
    expect(() => checkTap('# Subtest: s\n    1..0\nok 1 - s\n1..1\n')).toThrow(/version/);
  });

  it('is valid TAP 14 with one passing subtest per suite when conformant', () => {
    const doc = checkTap(renderTap(conformant));
    expect(doc.points.map((p) => [p.ok, p.description])).toEqual([
      [true, 'table'],
      [true, 'props'],
    ]);
    expect(doc.points[0]!.subtest!.points.map((p) => p.description)).toEqual([
      'table #0: nr_events 0',
      'table #1: nr_events 1',
    ]);
  });

  it('marks divergences not ok with diagnostics, skips SKIP, inconclusive TODO', () => {
    const doc = checkTap(renderTap(diverged));
    expect(doc.points.map((p) => [p.ok, p.description])).toEqual([
      [false, 'table'],
      [true, 'props'],
      [false, 'stateful'],
    ]);
    const [table, props, stateful] = doc.points.map((p) => p.subtest!.points);

    const weird = table![1]!;
    expect(weird.ok).toBe(false);
    expect(weird.description).toBe(`table #1: ${WEIRD_SHOWN}`);
    expect(yamlField(weird.yaml!, 'replay')).toEqual([replay(weirdCase)]);
    expect(yamlList(weird.yaml!, 'differences')).toEqual([
      { step: 0, field: 'errno', model: 'EINVAL', real: null },
    ]);
    expect(table![2]!.directive).toEqual({ kind: 'SKIP', reason: 'needs #gvisor \\ runsc' });

    expect(props!.map((p) => p.ok)).toEqual([true, true, true]);
    expect(props![1]!.directive).toEqual({
      kind: 'TODO',
      reason: 'inconclusive: aio-nr moved under the case',
    });
    expect(props![2]!.directive?.kind).toBe('SKIP');

    // Each diverging case its own differences and replay; the kind's minimal case after them.
    const [big, , other] = stateful!;
    expect(yamlList(big!.yaml!, 'differences')).toEqual([
      { step: 0, field: 'aioNrDelta', model: BIG.toString(), real: 1 },
      { step: 2, field: 'ring.pages', model: 1, real: 2 },
    ]);
    expect(yamlField(big!.yaml!, 'replay')).toEqual([replay(bigOriginal)]);
    expect(yamlList(other!.yaml!, 'differences')).toEqual([
      { step: 0, field: 'ring.nr', model: 0, real: 383 },
    ]);
    expect(yamlField(other!.yaml!, 'replay')).toEqual([replay(otherCase)]);
    expect(yamlField(other!.yaml!, 'minimal')).toEqual([
      { case: describeCase(bigCase), replay: divergences[1]!.replay, count: 2 },
    ]);
    // Only divergences carry diagnostics.
    expect(doc.points.flatMap((p) => p.subtest!.points).filter((p) => p.yaml)).toHaveLength(3);
  });

  it('ends with the run counts as comments', () => {
    const doc = checkTap(renderTap(diverged));
    expect(doc.comments).toEqual(
      expect.arrayContaining([
        '# cases 9',
        '# passed 3',
        '# diverged 3',
        '# inconclusive 1',
        '# skipped 2',
        '# rules covered 2 of 3',
        '# wall time 12.3s',
      ]),
    );
  });

  it('still plans when no suite ran', () => {
    const empty: RunSummary = { ...conformant, suites: {}, results: [] };
    expect(checkTap(renderTap(empty)).points).toEqual([]);
  });
});

describe('junit reporter', () => {
  for (const [label, s] of [
    ['conformant', conformant],
    ['diverged', diverged],
  ] as const) {
    it(`is well-formed and its counts match its test cases (${label})`, () => {
      const root = parseXml(renderJunit(s));
      expect(root.name).toBe('testsuites');
      const all = kids(root, 'testsuite').flatMap((t) => kids(t, 'testcase'));
      const count = (cases: XmlElement[]) => ({
        tests: String(cases.length),
        failures: String(cases.filter((c) => kids(c, 'failure').length).length),
        errors: '0',
        skipped: String(cases.filter((c) => kids(c, 'skipped').length).length),
      });
      const { skipped, ...total } = count(all);
      // Jenkins' XSD allows no skipped count on <testsuites>; each <testsuite> has its own.
      expect(root.attrs).toEqual({ name: 'aiospec', ...total, time: seconds(s.wallMs, 3) });
      expect(root.attrs.tests).toBe(String(s.cases));
      expect(root.attrs.failures).toBe(String(s.diverged));
      expect(skipped).toBe(String(s.skipped + s.inconclusive));
      for (const suite of kids(root, 'testsuite')) {
        expect(suite.attrs).toMatchObject(count(kids(suite, 'testcase')));
        const props = kids(kids(suite, 'properties')[0]!, 'property');
        const byName = Object.fromEntries(props.map((p) => [p.attrs.name, p.attrs.value]));
        expect(byName).toMatchObject({
          target: s.target,
          profile: s.profile,
          seed: String(s.seed),
          'kernel.release': s.kernel.release,
          'kernel.machine': s.kernel.machine,
        });
        for (const c of kids(suite, 'testcase')) {
          expect(c.attrs.classname).toBe(`aiospec.${suite.attrs.name}`);
          expect(c.attrs.name).toMatch(new RegExp(`^${suite.attrs.name} #\\d+: `));
          expect(c.attrs.time).toBe('0.001250');
        }
      }
    });
  }

  it('escapes names and carries divergences, skips and inconclusive cases', () => {
    const root = parseXml(renderJunit(diverged));
    const [table, props] = kids(root, 'testsuite');
    const weird = kids(table!, 'testcase')[1]!;
    expect(weird.attrs.name).toBe(`table #1: ${WEIRD_SHOWN}`);
    const failure = kids(weird, 'failure')[0]!;
    expect(failure.attrs.type).toBe('divergence');
    expect(failure.attrs.message).toBe('step 0 · errno: model EINVAL, kernel none');
    expect(failure.text).toContain(`replay: ${replay(weirdCase)}`);
    expect(failure.text).toContain('reason: confirmed on 3 attempts # really');
    // The Jenkins XSD gives <skipped> no attributes: the reason is its text.
    const skip = kids(kids(table!, 'testcase')[2]!, 'skipped')[0]!;
    expect([skip.attrs, skip.text]).toEqual([{}, 'needs #gvisor \\ runsc']);
    expect(kids(kids(props!, 'testcase')[1]!, 'skipped')[0]!.text).toBe(
      'inconclusive: aio-nr moved under the case',
    );
  });

  it("gives every diverging case its own differences and replay, and its kind's minimal case", () => {
    const root = parseXml(renderJunit(diverged));
    const stateful = kids(root, 'testsuite')[2]!;
    const [big, , other] = kids(stateful, 'testcase').map((c) => kids(c, 'failure')[0]);
    expect(big!.attrs.message).toBe(
      'step 0 · aioNrDelta: model 1152921504606846976, kernel 1; step 2 · ring.pages: model 1, kernel 2',
    );
    expect(big!.text).toContain(`replay: ${replay(bigOriginal)}`);
    expect(other!.attrs.message).toBe('step 0 · ring.nr: model 0, kernel 383');
    expect(other!.text).toContain(`replay: ${replay(otherCase)}`);
    expect(other!.text).toContain(`minimal case of this kind: ${describeCase(bigCase)}`);
    expect(other!.text).toContain(`replay minimal: ${divergences[1]!.replay}`);
  });

  it('replaces characters XML forbids rather than writing them', () => {
    const s: RunSummary = {
      ...conformant,
      target: 'nul\u0000 and \uD800 lone',
      results: [result({ suite: 'table', index: 0, name: 'bell\u0007 \uFFFF', status: 'pass' })],
    };
    const root = parseXml(renderJunit(s));
    const c = kids(kids(root, 'testsuite')[0]!, 'testcase')[0]!;
    expect(c.attrs.name).toBe('table #0: bell\\x07 \uFFFD');
  });
});

/** The human report with sequences wrapped at their steps put back on one line. */
const unwrapped = (text: string) => text.replace(/;\n +/g, '; ');

describe('human reporter', () => {
  const ESC = '\x1b';

  it('writes no escape sequence without colour, even from hostile names', () => {
    for (const s of [conformant, diverged])
      expect(renderHuman(s, { color: false })).not.toContain(ESC);
  });

  it('colours only with colour, and only with SGR sequences of its own', () => {
    const red = renderHuman(diverged, { color: true });
    expect(red).toContain(`${ESC}[31m`);
    const plain = red.replace(new RegExp(`${ESC}\\[[0-9;]*m`, 'g'), '');
    expect(plain).not.toContain(ESC);
    expect(plain).toBe(renderHuman(diverged, { color: false }));
    expect(renderHuman(conformant, { color: true })).toContain(`${ESC}[32m`);
  });

  it('reports a conformant run', () => {
    const text = renderHuman(conformant, { color: false });
    const lines = text.split('\n');
    expect(lines[0]).toBe(
      'aiospec · target local · kernel 6.8.0-45-generic x86_64 · profile linux · seed 42',
    );
    expect(text).toContain('table  cases 2 · passed 2 · diverged 0 · inconclusive 0 · skipped 0');
    expect(text).toContain('rules covered: 2 of 3\n  setup.kmem  needs kernel fault injection\n');
    expect(text.trimEnd().split('\n').at(-1)).toBe(
      'CONFORMANT  cases 3 · passed 3 · diverged 0 · inconclusive 0 · skipped 0 · 0.9s',
    );
  });

  it('reports each divergence: the minimal case, what differed, the replay command', () => {
    const text = unwrapped(renderHuman(diverged, { color: false }));
    const lines = text.split('\n').map((l) => l.trim());
    expect(lines).toContain(`DIVERGED table #1 ${WEIRD_SHOWN} · kind 1 of 2 · 1 case`);
    expect(lines).toContain(describeCase(weirdCase));
    expect(lines).toContain('step 0 · errno: model EINVAL, kernel none');
    expect(lines).toContain('reason: confirmed on 3 attempts # really');
    expect(lines).toContain(describeCase(bigCase));
    expect(lines).toContain(`(shrunk from: ${describeCase(bigOriginal)})`);
    expect(lines).toContain('step 0 · aioNrDelta: model 1152921504606846976, kernel 1');
    expect(lines).toContain('step 1 · ringGone: model true, kernel false');
    for (const d of divergences) expect(lines).toContain(d.replay);
    expect(lines.at(-2)).toBe(
      'DIVERGED (3)  cases 9 · passed 3 · diverged 3 · inconclusive 1 · skipped 2 · 12.3s',
    );
  });

  it('groups cases by kind: the minimal case first, then each case with its own differences and replay', () => {
    const text = unwrapped(renderHuman(diverged, { color: false }));
    const kind = text.slice(text.indexOf('DIVERGED stateful #0'));
    const order = [
      'DIVERGED stateful #0 · kind 2 of 2 · 2 cases',
      `  kind: ${divergences[1]!.kind}`,
      '  minimal case: stateful #0',
      `    ${describeCase(bigCase)}`,
      `      ${divergences[1]!.replay}`,
      '  cases of this kind, each as found:',
      `  stateful #0: ${describeCase(bigOriginal)}`,
      '    step 0 · aioNrDelta: model 1152921504606846976, kernel 1',
      '    step 2 · ring.pages: model 1, kernel 2',
      `    replay: ${replay(bigOriginal)}`,
      `  stateful #2: ${describeCase(otherCase)}`,
      '    step 0 · ring.nr: model 0, kernel 383',
      `    replay: ${replay(otherCase)}`,
    ];
    let at = 0;
    for (const line of order) {
      const next = kind.indexOf(`${line}\n`, at);
      expect(next, line).toBeGreaterThanOrEqual(at);
      at = next + line.length;
    }
  });

  it('still lists the cases of a kind that has no minimal case (a run stopped early)', () => {
    const text = renderHuman({ ...diverged, divergences: [divergences[0]!] }, { color: false });
    expect(text).toContain(
      `DIVERGED stateful · 2 cases, no minimal case\n  kind: ${divergences[1]!.kind}\n`,
    );
    expect(text).toContain(`    replay: ${replay(otherCase)}\n`);
  });

  it('wraps a long sequence at its steps', () => {
    const long: Case = {
      steps: Array.from({ length: 140 }, (_, i) => ({ op: 'setup', nr: i, ctx: 'zero' }) as const),
    };
    const lines = wrap(`    ${describeCase(long)}`, '      ');
    expect(lines.length).toBeGreaterThan(20);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(100);
    expect(lines.map((l) => l.trim()).join(' ')).toBe(describeCase(long));
  });

  it('ends with the inconclusive, then the skipped cases, grouped by reason', () => {
    const text = renderHuman(diverged, { color: false });
    const tail = text.slice(text.indexOf('rules covered:'));
    expect(tail).toContain(
      [
        '',
        'INCONCLUSIVE 1 case: aio-nr moved under the case',
        '  props #1: io_setup(2, zero)',
        '',
        'SKIPPED 1 case: needs #gvisor \\ runsc',
        '  table #2: gVisor only',
        '',
        'SKIPPED 1 case: no kernel address',
        '  props #2: io_setup(3, kernel)',
        '',
      ].join('\n'),
    );

    const many: CaseResult[] = Array.from({ length: 25 }, (_, i) =>
      result({
        suite: 'props',
        index: i,
        name: `case ${i}`,
        status: 'inconclusive',
        reason: i % 5 ? 'x' : 'y',
      }),
    );
    const lots = renderHuman({ ...diverged, inconclusive: 25, results: many }, { color: false });
    expect(lots).toContain('INCONCLUSIVE 20 cases: x\n');
    expect(lots).toContain('INCONCLUSIVE 5 cases: y\n  props #0: case 0\n  props #5: case 5\n');
    const shown = lots.split('\n').filter((l) => /^ {2}props #\d+: case /.test(l));
    expect(shown.length).toBe(15);
    expect(lots).toContain('(and 10 more: --reporter json, tap or junit lists every one)');
  });
});
