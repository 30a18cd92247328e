/**
 * `bin/aiospec` run by a test as a child process, marked so that everything it
 * starts can be found afterwards: its workers, their child workers, runsc's
 * `do` and UML's processes inherit AIOSPEC_TEST_CLI=<id> from its environment.
 * What clears its environment (runsc's sandbox and gofer) is found by ancestry
 * instead, looked at every 50 ms while the run lasts. A run is over when the
 * command has exited and none of those is left: that, not the host-wide
 * aio-nr, says it gave back what it took.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import {
  type AioHolder,
  aioRings,
  commandOf,
  descendantsOf,
  isGone,
  type ProcessRef,
  processesCarrying,
  processRef,
  waitFor,
} from './processes.js';
import { killQuietly, type StartedProcesses } from './started.js';

export const BIN = resolve(import.meta.dirname, '../../bin/aiospec');

export interface CliRun {
  readonly code: number | null;
  readonly signal: string | null;
  readonly out: string;
  readonly err: string;
  /** NAME=value in the environment of everything this run started. */
  readonly mark: string;
  /** Its processes seen mapping AIO rings while it ran (looked for only with `watchRings`). */
  readonly ringsSeen: readonly AioHolder[];
  /** Every process seen descending from it while it ran, with its command line as last seen. */
  readonly descendants: readonly (ProcessRef & { readonly command: string })[];
}

export interface CliOptions {
  readonly env?: Readonly<Record<string, string>>;
  /** Also look at the maps of the run's processes while it runs, and record the rings seen. */
  readonly watchRings?: boolean;
  /** In a process group of its own, as a shell's job: a signal to -pid reaches it and its workers, as Ctrl-C does. */
  readonly ownGroup?: boolean;
  /** Called once it is started (to signal it mid-run). */
  readonly onStart?: (p: ChildProcess, mark: string) => void;
}

/** Run `aiospec ...args` to its end; the test's hooks kill it if the test ends first. */
export function runAiospec(
  started: StartedProcesses,
  args: readonly string[],
  opts: CliOptions = {},
): Promise<CliRun> {
  const mark = `AIOSPEC_TEST_CLI=${randomUUID()}`;
  const [name, value] = mark.split('=') as [string, string];
  const p = started.child(
    spawn(process.execPath, [BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...opts.env, [name]: value },
      detached: opts.ownGroup === true,
    }),
  );
  opts.onStart?.(p, mark);
  let out = '';
  let err = '';
  p.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  p.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  const ringsSeen: AioHolder[] = [];
  const descendants = new Map<string, ProcessRef & { command: string }>();
  const look = () => {
    if (p.pid === undefined) return;
    const below = descendantsOf(p.pid);
    const pids = new Set([p.pid, ...below]);
    for (const pid of below) {
      const ref = processRef(pid);
      if (!ref) continue;
      const key = `${ref.pid}@${ref.start}`;
      // Seen again after an exec (sh -c '...; exec ...'): the later command is the one it ran as.
      descendants.set(key, {
        ...ref,
        command: commandOf(pid) || (descendants.get(key)?.command ?? ''),
      });
    }
    if (!opts.watchRings) return;
    for (const pid of processesCarrying(mark)) pids.add(pid);
    for (const pid of pids) {
      const rings = aioRings(pid);
      if (rings.length > 0) ringsSeen.push({ pid, command: commandOf(pid), rings });
    }
  };
  const watch = setInterval(look, 50);
  return new Promise((done, fail) => {
    p.on('error', fail);
    p.on('close', (code, signal) => {
      clearInterval(watch);
      done({ code, signal, out, err, mark, ringsSeen, descendants: [...descendants.values()] });
    });
  });
}

/**
 * Wait until no process the run started is left (they die with the command:
 * workers by PR_SET_PDEATHSIG and EOF on stdin). Throws, naming the leftovers
 * and the rings they hold, if some stay; they are killed either way.
 */
export async function nothingLeftBehind(run: CliRun): Promise<void> {
  const left = () => [
    ...new Set([
      ...processesCarrying(run.mark),
      ...run.descendants.filter((d) => !isGone(d)).map((d) => d.pid),
    ]),
  ];
  try {
    await waitFor(
      () => left().length === 0,
      () =>
        `processes of \`aiospec\` (${run.mark}) still running after it exited: ${left()
          .map((pid) => `${pid} ${commandOf(pid)} holding ${aioRings(pid).length} AIO rings`)
          .join('; ')}`,
    );
  } finally {
    for (const pid of left()) killQuietly(pid);
  }
}
