/**
 * The other targets: gVisor's application kernel (runsc) and Linux 6.1 under
 * user-mode Linux. Each runs where its package is installed (.ci/run installs
 * both) and says so when it is not. Every run must end with nothing of it left
 * on the host: the runner, runsc's or UML's processes are all gone. A run
 * starts one sandbox or boots one kernel: its seccomp sandboxes and fresh
 * processes are children of the worker in there.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { replayTrace } from '../../conformance/trace/replay.js';
import { gvisorAvailable, gvisorLaunch } from '../../real/targets/gvisor.js';
import { umlAvailable } from '../../real/targets/uml.js';
import { WorkerProcess } from '../../real/worker-process.js';
import {
  BIN,
  type CliOptions,
  type CliRun,
  nothingLeftBehind,
  runAiospec,
} from '../support/cli.js';
import { startedProcesses } from '../support/started.js';
import { steps } from '../support/worker.js';

const started = startedProcesses();

/** `aiospec ...args` to its end, then nothing of it may be left. */
async function aiospec(args: readonly string[], opts: CliOptions = {}) {
  const r = await runAiospec(started, args, opts);
  await nothingLeftBehind(r);
  return r;
}

const dir = mkdtempSync(join(tmpdir(), 'aiospec-targets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * `record --suite table` on a target: its worker lines (key and seccomp mode, as
 * each worker saw itself), and the run's host processes whose command line
 * matches `launched` (one per sandbox started or kernel booted).
 */
async function recordTable(target: readonly string[], launched: RegExp) {
  const file = join(dir, `${target[1]}.jsonl`);
  const r = await aiospec(['record', ...target, '--suite', 'table', '--seed=1', '--out', file]);
  expect(r.code, r.err).toBe(0);
  const trace = readFileSync(file, 'utf8');
  const workers = trace
    .split('\n')
    .filter((l) => l.startsWith('{"t":"worker"'))
    .map((l) => JSON.parse(l) as { worker: string; host: { seccompMode: number | null } })
    .map((w) => [w.worker, w.host.seccompMode])
    .sort(); // the main worker's children start together, in any order
  const { summary } = await replayTrace(trace);
  return { workers, summary, launches: launchesOf(r, launched) };
}

function launchesOf(r: CliRun, launched: RegExp): number {
  return r.descendants.filter((d) => launched.test(d.command)).length;
}

const TABLE_WORKERS = [
  ['fresh:0', 0],
  ['main', 0],
  ['seccomp:ENOSYS', 2],
  ['seccomp:EPERM', 2],
];

const GVISOR = process.platform === 'linux' ? gvisorAvailable() : `not Linux (${process.platform})`;
const UML =
  process.platform !== 'linux'
    ? `not Linux (${process.platform})`
    : umlAvailable() === null
      ? 'user-mode-linux is not installed (apt-get install user-mode-linux)'
      : null;

describe.skipIf(GVISOR !== null)(`--target gvisor${GVISOR ? ` (skipped: ${GVISOR})` : ''}`, () => {
  it('conforms to the gvisor profile', async () => {
    const r = await aiospec([
      'run',
      '--target',
      'gvisor',
      '--profile',
      'gvisor',
      '--runs',
      '600',
      '--seed=2',
      '--reporter',
      'json',
    ]);
    expect(r.code, r.err).toBe(0);
    const s = JSON.parse(r.out);
    expect(s).toMatchObject({
      target: 'gvisor',
      profile: 'gvisor',
      diverged: 0,
      kernel: { gvisor: true },
    });
  });

  it('diverges from Linux as gVisor does: nr_events 0 accepted, no aio-max-nr limit, a ring of zeros', async () => {
    const r = await aiospec(
      ['run', '--target', 'gvisor', '--runs', '600', '--seed=2', '--reporter', 'json'],
      { watchRings: true },
    );
    expect(r.code).toBe(1);
    const s = JSON.parse(r.out);
    const minimal = s.divergences.map(
      (d: { case: { steps: { op: string; nr?: number }[] } }) => d.case.steps,
    );
    const setupNrs = minimal
      .filter((st: { op: string }[]) => st.length === 1 && st[0]!.op === 'setup')
      .map((st: { nr: number }[]) => st[0]!.nr);
    expect(setupNrs).toContain(0); // accepted by gVisor, EINVAL on Linux
    expect(setupNrs.some((n: number) => n > 65_536)).toBe(true); // no aio-max-nr
    const fields = s.divergences.flatMap((d: { differences: { diffs: { field: string }[] }[] }) =>
      d.differences.flatMap((x) => x.diffs.map((y) => y.field)),
    );
    expect(fields).toContain('ring.magic');
    // gVisor keeps its own contexts: none of the run's processes on the host was seen mapping
    // a host AIO ring while it ran, and none is left now (checked by aiospec() above).
    expect(r.ringsSeen).toEqual([]);
  });

  it('starts one sandbox: the sandboxes and the fresh process are children of its worker, under their filters', async () => {
    const { workers, summary, launches } = await recordTable(
      ['--target', 'gvisor', '--profile', 'gvisor'],
      /runsc .* do .*\/worker\/main\.js/,
    );
    expect(workers).toEqual(TABLE_WORKERS);
    expect(launches).toBe(1);
    expect(summary).toMatchObject({ diverged: 0, inconclusive: 0 });
  });

  it('a worker that started a child still refuses a write into a read-only ctx (EFAULT)', async () => {
    // gVisor, once a process has forked, let io_setup write into a read-only page after a write
    // into the page before it; the worker keeps its ctx pages out of forks (MADV_DONTFORK).
    const w = started.worker(await WorkerProcess.start(gvisorLaunch()));
    await (await w.spawnChild()).close();
    const rs = await steps(w, [
      { op: 'setup', nr: 10, ctx: 'zero' },
      { op: 'setup', nr: 1, ctx: 'readonly' },
    ]);
    expect(rs.map((x) => [x.op, 'errno' in x ? x.errno : null])).toEqual([
      ['setup', 0],
      ['setup', 14],
    ]);
    await w.close();
  });
});

describe.skipIf(UML !== null)(`--target uml${UML ? ` (skipped: ${UML})` : ''}`, () => {
  it('conforms to the linux profile with the guest kernel’s own environment', async () => {
    const r = await aiospec([
      'run',
      '--target',
      'uml',
      '--suite',
      'props',
      '--runs',
      '400',
      '--seed=2',
      '--reporter',
      'json',
    ]);
    expect(r.code, r.err).toBe(0);
    const s = JSON.parse(r.out);
    expect(s).toMatchObject({ target: 'uml', profile: 'linux', diverged: 0 });
    expect(s.kernel.release).toMatch(/^6\.1\./);
    expect(s.environment.possibleCpus).toBe(1); // the guest's, not the host's
  });

  it('boots once: the sandboxes and the fresh process are children of the worker in the guest, under their filters', async () => {
    const { workers, summary, launches } = await recordTable(
      ['--target', 'uml'],
      /uml-host-relay\.js/,
    );
    expect(workers).toEqual(TABLE_WORKERS);
    expect(launches).toBe(1);
    expect(summary).toMatchObject({ diverged: 0, inconclusive: 0 });
  });
});

describe('targets that cannot start', () => {
  it('say why and exit 2', () => {
    const r = spawnSync(process.execPath, [BIN, 'run', '--target', 'uml'], {
      encoding: 'utf8',
      env: { ...process.env, AIOSPEC_UML: '/nonexistent/linux.uml' },
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/uml|user-mode/i);
  });
});
