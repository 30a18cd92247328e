/**
 * The files the CLI writes (`--out` reports, `record`'s trace). Checked before
 * any work starts, by creating the file that will be written: a temporary file
 * beside the final name, renamed into place only once complete and synced, so
 * that a full disk, an I/O error or an interrupted run never leaves a truncated
 * report or trace under the final name (a file already there stays as it was).
 */
import { randomBytes } from 'node:crypto';
import {
  accessSync,
  closeSync,
  constants,
  fsyncSync,
  openSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { interruptsHandled } from './interrupt.js';
import { EnvironmentError, UsageError } from './usage-error.js';

/** "no space left on device (ENOSPC)" from Node's "ENOSPC: no space left on device, write". */
export function describeErrno(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const text = /^[A-Z0-9_]+: ([^,]+)/.exec(err?.message ?? '')?.[1] ?? String(err?.message ?? e);
  return err?.code ? `${text} (${err.code})` : text;
}

/** Temporary files not yet renamed or removed: removed on SIGINT/SIGTERM and at exit. */
const pending = new Set<string>();

function removePending(): void {
  for (const temp of pending) {
    try {
      unlinkSync(temp);
    } catch {}
  }
  pending.clear();
}

function onSignal(sig: NodeJS.Signals): void {
  // A run that catches Ctrl-C stops and writes its partial report; the exit hook removes what is left.
  if (sig === 'SIGINT' && interruptsHandled()) return;
  removePending();
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
  process.kill(process.pid, sig); // die of the same signal, as without the handler
}

function track(temp: string): void {
  if (pending.size === 0) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('exit', removePending);
  }
  pending.add(temp);
}

function untrack(temp: string): void {
  pending.delete(temp);
  if (pending.size === 0) {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    process.removeListener('exit', removePending);
  }
}

export class OutputFile {
  private fd: number | null;
  /** The first write that failed: later writes are dropped and commit() reports it. */
  private failure: unknown = null;

  private constructor(
    /** The flag that named the file, for messages: "--out". */
    private readonly flag: string,
    /** The name as the user gave it. */
    readonly path: string,
    /** Where the file ends up (a symlink's target: the link keeps pointing at it). */
    private readonly final: string,
    /** The file being written, or null when writing straight to a device or FIFO. */
    private readonly temp: string | null,
    fd: number,
  ) {
    this.fd = fd;
  }

  /**
   * Check that `path` can be written, by creating its temporary file now: a
   * directory, a missing directory, permissions and read-only file systems are
   * one-line errors before the run rather than after it.
   */
  static open(flag: string, path: string): OutputFile {
    let existing: ReturnType<typeof statSync> | undefined;
    try {
      existing = statSync(path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOTDIR')
        throw new UsageError(`${flag}: ${path}: a part of the path is not a directory`);
      if (code !== 'ENOENT') throw new EnvironmentError(`${flag}: ${path}: ${describeErrno(e)}`);
    }
    if (existing?.isDirectory()) throw new UsageError(`${flag}: ${path} is a directory`);
    if (existing && !existing.isFile()) {
      // A device or a FIFO (/dev/null, /dev/stdout): nothing to replace, write to it directly.
      try {
        return new OutputFile(flag, path, path, null, openSync(path, 'w'));
      } catch (e) {
        throw new EnvironmentError(`${flag}: cannot write ${path}: ${describeErrno(e)}`);
      }
    }
    const final = existing ? realpathSync(path) : path;
    const dir = dirname(final);
    if (!existing) {
      let d: ReturnType<typeof statSync> | undefined;
      try {
        d = statSync(dir);
      } catch {}
      if (!d) throw new UsageError(`${flag}: ${path}: directory ${dir} does not exist`);
      if (!d.isDirectory()) throw new UsageError(`${flag}: ${path}: ${dir} is not a directory`);
    } else {
      // Renaming over a file ignores its own permissions; honour them as writing it would.
      try {
        accessSync(final, constants.W_OK);
      } catch (e) {
        throw new EnvironmentError(`${flag}: cannot write ${path}: ${describeErrno(e)}`);
      }
    }
    const temp = join(
      dir,
      `.${basename(final)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`,
    );
    let fd: number;
    try {
      fd = openSync(temp, 'wx');
    } catch (e) {
      throw new EnvironmentError(
        `${flag}: cannot create ${path} (a file in ${dir}): ${describeErrno(e)}`,
      );
    }
    track(temp);
    return new OutputFile(flag, path, final, temp, fd);
  }

  /** Append text. A failure is kept for commit() to report: writers inside a run must not throw into it. */
  write(text: string): void {
    if (this.fd === null || this.failure !== null) return;
    try {
      const bytes = Buffer.from(text, 'utf8');
      for (let done = 0; done < bytes.length; )
        done += writeSync(this.fd, bytes, done, bytes.length - done);
    } catch (e) {
      this.failure = e;
    }
  }

  /** Put the complete file under its final name; on any failure remove it and throw the one-line error. */
  commit(): void {
    if (this.fd === null) throw new Error(`${this.flag}: ${this.path} is already closed`);
    const fd = this.fd;
    if (this.failure === null) {
      try {
        // Some file systems report a full disk or an I/O error only here, not at write().
        if (this.temp !== null) fsyncSync(fd);
      } catch (e) {
        this.failure = e;
      }
    }
    try {
      closeSync(fd);
    } catch (e) {
      this.failure ??= e;
    }
    this.fd = null;
    if (this.failure === null && this.temp !== null) {
      try {
        renameSync(this.temp, this.final);
        untrack(this.temp);
      } catch (e) {
        this.failure = e;
      }
    }
    if (this.failure !== null) {
      this.removeTemp();
      throw new EnvironmentError(
        `${this.flag}: writing ${this.path} failed: ${describeErrno(this.failure)}${this.temp === null ? '' : `; ${this.path} was not written`}`,
      );
    }
  }

  /** Give up: close and remove the temporary file (nothing happens under the final name). No-op once committed. */
  discard(): void {
    if (this.fd !== null) {
      try {
        closeSync(this.fd);
      } catch {}
      this.fd = null;
    }
    this.removeTemp();
  }

  private removeTemp(): void {
    if (this.temp === null || !pending.has(this.temp)) return;
    try {
      unlinkSync(this.temp);
    } catch {}
    untrack(this.temp);
  }
}

/** Write a whole report to `out` (opened before the run) and put it in place. */
export function writeWhole(out: OutputFile, text: string | Iterable<string>): void {
  if (typeof text === 'string') out.write(text.endsWith('\n') ? text : `${text}\n`);
  else for (const chunk of text) out.write(chunk);
  out.commit();
}
