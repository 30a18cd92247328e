/**
 * The other targets: gVisor's application kernel (runsc) and Linux 6.1 under
 * user-mode Linux. Each runs where its package is installed (.ci/run installs
 * both) and says so when it is not. Every run must end with nothing of it left
 * on the host: the runner, runsc's or UML's processes are all gone.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { gvisorAvailable } from '../../real/targets/gvisor.js';
import { umlAvailable } from '../../real/targets/uml.js';
import { BIN, type CliOptions, nothingLeftBehind, runAiospec } from '../support/cli.js';
import { startedProcesses } from '../support/started.js';

const started = startedProcesses();

/** `aiospec ...args` to its end, then nothing of it may be left. */
async function aiospec(args: readonly string[], opts: CliOptions = {}) {
  const r = await runAiospec(started, args, opts);
  await nothingLeftBehind(r);
  return r;
}

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
