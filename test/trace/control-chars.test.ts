/**
 * Text from a trace never reaches the terminal raw: a trace whose case names,
 * kernel release and crashed worker's stderr carry an ESC sequence, a CR, a
 * BEL, a C1 control, a line separator and a lone surrogate is replayed through
 * every reporter, and through error messages that quote it.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  aiospec,
  editLine,
  findLine,
  fixtureLines,
  type Json,
  REPORTERS,
  scratch,
} from './trace-edit.js';

const files = scratch();
afterAll(files.cleanup);

/** Clear screen, carriage return, bell, NEL (C1), line separator, and a high surrogate alone. */
const HOSTILE = 'a\u001b[2Jb\rc\u0007d\u0085e\u2028f\ud800g';

/** What no output may hold: every control above, raw. */
// biome-ignore-start lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const RAW = {
  ESC: /\u001b/,
  CR: /\r/,
  BEL: /\u0007/,
  'C0 or C1 control other than tab and newline': /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/,
  'U+2028/2029': /[\u2028\u2029]/,
  'lone surrogate': /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/,
};
// biome-ignore-end lint/suspicious/noControlCharactersInRegex: finding control characters is the point

function expectNothingRaw(text: string, where: string): void {
  for (const [name, re] of Object.entries(RAW)) expect(text, `${where}: ${name}`).not.toMatch(re);
}

/**
 * The host fixture with the hostile text in the kernel release (header and
 * main worker), in a crashed table case (name and stderr), and in a table case
 * that diverges (name and source).
 */
function hostileTrace(): { lines: string[]; crashLine: number } {
  const lines = fixtureLines();
  editLine(
    lines,
    findLine(lines, (o) => o.t === 'header'),
    (o) => {
      o.kernel.release = `6.18 ${HOSTILE}`;
    },
  );
  editLine(
    lines,
    findLine(lines, (o) => o.t === 'worker' && o.worker === 'main'),
    (o) => {
      o.host.release = `6.18 ${HOSTILE}`;
    },
  );
  const tableCase = (o: Json) => o.t === 'case' && o.suite === 'table' && !o.rerun;
  const crash = findLine(lines, tableCase);
  editLine(lines, crash, (o) => {
    o.case.name = `crash ${HOSTILE}`;
    o.report = { status: 'crashed', signal: 'SIGSEGV', code: null, stderr: `stderr ${HOSTILE}` };
  });
  const diverge = findLine(
    lines,
    (o) => tableCase(o) && o.case.name?.startsWith('crash ') !== true && o.report.results[0]?.ring,
  );
  editLine(lines, diverge, (o) => {
    o.case.name = `diverge ${HOSTILE}`;
    o.case.source = `source ${HOSTILE}`;
    o.report.results[0].ring.magic = (o.report.results[0].ring.magic + 1) % 2 ** 32;
  });
  return { lines, crashLine: crash + 1 };
}

describe('control characters from a trace', () => {
  const { lines, crashLine } = hostileTrace();
  const file = files.file('hostile.jsonl', lines);
  /** The crashed case's reason as every reporter shows it: the line, the signal, the stderr made visible. */
  const died = new RegExp(`line ${crashLine}: the worker died\\b.*SIGSEGV.*stderr a\\\\+x1b\\[2J`);

  /** Per reporter: the hostile text did reach the report, made harmless. */
  const reached: Record<(typeof REPORTERS)[number], (out: string) => void> = {
    human: (out) => {
      expect(out).toMatch(/^aiospec · target host · kernel 6\.18 a\\x1b\[2J/m);
      expect(out).toMatch(/^DIVERGED table #\d+ diverge a\\x1b\[2J/m);
      expect(out).toMatch(/^ {2}table #\d+: crash a\\x1b\[2J/m);
      expect(out).toMatch(new RegExp(`^INCONCLUSIVE 1 case: ${died.source}`, 'm'));
    },
    tap: (out) => {
      expect(out).toMatch(/^# aiospec host: kernel 6\.18 a\\x1b\[2J/m);
      expect(out).toMatch(/^ {4}not ok \d+ - table \\#\d+: diverge a\\\\x1b\[2J/m);
      expect(out).toMatch(new RegExp(`# TODO inconclusive: ${died.source}`));
    },
    junit: (out) => {
      // XML 1.0 forbids these even as character references: a parser would reject the file.
      // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
      expect(out).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|&#x?0*[0-8];/);
      expect(out).toMatch(/name="table #\d+: diverge a\\x1b\[2J/);
      expect(out).toMatch(new RegExp(`<skipped>inconclusive: ${died.source}`));
      expect(out).toMatch(/<property name="kernel\.release" value="6\.18 a\\x1b\[2J/);
    },
    json: (out) => {
      // JSON keeps the values exactly, every control escaped.
      const s = JSON.parse(out);
      expect(s.kernel.release).toBe(`6.18 ${HOSTILE}`);
      expect(s.divergences[0].name).toBe(`diverge ${HOSTILE}`);
      expect(s.divergences[0].case.source).toBe(`source ${HOSTILE}`);
    },
  };

  it.each(REPORTERS)('%s: nothing raw reaches the output', (reporter) => {
    const r = aiospec('replay', file, '--reporter', reporter);
    expect(r.code, r.err).toBe(1);
    expectNothingRaw(r.out, reporter);
    expectNothingRaw(r.err, `${reporter} stderr`);
    reached[reporter](r.out);
  });

  it('nothing raw in a report written with --out either', () => {
    const out = `${file}.tap`;
    const r = aiospec('replay', file, '--reporter', 'tap', '--out', out);
    expect(r.code).toBe(1);
    expectNothingRaw(readFileSync(out, 'utf8'), 'tap --out');
  });
});

describe('control characters in error messages', () => {
  it.each([
    [
      'a bad value quoted from the trace',
      (ls: string[]) => {
        const i = findLine(ls, (o) => o.t === 'case');
        editLine(ls, i, (o) => {
          o.suite = HOSTILE;
        });
        return i + 1;
      },
      'suite: ',
    ],
    [
      'a worker key quoted from the trace',
      (ls: string[]) => {
        const i = findLine(ls, (o) => o.t === 'case');
        editLine(ls, i, (o) => {
          o.worker = HOSTILE;
        });
        return i + 1;
      },
      'worker: ',
    ],
    [
      'a line that is not JSON, quoted by the JSON parser',
      (ls: string[]) => {
        ls[4] = HOSTILE; // V8's message quotes the start of the line
        return 5;
      },
      'not JSON',
    ],
  ])('%s: one line, nothing raw', (_what, edit, field) => {
    const lines = fixtureLines();
    const at = edit(lines);
    const r = aiospec('replay', files.file('bad.jsonl', lines));
    expect(r.code).toBe(2);
    expect(r.err.trimEnd().split('\n')).toHaveLength(1);
    expect(r.err).toContain(`line ${at}: ${field}`);
    expectNothingRaw(r.err, 'stderr');
  });

  it('a file name or a command given on the command line', () => {
    const missing = aiospec('replay', `/nonexistent/${HOSTILE}.jsonl`);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('no such file');
    expectNothingRaw(missing.err, 'missing file');
    const unknown = aiospec(HOSTILE);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('unknown command');
    expectNothingRaw(unknown.err, 'unknown command');
  });
});
