/** What a command gives back, and how its report reaches stdout. */
import { writeSync } from 'node:fs';

/** A command's report (whole, or a piece at a time: a long run's TAP is never held whole) and exit status. */
export interface CommandResult {
  readonly out: string | Iterable<string>;
  readonly code: number;
}

/** Give the CPU away for a moment (a full pipe drains meanwhile). */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Write all of `text` to stdout, waiting for a full pipe; false once the reader is gone (EPIPE). */
function writeAll(text: string): boolean {
  const bytes = Buffer.from(text, 'utf8');
  for (let done = 0; done < bytes.length; ) {
    try {
      done += writeSync(1, bytes, done, bytes.length - done);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') return false; // `aiospec run | head`: not an error, the exit status stands
      if (code !== 'EAGAIN') throw e;
      pause(1);
    }
  }
  return true;
}

/**
 * Write a report to stdout, synchronously and piece by piece, so that memory
 * holds one piece at a time and the report is out before the process exits.
 */
export function writeOut(out: CommandResult['out']): void {
  if (typeof out === 'string') {
    if (out) writeAll(out.endsWith('\n') ? out : `${out}\n`);
    return;
  }
  for (const chunk of out) if (!writeAll(chunk)) return;
}
