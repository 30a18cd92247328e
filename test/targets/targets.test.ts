/**
 * The other targets: gVisor's application kernel (runsc) and Linux 6.1 under
 * user-mode Linux. Each runs where its package is installed (.ci/run installs
 * both) and says so when it is not.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gvisorAvailable } from '../../real/targets/gvisor.js';
import { umlAvailable } from '../../real/targets/uml.js';
import { aioNr } from '../support/real.js';

const BIN = resolve(import.meta.dirname, '../../bin/aiospec');

function aiospec(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const GVISOR = process.platform === 'linux' ? gvisorAvailable() : `not Linux (${process.platform})`;
const UML =
  process.platform !== 'linux'
    ? `not Linux (${process.platform})`
    : umlAvailable() === null
      ? 'user-mode-linux is not installed (apt-get install user-mode-linux)'
      : null;

describe.skipIf(GVISOR !== null)(`--target gvisor${GVISOR ? ` (skipped: ${GVISOR})` : ''}`, () => {
  it('conforms to the gvisor profile', () => {
    const r = aiospec(
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
    );
    expect(r.code, r.err).toBe(0);
    const s = JSON.parse(r.out);
    expect(s).toMatchObject({
      target: 'gvisor',
      profile: 'gvisor',
      diverged: 0,
      kernel: { gvisor: true },
    });
  });

  it('diverges from Linux as gVisor does: nr_events 0 accepted, no aio-max-nr limit, a ring of zeros', () => {
    const before = aioNr();
    const r = aiospec(
      'run',
      '--target',
      'gvisor',
      '--runs',
      '600',
      '--seed=2',
      '--reporter',
      'json',
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
    expect(aioNr()).toBe(before); // gVisor keeps its own accounting: the host's is untouched
  });
});

describe.skipIf(UML !== null)(`--target uml${UML ? ` (skipped: ${UML})` : ''}`, () => {
  it('conforms to the linux profile with the guest kernel’s own environment', () => {
    const r = aiospec(
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
    );
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
