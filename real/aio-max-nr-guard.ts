/**
 * Changing /proc/sys/fs/aio-max-nr, safely: only as root, only when asked, and
 * always put back — after the work, on SIGINT/SIGTERM, on an exception, and by
 * a detached guardian process if the runner is killed outright. The original
 * value is written to a state file first, so that a later start can restore
 * what a run killed together with its guardian left behind.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SYSCTL = '/proc/sys/fs/aio-max-nr';

export interface GuardState {
  readonly original: string;
  readonly value: string;
  readonly pid: number;
  readonly since: string;
}

export function stateFile(): string {
  const dir =
    process.env.AIOSPEC_STATE_DIR ??
    (process.getuid?.() === 0 ? '/run/aiospec' : join(tmpdir(), 'aiospec'));
  return join(dir, 'aio-max-nr.json');
}

function readState(file: string): GuardState | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as GuardState;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readAioMaxNr(): bigint {
  return BigInt(readFileSync(SYSCTL, 'utf8').trim());
}

function writeAioMaxNr(v: bigint | string): void {
  writeFileSync(SYSCTL, `${v}\n`);
}

/** Put back what a dead run left changed. Returns the state restored, or null if there was nothing to do. */
export function recoverAioMaxNr(file = stateFile()): GuardState | null {
  const s = readState(file);
  if (!s || alive(s.pid)) return null;
  if (readAioMaxNr().toString() === s.value) writeAioMaxNr(s.original);
  unlinkSync(file);
  return s;
}

export class SysctlRefused extends Error {
  override name = 'SysctlRefused';
}

/**
 * Run `fn` with aio-max-nr set to `value`, then restore it, whatever happens.
 * `optIn` must be true: changing a host-wide sysctl is never implicit.
 * `callerStopsOnSigint`: the caller ends `fn` itself on SIGINT (a run that
 * reports what it did); the restore then happens when `fn` returns, or at exit.
 */
export async function withAioMaxNr<T>(
  value: bigint,
  optIn: boolean,
  fn: () => Promise<T>,
  callerStopsOnSigint = false,
): Promise<T> {
  if (!optIn) throw new SysctlRefused('changing aio-max-nr needs an explicit opt-in');
  if (process.getuid?.() !== 0) throw new SysctlRefused('changing aio-max-nr needs root');
  const file = stateFile();
  const stale = recoverAioMaxNr(file);
  if (stale)
    process.stderr.write(
      `aiospec: restored aio-max-nr to ${stale.original} (left at ${stale.value} by pid ${stale.pid})\n`,
    );
  const other = readState(file);
  if (other)
    throw new SysctlRefused(
      `another aiospec run (pid ${other.pid}) has changed aio-max-nr; not changing it again`,
    );
  const original = readAioMaxNr();
  const state: GuardState = {
    original: original.toString(),
    value: value.toString(),
    pid: process.pid,
    since: new Date().toISOString(),
  };
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(state), { flag: 'wx' });

  const guardian = startGuardian(file);
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    try {
      writeAioMaxNr(original);
    } finally {
      try {
        unlinkSync(file);
      } catch {}
    }
  };
  const onSignal = (sig: NodeJS.Signals) => {
    if (sig === 'SIGINT' && callerStopsOnSigint) return;
    restore();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    process.kill(process.pid, sig); // die of the same signal, as without the handler
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', restore);
  try {
    writeAioMaxNr(value);
    return await fn();
  } finally {
    restore();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    process.removeListener('exit', restore);
    guardian.stdin?.end();
  }
}

/** A detached process that restores aio-max-nr when our end of its stdin closes while the state file is still ours. */
function startGuardian(file: string) {
  const here = dirname(fileURLToPath(import.meta.url));
  const script = [
    resolve(here, 'aio-max-nr-guardian.js'),
    resolve(here, '../dist/real/aio-max-nr-guardian.js'),
  ].find((p) => {
    try {
      readFileSync(p);
      return true;
    } catch {
      return false;
    }
  });
  if (!script) throw new Error('aio-max-nr guardian not built; run npm run build');
  const child = spawn(process.execPath, [script, file, String(process.pid)], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  child.unref();
  (child.stdin as unknown as { unref?: () => void }).unref?.();
  return child;
}
