/**
 * The open-file limit (`ulimit -n`, RLIMIT_NOFILE), checked before anything
 * else is loaded: Node's module loader opens files in parallel, and workers,
 * their pipes and sandboxes need more, so a low limit would otherwise fail in
 * the middle of a run as an EMFILE from wherever it struck. Kept to node:fs so
 * the check itself costs one or two descriptors.
 */
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Descriptors aiospec needs beyond those open when it starts. Node's ESM
 * loader reads a module graph's files concurrently (open, read, close each),
 * so with a cold page cache every one of the CLI's modules (145 today) can be
 * open at once: a limit of 64 free passed warm and failed one cold run in
 * three (`echo 3 > /proc/sys/vm/drop_caches`, and in CI). The bound is the
 * module count plus what a run holds once loaded (workers' pipes, the trace
 * and report files: a warm default run succeeds with 40 free).
 * test/cli/fd-limit-bound.test.ts counts the modules the CLI loads and fails
 * when they and that margin no longer fit in this number; test/cli/faults.test.ts
 * runs the default run at exactly the limit.
 */
export const FREE_FDS_NEEDED = 256;

/** What a loaded run holds at its peak besides module files (measured warm: 40; with margin). */
export const LOADED_PEAK_FDS = 64;

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
