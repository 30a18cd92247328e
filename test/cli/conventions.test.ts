/**
 * Command-line conventions, end to end through bin/aiospec with no kernel
 * needed: --version, help COMMAND, NO_COLOR / FORCE_COLOR, several reporters
 * in one run (replay of a recorded trace reports exactly as run does).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN } from '../support/cli.js';

const ROOT = resolve(import.meta.dirname, '../..');
const TRACE = join(ROOT, 'fixtures/host-linux.trace.jsonl');
const dir = mkdtempSync(join(tmpdir(), 'aiospec-conventions-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The environment without the colour switches the test runner may have set. */
function plainEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { NO_COLOR: _n, FORCE_COLOR: _f, NODE_DISABLE_COLORS: _d, ...env } = process.env;
  return { ...env, ...extra };
}

function aiospec(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: plainEnv(env),
    maxBuffer: 64 << 20,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding colour sequences is the point
const ANSI = /\x1b\[[0-9;]*m/;

describe('--version and help', () => {
  it('--version prints the version package.json gives', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const r = aiospec(['--version']);
    expect(r.code).toBe(0);
    expect(r.out).toBe(`aiospec ${pkg.version}\n`);
  });

  it.each(['run', 'record', 'replay', 'explain', 'doctor', 'matrix'])(
    'help %s prints what --help after it prints',
    (name) => {
      const viaHelp = aiospec(['help', name]);
      expect(viaHelp.code).toBe(0);
      expect(viaHelp.out).toMatch(new RegExp(`^usage: aiospec ${name} `));
      expect(viaHelp.out).toBe(aiospec([name, '--help']).out);
    },
  );

  it('help alone is the overview, exit 0', () => {
    const r = aiospec(['help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^usage: aiospec COMMAND/);
    expect(r.out).toMatch(/^ {2}doctor +why io_setup fails/m);
  });

  it.each([
    [['help', 'fly'], 'unknown command "fly"'],
    [['help', 'run', 'extra'], 'unexpected argument "extra"'],
    [['fly'], 'unknown command "fly"'],
    [[], 'missing command'],
  ])('%j: one line on stderr, exit 2', (args, text) => {
    const r = aiospec(args);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toContain(text);
  });
});

describe('colour of the human report on stdout', () => {
  it('a pipe: none, unless FORCE_COLOR asks', () => {
    expect(aiospec(['replay', TRACE]).out).not.toMatch(ANSI);
    expect(aiospec(['replay', TRACE], { FORCE_COLOR: '1' }).out).toMatch(ANSI);
    expect(aiospec(['replay', TRACE], { FORCE_COLOR: '1', NO_COLOR: '1' }).out).toMatch(ANSI);
  });

  /** `aiospec replay TRACE` with stdout on a terminal (script(1) gives it one). */
  const script = spawnSync('script', ['--version'], { encoding: 'utf8' });
  it.skipIf(script.status !== 0)(
    `a terminal: coloured, unless NO_COLOR or FORCE_COLOR=0${script.status !== 0 ? ' (skipped: no script(1))' : ''}`,
    () => {
      const onTerminal = (env: Record<string, string>) =>
        spawnSync(
          'script',
          ['-qec', `'${process.execPath}' '${BIN}' replay '${TRACE}'`, '/dev/null'],
          { encoding: 'utf8', env: plainEnv({ TERM: 'xterm', ...env }) },
        ).stdout;
      expect(onTerminal({})).toMatch(ANSI);
      expect(onTerminal({ NO_COLOR: '1' })).not.toMatch(ANSI);
      expect(onTerminal({ FORCE_COLOR: '0' })).not.toMatch(ANSI);
    },
  );
});

describe('several reporters in one run', () => {
  it('human on stdout, JUnit and JSON to their files, all of the same run', () => {
    const xml = join(dir, 'report.xml');
    const json = join(dir, 'report.json');
    const r = aiospec([
      'replay',
      TRACE,
      '--reporter',
      'human',
      '--reporter',
      `junit:${xml}`,
      '--reporter',
      `json:${json}`,
    ]);
    expect(r.code, r.err).toBe(0);
    const alone = JSON.parse(aiospec(['replay', TRACE, '--reporter', 'json']).out);
    const written = JSON.parse(readFileSync(json, 'utf8'));
    expect({ ...written, wallMs: 0 }).toEqual({ ...alone, wallMs: 0 });
    expect(r.out).toContain(`CONFORMANT  cases ${alone.cases} · passed ${alone.passed}`);
    const testcases = readFileSync(xml, 'utf8').match(/<testcase /g) ?? [];
    expect(testcases).toHaveLength(alone.cases);
    // Files are whole or absent: nothing temporary is left beside them.
    expect(readdirSync(dir).sort()).toEqual(['report.json', 'report.xml']);
    rmSync(xml);
    rmSync(json);
  });

  it('--out is the file of the one reporter that names none', () => {
    const tap = join(dir, 'r.tap');
    const json = join(dir, 'r.json');
    const r = aiospec([
      'replay',
      TRACE,
      '--reporter',
      'json',
      '--reporter',
      `tap:${tap}`,
      '--out',
      json,
    ]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe('');
    expect(JSON.parse(readFileSync(json, 'utf8')).tool.name).toBe('aiospec');
    expect(readFileSync(tap, 'utf8')).toMatch(/^TAP version 14\n/);
    rmSync(tap);
    rmSync(json);
  });

  it.each([
    [['--reporter', 'human', '--reporter', 'json'], 'both write to stdout'],
    [['--reporter', 'json:a', '--reporter', 'tap:a'], 'two reports name the file'],
    [['--reporter', 'junit:'], 'names no file'],
  ])('%j: one line, exit 2, no file made', (args, text) => {
    const r = aiospec([
      'replay',
      TRACE,
      ...args.map((a) => a.replace(/:a$/, `:${join(dir, 'a')}`)),
    ]);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toContain(text);
    expect(existsSync(join(dir, 'a'))).toBe(false);
  });
});
