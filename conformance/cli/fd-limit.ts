/**
 * The open-file limit (`ulimit -n`, RLIMIT_NOFILE), checked before anything
 * else is loaded: Node's module loader opens files in parallel, and workers,
 * their pipes and sandboxes need more, so a low limit would otherwise fail in
 * the middle of a run as an EMFILE from wherever it struck. Kept to node:fs so
 * the check itself costs one or two descriptors.
 */
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Descriptors aiospec needs beyond those open when it starts. Measured: a
 * default `run` succeeds with 40 free (the runner's module loading is the
 * peak; each worker is a process of its own with the same limit); the rest is
 * margin for a growing module graph. test/cli/faults.test.ts runs the whole
 * default run at exactly this limit, so it fails if this stops being enough.
 */
export const FREE_FDS_NEEDED = 64;

/** The soft limit from /proc/self/limits' "Max open files" line (null: unlimited or unreadable). */
export function openFileLimit(limits?: string): number | null {
  let text = limits;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/limits', 'utf8');
    } catch {
      return null; // not Linux: no /proc to ask
    }
  }
  const m = /^Max open files\s+(\S+)/m.exec(text);
  if (!m || m[1] === 'unlimited') return null;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) ? n : null;
}

/** Descriptors open now (null where /proc/self/fd cannot be read). */
export function openFileCount(): number | null {
  try {
    return readdirSync('/proc/self/fd').length - 1; // less the one reading the directory
  } catch {
    return null;
  }
}

/** The limit this process needs, given how many descriptors it started with. */
export function neededLimit(open: number): number {
  return open + FREE_FDS_NEEDED;
}

function advice(limit: number, open: number | null): string {
  return open === null
    ? `ulimit -n is ${limit}; aiospec needs ${FREE_FDS_NEEDED} free besides those open at its start`
    : `ulimit -n is ${limit}; aiospec needs at least ${neededLimit(open)} (${FREE_FDS_NEEDED} besides the ${open} open at its start)`;
}

/** Why this process cannot run with its open-file limit, or null when it can (or cannot tell). */
export function fdShortage(
  limit: number | null = openFileLimit(),
  open: number | null = openFileCount(),
): string | null {
  if (limit === null || open === null || limit >= neededLimit(open)) return null;
  return `too many open files: ${advice(limit, open)}`;
}

/** The one line for an EMFILE or ENFILE that struck anyway (spawn, pipe, open), or null for other errors. */
export function openFilesMessage(e: unknown): string | null {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENFILE')
    return 'too many open files in the system (ENFILE): the kernel file table is full (fs.file-max)';
  if (code !== 'EMFILE') return null;
  const limit = openFileLimit();
  return limit === null
    ? 'too many open files (EMFILE)'
    : `too many open files (EMFILE): ${advice(limit, null)}`;
}
