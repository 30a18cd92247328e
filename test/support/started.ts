/**
 * The processes a test file starts, stopped by the file's own hooks whatever
 * happened in the test: an assertion that throws before the test's own cleanup
 * must not leave a process holding AIO contexts on a shared host.
 *
 * `startedProcesses()` registers the hooks in the suite it is called in. A
 * process started while a test runs is stopped after that test (afterEach);
 * one started in beforeAll is stopped after the suite (afterAll).
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, afterEach, beforeEach } from 'vitest';
import type { WorkerHandle } from '../../real/worker-process.js';
import { isGone, type ProcessRef, processRef, waitFor, workersOf } from './processes.js';

/** How to stop one started thing, and how to tell that it has stopped. */
interface Owned {
  readonly stop: () => void;
  readonly stopped: () => boolean;
  readonly what: string;
}

export class StartedProcesses {
  private readonly perTest: Owned[] = [];
  private readonly perSuite: Owned[] = [];
  /** @internal set by the hooks: things started now belong to the running test. */
  inTest = false;

  private own(o: Owned): void {
    (this.inTest ? this.perTest : this.perSuite).push(o);
  }

  /** A worker the test started (its contexts die with it). */
  worker<W extends WorkerHandle>(w: W): W {
    this.own({ stop: () => w.kill(), stopped: () => !w.alive, what: `worker ${w.pid}` });
    return w;
  }

  /**
   * A child process the test spawned, and every aiospec worker it started (they
   * carry AIOSPEC_PARENT_PID; they must not outlive it even if their own
   * death-with-parent failed, which is what some tests are checking).
   */
  child(p: ChildProcess): ChildProcess {
    const self = p.pid === undefined ? null : processRef(p.pid);
    let workers: ProcessRef[] = [];
    this.own({
      stop: () => {
        if (self) workers = workersOf(self.pid).flatMap((pid) => processRef(pid) ?? []);
        p.kill('SIGKILL');
        for (const w of workers) killQuietly(w.pid);
      },
      stopped: () =>
        (p.exitCode !== null || p.signalCode !== null || self === null || isGone(self)) &&
        workers.every(isGone),
      what: `child ${p.pid} (${p.spawnfile} ${p.spawnargs.slice(1, 3).join(' ')})`,
    });
    return p;
  }

  /** A process known only by pid (started by something the test started). */
  pid(ref: ProcessRef): void {
    this.own({
      stop: () => killQuietly(ref.pid),
      stopped: () => isGone(ref),
      what: `pid ${ref.pid}`,
    });
  }

  /** @internal */
  async stop(which: 'test' | 'suite'): Promise<void> {
    const list = (which === 'test' ? this.perTest : this.perSuite).splice(0);
    for (const o of list) if (!o.stopped()) o.stop();
    await waitFor(
      () => list.every((o) => o.stopped()),
      () =>
        `stopped: ${list
          .filter((o) => !o.stopped())
          .map((o) => o.what)
          .join(', ')}`,
    );
  }
}

/** SIGKILL by pid; a process that is already gone is not an error here. */
export function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {}
}

/** Track what this suite starts; stop it after each test, and after the suite. */
export function startedProcesses(): StartedProcesses {
  const s = new StartedProcesses();
  beforeEach(() => {
    s.inTest = true;
  });
  afterEach(async () => {
    s.inTest = false;
    await s.stop('test');
  });
  afterAll(() => s.stop('suite'));
  return s;
}
