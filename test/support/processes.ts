/**
 * The processes a test started, read from /proc: which AIO rings they map,
 * which environment they were started with, whether they are gone.
 *
 * aio-nr is one number for the whole kernel, and other programs on a shared
 * host (another aiospec run, a database) move it at any moment; the rings in a
 * process's own maps are that process's alone. So "my processes hold no
 * contexts any more" is asked of the processes themselves, never of aio-nr.
 *
 * Deliberately written apart from real/aio-holders.ts: these helpers judge the
 * product, so they must not share its parser.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** One context's ring as a process maps it: its ring file (device:inode, one per context) and size. */
export interface AioRing {
  readonly file: string;
  readonly bytes: number;
}

/** A process seen mapping AIO rings. */
export interface AioHolder {
  readonly pid: number;
  readonly command: string;
  readonly rings: readonly AioRing[];
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return null;
  }
}

/** "start-end perms offset dev inode path": the kernel names a ring's file "/[aio] (deleted)". */
const RING_LINE = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ (\S+) (\d+) +\/\[aio\]/;

/**
 * The AIO rings mapped in /proc/PID/maps, one entry per ring file (a ring split
 * in several mappings is still one context). Empty when the process is gone.
 */
export function aioRings(pid: number): AioRing[] {
  const maps = readOrNull(`/proc/${pid}/maps`);
  if (maps === null) return [];
  const bytes = new Map<string, number>();
  for (const line of maps.split('\n')) {
    const m = RING_LINE.exec(line);
    if (!m) continue;
    const file = `${m[3]}:${m[4]}`;
    bytes.set(file, (bytes.get(file) ?? 0) + Number(BigInt(`0x${m[2]}`) - BigInt(`0x${m[1]}`)));
  }
  return [...bytes].map(([file, n]) => ({ file, bytes: n }));
}

/** Every pid in /proc right now. */
export function livePids(): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number);
}

/** The command line of a process, for messages ('' when gone). */
export function commandOf(pid: number): string {
  return (readOrNull(`/proc/${pid}/cmdline`) ?? '').split('\0').join(' ').trim();
}

/** Every process mapping AIO rings, among those `which` accepts (default: all but this one). */
export function processesHoldingAio(
  which: (pid: number) => boolean = (pid) => pid !== process.pid,
): AioHolder[] {
  const out: AioHolder[] = [];
  for (const pid of livePids()) {
    if (!which(pid)) continue;
    const rings = aioRings(pid);
    if (rings.length > 0) out.push({ pid, command: commandOf(pid), rings });
  }
  return out;
}

/**
 * The environment a process was started with (/proc/PID/environ: what it got at
 * exec, which is what its parent passed it). null when gone or unreadable.
 */
export function environOf(pid: number): string[] | null {
  const text = readOrNull(`/proc/${pid}/environ`);
  return text === null ? null : text.split('\0');
}

/** The live processes started with `entry` (NAME=value) in their environment. */
export function processesCarrying(entry: string): number[] {
  return livePids().filter((pid) => environOf(pid)?.includes(entry) ?? false);
}

/**
 * The aiospec workers a runner started, and the workers they started in turn:
 * every worker carries AIOSPEC_PARENT_PID=<its starter's pid> in its environment
 * (real/worker-process.ts, real/worker/children.ts), so this still finds them
 * after the runner died and they were reparented.
 */
export function workersOf(runner: number): number[] {
  const byParent = new Map<number, number[]>();
  for (const pid of livePids()) {
    const parent = environOf(pid)
      ?.find((e) => e.startsWith('AIOSPEC_PARENT_PID='))
      ?.slice('AIOSPEC_PARENT_PID='.length);
    if (parent === undefined) continue;
    const list = byParent.get(Number(parent)) ?? [];
    list.push(pid);
    byParent.set(Number(parent), list);
  }
  const found: number[] = [];
  for (let queue = [runner]; queue.length > 0; ) {
    const next: number[] = [];
    for (const p of queue)
      for (const child of byParent.get(p) ?? [])
        if (!found.includes(child) && child !== runner) {
          found.push(child);
          next.push(child);
        }
    queue = next;
  }
  return found;
}

/**
 * The live descendants of a process (children, their children, ...), from
 * /proc/PID/task/TID/children. Some programs clear the environment of what they
 * start (runsc's sandbox and gofer do), so a mark in the environment cannot find
 * those; their ancestry can, while it lasts.
 */
export function descendantsOf(pid: number): number[] {
  const found: number[] = [];
  for (let queue = [pid]; queue.length > 0; ) {
    const next: number[] = [];
    for (const p of queue) {
      let tasks: string[] = [];
      try {
        tasks = readdirSync(`/proc/${p}/task`);
      } catch {}
      for (const t of tasks)
        for (const c of (readOrNull(`/proc/${p}/task/${t}/children`) ?? '').split(' '))
          if (c !== '' && !found.includes(Number(c))) {
            found.push(Number(c));
            next.push(Number(c));
          }
    }
    queue = next;
  }
  return found;
}

/**
 * A process as one run of it: pids are reused (pid_max may be 32768), so a pid
 * is paired with its start time (field 22 of /proc/PID/stat, in clock ticks).
 */
export interface ProcessRef {
  readonly pid: number;
  readonly start: string;
}

/** Fields of /proc/PID/stat after the command (which may hold spaces and parentheses). */
function statFields(pid: number): string[] | null {
  const stat = readOrNull(`/proc/${pid}/stat`);
  return stat === null ? null : stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** This pid as a process run, or null when no process has it now. */
export function processRef(pid: number): ProcessRef | null {
  const f = statFields(pid);
  return f === null ? null : { pid, start: f[19]! };
}

/** Whether that process run has ended: no such pid, a zombie (its memory, rings included, is gone), or the pid reused. */
export function isGone(p: ProcessRef): boolean {
  const f = statFields(p.pid);
  return f === null || f[0] === 'Z' || f[0] === 'X' || f[19] !== p.start;
}

/** The parent pid of a process (null when gone). */
export function parentOf(pid: number): number | null {
  const f = statFields(pid);
  return f === null ? null : Number(f[1]);
}

/**
 * Poll until `cond` holds. The bound is generous and only ends a wait that
 * would otherwise hang; nothing is asserted about how long it took.
 */
export async function waitFor(
  cond: () => boolean,
  what: string | (() => string),
  ms = 15_000,
): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end)
      throw new Error(`still not true after ${ms} ms: ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
