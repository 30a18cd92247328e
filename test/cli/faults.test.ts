/**
 * Faults, each one line on stderr: exit 2 for an environment that cannot run
 * the command (a low `ulimit -n`, a target that cannot start), exit 3 for an
 * internal error, and never a stack trace unless AIOSPEC_DEBUG=1 asks for it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  FREE_FDS_NEEDED,
  fdShortage,
  openFileLimit,
  openFilesMessage,
} from '../../conformance/cli/fd-limit.js';
import { resolveTarget, targetFdShortage } from '../../conformance/cli/targets.js';
import { gvisorAvailable } from '../../real/targets/gvisor.js';
import { type CliResult, expectOneLine } from '../support/one-line.js';
import { REAL } from '../support/real.js';

const BIN = resolve(import.meta.dirname, '../../bin/aiospec');
const FIXTURE = resolve(import.meta.dirname, '../../fixtures/host-linux.trace.jsonl');
const FILL_FDS = pathToFileURL(resolve(import.meta.dirname, 'fill-fds-at-spawn.mjs')).href;

const dir = mkdtempSync(join(tmpdir(), 'aiospec-faults-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Result = CliResult;

function aiospec(
  args: string[],
  opts: { node?: string[]; env?: Record<string, string> } = {},
): Result {
  const r = spawnSync(process.execPath, [...(opts.node ?? []), BIN, ...args], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    env: { ...process.env, ...opts.env },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** aiospec under `ulimit -n n` (soft and hard), started the way a shell starts it. */
function limited(n: number, args: string[]): Result {
  const r = spawnSync(
    'bash',
    ['-c', `ulimit -n ${n} && exec "$0" "$@"`, process.execPath, BIN, ...args],
    { encoding: 'utf8', maxBuffer: 64 << 20 },
  );
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const LINUX = process.platform === 'linux' ? null : `not Linux (${process.platform})`;

describe('the open-file limit', () => {
  it('reads the soft limit from /proc/self/limits', () => {
    const text = [
      'Limit                     Soft Limit           Hard Limit           Units     ',
      'Max processes             96365                96365                processes ',
      'Max open files            1024                 524288               files     ',
    ].join('\n');
    expect(openFileLimit(text)).toBe(1024);
    expect(openFileLimit(text.replace('1024 ', 'unlimited'))).toBeNull();
    expect(openFileLimit('nothing here')).toBeNull();
  });

  it('asks for FREE_FDS_NEEDED more than are open at the start', () => {
    expect(fdShortage(19 + FREE_FDS_NEEDED, 19)).toBeNull();
    expect(fdShortage(19 + FREE_FDS_NEEDED - 1, 19)).toBe(
      `too many open files: ulimit -n is ${19 + FREE_FDS_NEEDED - 1}; aiospec needs at least ${19 + FREE_FDS_NEEDED} (${FREE_FDS_NEEDED} besides the 19 open at its start)`,
    );
    expect(fdShortage(null, 19)).toBeNull();
  });

  it('turns EMFILE and ENFILE into a line and leaves other errors alone', () => {
    const err = (code: string) => Object.assign(new Error(`${code}: oops`), { code });
    expect(openFilesMessage(err('EMFILE'))).toMatch(/^too many open files \(EMFILE\)/);
    expect(openFilesMessage(err('ENFILE'))).toMatch(/^too many open files in the system/);
    expect(openFilesMessage(err('ENOENT'))).toBeNull();
    expect(openFilesMessage(null)).toBeNull();
  });

  it('holds --target gvisor to what runsc needs', () => {
    const gvisor = { ...resolveTarget('host'), name: 'gvisor', openFiles: { min: 512, why: 'x' } };
    expect(targetFdShortage(gvisor, 511)).toMatch(
      /ulimit -n is 511; --target gvisor needs at least 512/,
    );
    expect(targetFdShortage(gvisor, 512)).toBeNull();
    expect(targetFdShortage(resolveTarget('host'), 20)).toBeNull();
  });

  describe.skipIf(LINUX !== null)(`under ulimit -n${LINUX ? ` (skipped: ${LINUX})` : ''}`, () => {
    // Below about 19, Node.js itself cannot start (it aborts before reading bin/aiospec).
    it.each([24, 32, 48, 64])('%i: every command is refused in one line, exit 2', (n) => {
      for (const args of [['run'], ['replay', FIXTURE], ['explain', '--nr-events', '1']]) {
        const r = limited(n, args);
        expectOneLine(
          r,
          2,
          new RegExp(
            `^aiospec: too many open files: ulimit -n is ${n}; aiospec needs at least \\d+ `,
          ),
        );
        const need = Number(/needs at least (\d+)/.exec(r.err)![1]);
        expect(need).toBeGreaterThan(n);
        expect(r.out).toBe('');
      }
    });

    it('at exactly the limit it names, one less is refused and the replay runs', () => {
      const need = Number(/needs at least (\d+)/.exec(limited(24, ['run']).err)![1]);
      expectOneLine(limited(need - 1, ['replay', FIXTURE]), 2, /too many open files/);
      const r = limited(need, ['replay', FIXTURE, '--reporter', 'json']);
      expect(r.code, r.err).toBe(0);
      expect(r.err).toBe('');
      expect(JSON.parse(r.out).cases).toBeGreaterThan(0);
    });

    it.skipIf(REAL !== null)(
      `at exactly the limit it names, the default run completes${REAL ? ` (skipped: ${REAL})` : ''}`,
      () => {
        const need = Number(/needs at least (\d+)/.exec(limited(24, ['run']).err)![1]);
        const r = limited(need, ['run', '--seed=1', '--reporter', 'json']);
        // 1 would be a divergence (another process moving aio-nr can cause one); not a lack of descriptors.
        expect([0, 1], r.err).toContain(r.code);
        expect(r.err).toBe('');
        const s = JSON.parse(r.out);
        expect(Object.keys(s.suites).sort()).toEqual([
          'family-props',
          'family-stateful',
          'family-table',
          'props',
          'stateful',
          'table',
        ]);
        expect(s.suites.props.cases).toBe(10_000);
      },
    );

    const GVISOR = REAL ?? gvisorAvailable();
    it.skipIf(GVISOR !== null)(
      `--target gvisor: refused below what runsc needs, runs at it${GVISOR ? ` (skipped: ${GVISOR})` : ''}`,
      () => {
        const args = ['run', '--target', 'gvisor', '--profile', 'gvisor', '--suite', 'table'];
        const min = resolveTarget('gvisor').openFiles!.min;
        expectOneLine(
          limited(min - 1, args),
          2,
          new RegExp(
            `^aiospec run: too many open files: ulimit -n is ${min - 1}; --target gvisor needs at least ${min} `,
          ),
        );
        const r = limited(min, args);
        expect(r.code, r.err).toBe(0);
      },
    );
  });

  it.skipIf(REAL !== null)(
    `an EMFILE when a worker is spawned is the same line, not a stack trace${REAL ? ` (skipped: ${REAL})` : ''}`,
    () => {
      const r = aiospec(['run', '--suite', 'table'], { node: ['--import', FILL_FDS] });
      expectOneLine(
        r,
        2,
        new RegExp(
          `^aiospec run: too many open files \\(EMFILE\\): ulimit -n is \\d+; aiospec needs ${FREE_FDS_NEEDED} free`,
        ),
      );
    },
  );
});

describe('internal errors: one line, exit 3', () => {
  const boom = 'data:text/javascript,JSON.stringify=()=>{throw new Error("boom from a test")}';

  it('an error out of a command', () => {
    const r = aiospec(['explain', '--nr-events', '1', '--json'], { node: ['--import', boom] });
    expectOneLine(
      r,
      3,
      /^aiospec: internal error: boom from a test \(AIOSPEC_DEBUG=1 shows the stack\)$/,
    );
  });

  it('with AIOSPEC_DEBUG=1, the stack', () => {
    const r = aiospec(['explain', '--nr-events', '1', '--json'], {
      node: ['--import', boom],
      env: { AIOSPEC_DEBUG: '1' },
    });
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/^aiospec: internal error: Error: boom from a test\n\s+at /);
  });

  it.each([
    ['a stray rejection', 'Promise.reject(new Error("stray"))'],
    ['an exception thrown from a callback', 'setImmediate(()=>{throw new Error("stray")})'],
  ])('%s', (_what, code) => {
    const preload = `data:text/javascript,process.once("beforeExit",()=>{${code}})`;
    const r = aiospec(['explain', '--nr-events', '1'], { node: ['--import', preload] });
    expectOneLine(r, 3, /^aiospec: internal error: stray /);
  });
});

describe('other faults', () => {
  it('a reader that goes away early is no error', () => {
    const r = spawnSync(
      'bash',
      [
        '-c',
        '"$0" "$@" | (exec 0<&-); echo "status $PIPESTATUS" >&2',
        process.execPath,
        BIN,
        'replay',
        FIXTURE,
      ],
      { encoding: 'utf8' },
    );
    expect(r.stderr).toBe('status 0\n');
  });

  it('record with a target that cannot start: one line, exit 2, no trace', () => {
    const file = join(dir, 'uml.jsonl');
    const r = aiospec(['record', '--target', 'uml', '--out', file], {
      env: { AIOSPEC_UML: join(dir, 'no-such-kernel') },
    });
    expectOneLine(r, 2, /^aiospec record: real backend unavailable: /);
    expect(readdirSync(dir)).toEqual([]);
  });
});
