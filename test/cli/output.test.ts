/**
 * `--out` for run, record and replay: refused in one line (exit 2) before any
 * work when the file cannot be written; written beside the final name and
 * renamed only when complete, so a full disk, a failed or an interrupted run
 * never leaves a truncated report or trace under the final name.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OutputFile } from '../../conformance/cli/output.js';
import { REAL } from '../support/real.js';

const BIN = resolve(import.meta.dirname, '../../bin/aiospec');
const FIXTURE = resolve(import.meta.dirname, '../../fixtures/host-linux.trace.jsonl');
const ROOT = process.getuid?.() === 0;
/** An unprivileged user for permission tests when we are root (root writes anywhere). */
const NOBODY = 65534;

const dir = mkdtempSync(join(tmpdir(), 'aiospec-out-'));
chmodSync(dir, 0o755); // let an unprivileged user reach the directories below
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function aiospec(args: string[], as?: { uid: number; gid: number }) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    ...(as ?? {}),
  });
  return { code: r.status, signal: r.signal, out: r.stdout, err: r.stderr };
}

/** A refusal: exit 2, one line on stderr naming --out, nothing on stdout. */
function expectRefused(r: ReturnType<typeof aiospec>, message: RegExp) {
  expect(r.code, r.err).toBe(2);
  const line = r.err.trim();
  expect(line.split('\n')).toHaveLength(1);
  expect(line).toMatch(/^aiospec \w+: --out: /);
  expect(line).toMatch(message);
  expect(r.out).toBe('');
}

function fresh(name: string, mode = 0o755): string {
  const d = join(dir, name);
  mkdirSync(d);
  chmodSync(d, mode);
  return d;
}

/** Why a tmpfs cannot be mounted here (root only), or null. */
function tmpfsUnavailable(): string | null {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (!ROOT) return 'not root: mounting a tmpfs needs root';
  const probe = mkdtempSync(join(tmpdir(), 'aiospec-tmpfs-probe-'));
  try {
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], {
      encoding: 'utf8',
    });
    if (m.status !== 0) return `mount -t tmpfs failed: ${m.stderr?.trim() || m.error?.message}`;
    spawnSync('umount', [probe]);
    return null;
  } finally {
    rmdirSync(probe);
  }
}

const TMPFS = tmpfsUnavailable();

/** Run fn on a tmpfs mounted with these options; always unmounted and removed, also on failure. */
async function withTmpfs<T>(options: string, fn: (mnt: string) => T | Promise<T>): Promise<T> {
  const mnt = mkdtempSync(join(tmpdir(), 'aiospec-tmpfs-'));
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', mnt], { encoding: 'utf8' });
  if (m.status !== 0) {
    rmdirSync(mnt);
    throw new Error(`mount -t tmpfs -o ${options} failed: ${m.stderr}`);
  }
  try {
    return await fn(mnt);
  } finally {
    if (spawnSync('umount', [mnt]).status !== 0) spawnSync('umount', ['-l', mnt]);
    rmdirSync(mnt);
  }
}

/** Fill a file system to the last page: any byte more is ENOSPC. */
function fill(mnt: string): void {
  const fd = openSync(join(mnt, 'filler'), 'w');
  const page = Buffer.alloc(4096, 0x61);
  try {
    for (;;) writeSync(fd, page);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  } finally {
    closeSync(fd);
  }
}

describe('OutputFile', () => {
  it('nothing is under the final name until commit, and no temporary file after it', () => {
    const d = fresh('commit');
    const final = join(d, 'report.txt');
    const listeners = process.listenerCount('SIGINT');
    const out = OutputFile.open('--out', final);
    expect(readdirSync(d)).toHaveLength(1); // the temporary file, beside the final name
    expect(readdirSync(d)[0]).not.toBe('report.txt');
    expect(process.listenerCount('SIGINT')).toBe(listeners + 1);
    out.write('first line\n');
    out.write('second line\n');
    expect(() => statSync(final)).toThrow();
    out.commit();
    out.discard(); // after a commit: nothing to do
    expect(readdirSync(d)).toEqual(['report.txt']);
    expect(readFileSync(final, 'utf8')).toBe('first line\nsecond line\n');
    expect(process.listenerCount('SIGINT')).toBe(listeners);
  });

  it('discard leaves a file already there as it was', () => {
    const d = fresh('discard');
    const final = join(d, 'report.txt');
    writeFileSync(final, 'the old report\n');
    const out = OutputFile.open('--out', final);
    out.write('half a new rep');
    out.discard();
    expect(readdirSync(d)).toEqual(['report.txt']);
    expect(readFileSync(final, 'utf8')).toBe('the old report\n');
  });

  it('replaces the target of a symlink, keeping the link', () => {
    const d = fresh('link');
    writeFileSync(join(d, 'target.txt'), 'old');
    symlinkSync('target.txt', join(d, 'link.txt'));
    const out = OutputFile.open('--out', join(d, 'link.txt'));
    out.write('new');
    out.commit();
    expect(lstatSync(join(d, 'link.txt')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(d, 'target.txt'), 'utf8')).toBe('new');
    expect(readdirSync(d).sort()).toEqual(['link.txt', 'target.txt']);
  });

  it('writes straight to a device', () => {
    const out = OutputFile.open('--out', '/dev/null');
    out.write('gone');
    out.commit();
  });
});

describe('--out that cannot be written: one line, exit 2, before any work', () => {
  const existingFile = join(dir, 'a-file');
  writeFileSync(existingFile, 'x');

  const commands: [string, (out: string) => string[]][] = [
    ['replay', (out) => ['replay', FIXTURE, '--out', out]],
    // 10 million cases: were the run to start before the check, this would not end in time.
    ['run', (out) => ['run', '--suite', 'props', '--runs', '10000000', '--seed=1', '--out', out]],
    ['record', (out) => ['record', '--suite', 'props', '--runs', '10000000', '--out', out]],
  ];

  describe.each(commands)('%s', (_name, argv) => {
    it('a directory', () => {
      expectRefused(aiospec(argv(dir)), /is a directory$/);
    });

    it('a missing directory', () => {
      const out = join(dir, 'no-such-dir', 'report');
      expectRefused(aiospec(argv(out)), /directory \S+no-such-dir does not exist$/);
      expect(() => statSync(join(dir, 'no-such-dir'))).toThrow();
    });

    it('a path through a file', () => {
      expectRefused(aiospec(argv(join(existingFile, 'report'))), /not a directory/);
    });

    it('a directory it may not write to', () => {
      const locked = fresh(`locked-${_name}`, 0o555);
      const r = aiospec(
        argv(join(locked, 'report')),
        ROOT ? { uid: NOBODY, gid: NOBODY } : undefined,
      );
      expectRefused(r, /cannot create \S+ \(a file in \S+\): permission denied \(EACCES\)$/);
      expect(readdirSync(locked)).toEqual([]);
    });
  });

  it('a file it may not write to, in a directory it may', () => {
    const open = fresh('open', 0o777);
    const file = join(open, 'report');
    writeFileSync(file, 'keep me');
    chmodSync(file, 0o444);
    // As root the file's mode does not stop a write, so ask as an unprivileged user.
    const r = aiospec(
      ['replay', FIXTURE, '--out', file],
      ROOT ? { uid: NOBODY, gid: NOBODY } : undefined,
    );
    expectRefused(r, /cannot write \S+: permission denied \(EACCES\)$/);
    expect(readFileSync(file, 'utf8')).toBe('keep me');
    expect(readdirSync(open)).toEqual(['report']);
  });

  it.skipIf(TMPFS !== null)(
    `a read-only file system${TMPFS ? ` (skipped: ${TMPFS})` : ''}`,
    async () => {
      await withTmpfs('size=64k,ro', (mnt) => {
        const r = aiospec(['replay', FIXTURE, '--out', join(mnt, 'report')]);
        expectRefused(r, /read-only file system \(EROFS\)$/);
      });
    },
  );
});

describe('--out that can be written', () => {
  it('replay writes the whole report and nothing else', () => {
    const d = fresh('replay-ok');
    const r = aiospec(['replay', FIXTURE, '--reporter', 'json', '--out', join(d, 'r.json')]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe('');
    expect(readdirSync(d)).toEqual(['r.json']);
    expect(JSON.parse(readFileSync(join(d, 'r.json'), 'utf8')).diverged).toBe(0);
  });
});

describe.skipIf(TMPFS !== null)(`a full file system${TMPFS ? ` (skipped: ${TMPFS})` : ''}`, () => {
  it('replay: one line naming ENOSPC, exit 2, no report and no temporary file', async () => {
    await withTmpfs('size=64k', (mnt) => {
      writeFileSync(join(mnt, 'report.json'), 'the old report\n');
      fill(mnt);
      const r = aiospec(['replay', FIXTURE, '--reporter', 'json', '--out', join(mnt, 'r.json')]);
      expectRefused(r, /writing \S+r\.json failed: no space left on device \(ENOSPC\)/);
      // Over an existing report: it stays whole.
      const again = aiospec(['replay', FIXTURE, '--out', join(mnt, 'report.json')]);
      expectRefused(again, /no space left on device \(ENOSPC\)/);
      expect(readdirSync(mnt).sort()).toEqual(['filler', 'report.json']);
      expect(readFileSync(join(mnt, 'report.json'), 'utf8')).toBe('the old report\n');
    });
  });

  it.skipIf(REAL !== null)(
    `run and record: the same, on this kernel${REAL ? ` (skipped: ${REAL})` : ''}`,
    async () => {
      await withTmpfs('size=64k', (mnt) => {
        fill(mnt);
        const run = aiospec(['run', '--suite', 'table', '--out', join(mnt, 'report.txt')]);
        expectRefused(run, /writing \S+ failed: no space left on device \(ENOSPC\)/);
        // The trace is written as the run goes: its first line already finds the disk full.
        const rec = aiospec(['record', '--suite', 'table', '--out', join(mnt, 't.jsonl')]);
        expectRefused(rec, /writing \S+t\.jsonl failed: no space left on device \(ENOSPC\)/);
        expect(readdirSync(mnt)).toEqual(['filler']);
      });
    },
  );
});

describe.skipIf(REAL !== null)(
  `record's trace on this kernel${REAL ? ` (skipped: ${REAL})` : ''}`,
  () => {
    it('is complete under its name at the end, with no temporary file left', () => {
      const d = fresh('record-ok');
      const file = join(d, 't.jsonl');
      const r = aiospec(['record', '--suite', 'props', '--runs', '50', '--seed=3', '--out', file]);
      expect(r.code, r.err).toBe(0);
      expect(readdirSync(d)).toEqual(['t.jsonl']);
      const lines = readFileSync(file, 'utf8').trim().split('\n');
      expect(JSON.parse(lines[0]!).t).toBe('header');
      expect(JSON.parse(lines.at(-1)!).t).toBe('end');
    });

    // Ctrl-C ends the run with its partial report and exit 130; SIGTERM kills it.
    it.each([
      ['SIGINT', 130],
      ['SIGTERM', 'SIGTERM'],
    ] as const)(
      'is removed, temporary file and all, when the run is stopped by %s',
      async (signal, end) => {
        const d = fresh(`record-${signal}`);
        let child: ChildProcess | undefined;
        try {
          // A million cases: long enough to be interrupted in the middle. (Generating them
          // takes a few seconds first, during which a signal waits for the event loop.)
          child = spawn(
            process.execPath,
            [BIN, 'record', '--suite', 'props', '--runs', '1000000', '--out', join(d, 't.jsonl')],
            { stdio: 'ignore' },
          );
          const exited = new Promise<NodeJS.Signals | number | null>((r) =>
            child!.once('exit', (code, sig) => r(sig ?? code)),
          );
          // Wait until cases are being written (the run is under way) under the temporary name.
          for (;;) {
            const names = readdirSync(d);
            if (
              names.length === 1 &&
              readFileSync(join(d, names[0]!), 'utf8').includes('"t":"case"')
            ) {
              expect(names[0]).not.toBe('t.jsonl');
              break;
            }
            await new Promise((r) => setTimeout(r, 20));
          }
          child.kill(signal);
          expect(await exited).toBe(end);
          expect(readdirSync(d)).toEqual([]);
        } finally {
          if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        }
      },
    );
  },
);
