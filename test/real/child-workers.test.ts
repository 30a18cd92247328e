/**
 * Child workers: a worker starts sandboxes and fresh processes as its own
 * children, in its own kernel. They die with it (SIGKILL included, and while
 * busy: PR_SET_PDEATHSIG, not only EOF on stdin); one that hangs is killed and
 * its parent goes on; a parent that cannot pass the kill on is killed with it;
 * a spawn that fails (EMFILE) is a start failure with its errno, never a crash
 * of the parent.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WorkerProcess, WorkerStartError, workerEntry } from '../../real/worker-process.js';
import { isGone, parentOf, processRef, waitFor } from '../support/processes.js';
import { REAL } from '../support/real.js';
import { startedProcesses } from '../support/started.js';
import { steps } from '../support/worker.js';

const EINVAL = 22;
const FILL_FDS = resolve(import.meta.dirname, '../cli/fill-fds-at-spawn.mjs');

/** Clock ticks a process has spent running (utime + stime, /proc/PID/stat), or -1 when gone. */
function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return -1;
  }
}

/** io_destroy of an unmapped address: EINVAL in any process, whatever others do to aio-nr. */
const harmless = [{ op: 'destroy', target: { unmapped: true } }] as const;

describe.skipIf(REAL !== null)(`child workers${REAL ? ` (skipped: ${REAL})` : ''}`, () => {
  const started = startedProcesses();

  it('are children of their worker; a fresh one has no filter and no contexts, and goes when closed', async () => {
    const w = started.worker(await WorkerProcess.start());
    const c = started.worker(await w.spawnChild());
    expect(parentOf(c.pid)).toBe(w.pid);
    expect(c.host.seccompMode).toBe(0);
    const [r] = await steps(c, [{ op: 'destroy', target: { scratch: { u32: 0, offset: 0 } } }]);
    expect(r).toMatchObject({ op: 'destroy', errno: EINVAL });
    const self = processRef(c.pid)!;
    await c.close();
    expect(c.alive).toBe(false);
    await waitFor(() => isGone(self), 'the closed child is gone');
    expect(w.alive).toBe(true);
  });

  it('die with their worker, SIGKILL included, even while busy', async () => {
    const w = started.worker(await WorkerProcess.start());
    const c = started.worker(await w.spawnChild());
    const child = processRef(c.pid)!;
    // The child spins in a batch: it reads nothing more, so EOF on its stdin cannot end it.
    const running = c.run([{ id: 0, steps: [{ op: 'debug-hang' }] }], 60_000);
    const spun = cpuTicks(c.pid);
    await waitFor(() => cpuTicks(c.pid) > spun + 10, 'the child is spinning');
    process.kill(w.pid, 'SIGKILL');
    await waitFor(() => isGone(child), 'the child died with its worker');
    const r = await running;
    expect(r.cases[0]).toMatchObject({ status: 'crashed', signal: 'SIGKILL' });
    expect(c.alive).toBe(false);
  });

  it('one that hangs is killed at the timeout; its worker goes on and starts another', async () => {
    const w = started.worker(await WorkerProcess.start());
    const c = started.worker(await w.spawnChild());
    const child = processRef(c.pid)!;
    const r = await c.run([{ id: 3, steps: [{ op: 'debug-hang' }] }], 300);
    expect(r.cases[0]).toMatchObject({ id: 3, status: 'timeout' });
    expect(c.alive).toBe(false);
    await waitFor(() => isGone(child), 'the hung child is gone');
    expect(w.alive).toBe(true);
    const next = started.worker(await w.spawnChild());
    expect((await steps(next, harmless))[0]).toMatchObject({ errno: EINVAL });
  });

  it('a worker that does not pass the kill on is killed, and its child with it', async () => {
    const w = started.worker(await WorkerProcess.start());
    const c = started.worker(await w.spawnChild());
    const worker = processRef(w.pid)!;
    const child = processRef(c.pid)!;
    process.kill(w.pid, 'SIGSTOP');
    const r = await c.run([{ id: 0, steps: harmless }], 300);
    expect(r.cases[0]).toMatchObject({ status: 'timeout' });
    expect(w.alive).toBe(false);
    await waitFor(
      () => isGone(worker) && isGone(child),
      'the stopped worker and its child are gone',
    );
  }, 20_000);

  it('one that cannot be spawned (EMFILE) is a start failure with its errno; the worker goes on', async () => {
    // Every spawn in this worker finds its descriptor table full (as a low ulimit -n would).
    const w = started.worker(
      await WorkerProcess.start({
        command: process.execPath,
        args: ['--import', FILL_FDS, workerEntry()],
      }),
    );
    const failed = await w.spawnChild().catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(WorkerStartError);
    expect(failed).toMatchObject({ code: 'EMFILE' });
    expect(w.alive).toBe(true);
    expect((await steps(w, harmless))[0]).toMatchObject({ errno: EINVAL });
  });
});
