/**
 * --target oci: the worker in a real container started by runc, with the project's own
 * seccomp profiles (fixtures/seccomp/) or none. Each run must conform to the model given
 * that profile, what the kernel answered is also checked straight from a trace (not through
 * the model), and nothing of a run may be left: no container in `runc list`, no cgroup, no
 * bundle mount, no process, also when the runner is SIGKILLed. Runs where runc can start a
 * container as root (`.ci/run` installs runc); skipped elsewhere, saying why.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ociAvailable } from '../../real/targets/oci.js';
import { BIN, nothingLeftBehind, runAiospec } from '../support/cli.js';
import { leftovers, nothingOfOciLeft } from '../support/oci-leftovers.js';
import { processesCarrying, waitFor } from '../support/processes.js';
import { startedProcesses } from '../support/started.js';

const started = startedProcesses();
const WHY = process.platform !== 'linux' ? 'not Linux' : ociAvailable();
const PROFILES = resolve(import.meta.dirname, '../../fixtures/seccomp');
const profile = (name: string) => join(PROFILES, `${name}.json`);
const dir = mkdtempSync(join(tmpdir(), 'aiospec-oci-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface JsonSummary {
  passed: number;
  diverged: number;
  inconclusive: number;
  coverage: { id: string; hits: number }[];
}

/** `aiospec run --target oci ...` as JSON; it must conform and leave nothing behind. */
async function conforming(args: readonly string[]): Promise<Map<string, number>> {
  const r = await runAiospec(started, [
    'run',
    '--target',
    'oci',
    '--seed=7',
    '--runs',
    '400',
    '--reporter',
    'json',
    ...args,
  ]);
  await nothingLeftBehind(r);
  await nothingOfOciLeft();
  expect(r.err).toBe('');
  const s = JSON.parse(r.out) as JsonSummary;
  expect({ code: r.code, diverged: s.diverged }).toEqual({ code: 0, diverged: 0 });
  expect(s.passed).toBeGreaterThan(400);
  return new Map(s.coverage.map((c) => [c.id, c.hits]));
}

interface TraceSetup {
  nr: number;
  errno: number;
}

/** io_setup calls of the main worker's props cases in a trace: nr_events and the errno the kernel gave. */
function setupsOf(trace: string): TraceSetup[] {
  return trace
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .filter(
      (l) =>
        l.t === 'case' && l.worker === 'main' && l.suite === 'props' && l.report.status === 'ok',
    )
    .flatMap((l) =>
      l.case.steps.flatMap((s: { op: string; nr?: number }, i: number) =>
        s.op === 'setup' ? [{ nr: Number(s.nr), errno: l.report.results[i].errno as number }] : [],
      ),
    );
}

describe.skipIf(WHY !== null)(`--target oci${WHY ? ` (skipped: ${WHY})` : ''}`, () => {
  it('without a profile the container conforms to linux, and its worker is pid 1 of a new namespace', async () => {
    const out = join(dir, 'plain.trace.jsonl');
    const r = await runAiospec(started, [
      'record',
      '--target',
      'oci',
      '--seed=3',
      '--runs',
      '300',
      '--out',
      out,
    ]);
    await nothingLeftBehind(r);
    await nothingOfOciLeft();
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^CONFORMANT/m);
    const main = readFileSync(out, 'utf8')
      .split('\n')
      .map((l) => (l ? JSON.parse(l) : null))
      .find((l) => l?.t === 'worker' && l.worker === 'main');
    // Fresh pid namespace: the worker is its init. Docker's default capabilities, no seccomp filter.
    expect(main.host.pid).toBe(1);
    expect(main.host.seccompMode).toBe(0);
    expect(BigInt(`0x${main.host.capEff}`)).toBe(0xa80425fbn);
  });

  it('--rootless: the container in a user namespace conforms to linux too', async () => {
    await conforming(['--rootless']);
  });

  it('crun where it runs, else one line saying why, exit 2', async () => {
    const r = await runAiospec(started, [
      'run',
      '--target',
      'oci',
      '--oci-runtime',
      'crun',
      '--runs',
      '50',
    ]);
    await nothingLeftBehind(r);
    await nothingOfOciLeft();
    if (r.code === 0) expect(r.out).toMatch(/^CONFORMANT/m);
    else {
      expect(r.code).toBe(2);
      expect(r.err.trimEnd().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(/crun (not found|cannot start a container)/);
    }
  });

  it('io_setup denied with EPERM: every call refused by the filter, as the model predicts', async () => {
    const hits = await conforming(['--seccomp-profile', profile('io-setup-eperm')]);
    expect(hits.get('seccomp.errno')).toBeGreaterThan(0);
    expect(hits.get('setup.ok')).toBe(0);
  });

  it('errnoRet 38: io_setup fails with ENOSYS', async () => {
    const out = join(dir, 'enosys.trace.jsonl');
    const r = await runAiospec(started, [
      'record',
      '--target',
      'oci',
      '--seccomp-profile',
      profile('io-setup-enosys'),
      '--suite',
      'props',
      '--runs',
      '200',
      '--seed=5',
      '--out',
      out,
    ]);
    await nothingLeftBehind(r);
    await nothingOfOciLeft();
    expect(r.code).toBe(0);
    const setups = setupsOf(readFileSync(out, 'utf8'));
    expect(setups.length).toBeGreaterThan(100);
    expect(new Set(setups.map((s) => s.errno))).toEqual(new Set([38]));
  });

  it('an argument filter: nr_events above 128 refused, up to 128 let through to the kernel', async () => {
    const out = join(dir, 'max128.trace.jsonl');
    const r = await runAiospec(started, [
      'record',
      '--target',
      'oci',
      '--seccomp-profile',
      profile('io-setup-max128'),
      '--suite',
      'props',
      '--runs',
      '600',
      '--seed=5',
      '--out',
      out,
    ]);
    await nothingLeftBehind(r);
    await nothingOfOciLeft();
    expect(r.code).toBe(0);
    const setups = setupsOf(readFileSync(out, 'utf8'));
    const above = setups.filter((s) => s.nr > 128);
    const upTo = setups.filter((s) => s.nr <= 128);
    expect(above.length).toBeGreaterThan(10);
    expect(above.every((s) => s.errno === 1)).toBe(true);
    // Up to 128 the kernel decides: some succeed, and none is the filter's EPERM.
    expect(upTo.some((s) => s.errno === 0)).toBe(true);
    expect(upTo.some((s) => s.errno === 1)).toBe(false);
  });

  it('io_destroy denied while io_setup is allowed conforms', async () => {
    const hits = await conforming(['--seccomp-profile', profile('io-destroy-eperm')]);
    expect(hits.get('seccomp.destroy-errno')).toBeGreaterThan(0);
    expect(hits.get('setup.ok')).toBeGreaterThan(0);
  });

  it('LOG lets the call run; TRACE without a tracer is ENOSYS', async () => {
    const log = await conforming(['--seccomp-profile', profile('io-setup-log')]);
    expect(log.get('setup.ok')).toBeGreaterThan(0);
    const trace = await conforming(['--seccomp-profile', profile('io-setup-trace')]);
    expect(trace.get('seccomp.trace')).toBeGreaterThan(0);
    expect(trace.get('setup.ok')).toBe(0);
  });

  it('TRAP: SIGSYS delivered and the call returning its rolled-back register, as the model predicts', async () => {
    const hits = await conforming(['--seccomp-profile', profile('io-setup-trap')]);
    expect(hits.get('seccomp.trap')).toBeGreaterThan(0);
    expect(hits.get('setup.ok')).toBe(0);
  });

  it('KILL_PROCESS: pid 1 killed by SIGSYS at the io_setup the model names (runc exit 159 read as SIGSYS)', async () => {
    const r = await runAiospec(started, [
      'run',
      '--target',
      'oci',
      '--seccomp-profile',
      profile('io-setup-kill-process'),
      '--suite',
      'props',
      '--runs',
      '12',
      '--seed=7',
      '--reporter',
      'json',
    ]);
    await nothingLeftBehind(r);
    await nothingOfOciLeft();
    const s = JSON.parse(r.out) as JsonSummary;
    expect({ code: r.code, passed: s.passed, inconclusive: s.inconclusive }).toEqual({
      code: 0,
      passed: 12,
      inconclusive: 0,
    });
    expect(s.coverage.find((c) => c.id === 'seccomp.kill-process')?.hits).toBe(12);
  });

  it.each([
    ['bad JSON', '{"defaultAction": ', /not JSON/],
    [
      'an unknown action',
      '{"defaultAction":"SCMP_ACT_MAYBE"}',
      /defaultAction: "SCMP_ACT_MAYBE" is not a seccomp action/,
    ],
    [
      'an unknown syscall',
      '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["io_setupp"],"action":"SCMP_ACT_ERRNO"}]}',
      /"io_setupp" is not a syscall name/,
    ],
    [
      'a wrong architecture',
      '{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_VAX"]}',
      /"SCMP_ARCH_VAX" is not a libseccomp architecture/,
    ],
  ])(
    'a profile with %s is refused in one line, exit 2, before any container starts',
    async (_what, text, message) => {
      const file = join(dir, 'bad.json');
      writeFileSync(file, text);
      const r = await runAiospec(started, ['run', '--target', 'oci', '--seccomp-profile', file]);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err).toMatch(message);
      expect(r.err.trimEnd().split('\n')).toHaveLength(1);
      expect(r.descendants).toEqual([]);
    },
  );

  it('SIGKILL of the runner leaves no container, cgroup, mount or process behind', async () => {
    const mark = `AIOSPEC_TEST_OCI_KILL=${process.pid}-${Date.now()}`;
    const [k, v] = mark.split('=') as [string, string];
    const p = started.child(
      spawn(
        process.execPath,
        [BIN, 'run', '--target', 'oci', '--suite', 'props', '--runs', '5000000'],
        {
          stdio: 'ignore',
          env: { ...process.env, [k]: v },
        },
      ),
    );
    await waitFor(
      () => leftovers().some((l) => l.startsWith('aiospec-')),
      'a container runs',
      60_000,
    );
    // The worker inside carries the mark too (the container's environment takes AIOSPEC_*).
    await waitFor(() => processesCarrying(mark).length >= 3, 'runner, runc and the worker', 30_000);
    p.kill('SIGKILL');
    await nothingOfOciLeft();
    await waitFor(
      () => processesCarrying(mark).length === 0,
      'every process of the run gone',
      10_000,
    );
  });
});
