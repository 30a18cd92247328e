/**
 * The doctor's seccomp pieces that need no kernel: what a probe child's exit
 * says, whether an observation is what a profile predicts (the project's
 * fixtures, resolved as the doctor resolves them), and /proc/sys read-only
 * from mountinfo text.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifyProbe, seccompStatus } from '../../conformance/doctor/filter-probe.js';
import {
  blocks,
  observationMatches,
  profileVerdicts,
  verdictForProbe,
} from '../../conformance/doctor/seccomp-check.js';
import { procSysReadOnly } from '../../conformance/doctor/where.js';
import {
  DEFAULT_ENV,
  type Environment,
  parseSeccompProfile,
  resolveSeccompProfile,
} from '../../model/index.js';

const DIR = resolve(import.meta.dirname, '../../fixtures/seccomp');

function under(name: string): Environment {
  const file = join(DIR, `${name}.json`);
  const f = resolveSeccompProfile(parseSeccompProfile(readFileSync(file, 'utf8'), file), {
    arch: 'SCMP_ARCH_X86_64',
    caps: new Set<string>(),
    kernel: '6.18',
  });
  return { ...DEFAULT_ENV, seccompFilters: [f] };
}

const ok = (ret: number, errno: number, sigsys = false) => ({
  stdout: `${JSON.stringify({ ret, errno, sigsys })}\n`,
  stderr: '',
  code: 0,
  signal: null,
});

describe('a probe child, read', () => {
  it('EINVAL is the kernel (allowed); another errno a filter; SIGSYS with a return a trap; death by SIGSYS a kill', () => {
    expect(classifyProbe('io_setup', 1, ok(-1, 22)).kind).toBe('kernel');
    expect(classifyProbe('io_setup', 1, ok(-1, 1))).toMatchObject({
      kind: 'errno',
      errno: 'EPERM',
    });
    expect(classifyProbe('io_setup', 1, ok(206, 0, true))).toMatchObject({
      kind: 'trap',
      ret: 206,
    });
    expect(
      classifyProbe('io_destroy', 1, { stdout: '', stderr: '', code: null, signal: 'SIGSYS' }),
    ).toMatchObject({ kind: 'killed', shown: 'io_destroy(0)' });
    const broken = classifyProbe('io_setup', 5, {
      stdout: '',
      stderr: 'boom\n',
      code: 3,
      signal: null,
    });
    expect(broken).toMatchObject({ kind: 'unknown', shown: 'io_setup(5, &ctx)' });
    expect(broken.note).toContain('boom');
    // io_setup(N, &nonzero) never succeeds on Linux: a 0 is nothing a kernel or a filter says.
    expect(classifyProbe('io_setup', 1, ok(0, 0)).kind).toBe('unknown');
  });

  it('reads Seccomp and Seccomp_filters from status text', () => {
    expect(seccompStatus('Name:\tx\nSeccomp:\t2\nSeccomp_filters:\t3\n')).toEqual({
      mode: 2,
      filters: 3,
    });
    expect(seccompStatus('Seccomp:\t0\n')).toEqual({ mode: 0, filters: null });
    expect(seccompStatus(null)).toEqual({ mode: null, filters: null });
  });
});

describe('observations against a profile', () => {
  const setup = (kind: string, errno: string | null) =>
    ({ call: 'io_setup', shown: '', kind, errno, ret: null, note: null }) as const;
  const destroy = (kind: string, errno: string | null) =>
    ({ call: 'io_destroy', shown: '', kind, errno, ret: null, note: null }) as const;

  it('io-setup-eperm: io_setup EPERM by syscalls[0], io_destroy allowed by the default', () => {
    const env = under('io-setup-eperm');
    const v = verdictForProbe(env, setup('errno', 'EPERM') as never, 1);
    expect(v.rule).toContain('syscalls[0]');
    expect(observationMatches(setup('errno', 'EPERM') as never, v)).toBe(true);
    expect(observationMatches(setup('errno', 'ENOSYS') as never, v)).toBe(false);
    expect(observationMatches(setup('kernel', 'EINVAL') as never, v)).toBe(false);
    const d = verdictForProbe(env, destroy('kernel', 'EINVAL') as never, 1);
    expect(d.rule).toContain('defaultAction');
    expect(observationMatches(destroy('kernel', 'EINVAL') as never, d)).toBe(true);
  });

  it('io-setup-max128: the rule depends on nr_events', () => {
    const env = under('io-setup-max128');
    const [small] = profileVerdicts(env, 128);
    const [big] = profileVerdicts(env, 129);
    expect(blocks(small!.verdict)).toBe(false);
    expect(blocks(big!.verdict)).toBe(true);
    expect(big!.verdict.rule).toContain('syscalls[0]');
  });

  it('kill-process and trap: a death and a SIGSYS are what they predict', () => {
    const kill = verdictForProbe(under('io-setup-kill-process'), setup('killed', null) as never, 1);
    expect(observationMatches(setup('killed', null) as never, kill)).toBe(true);
    expect(observationMatches(setup('trap', null) as never, kill)).toBe(false);
    const trap = verdictForProbe(under('io-setup-trap'), setup('trap', null) as never, 1);
    expect(observationMatches(setup('trap', null) as never, trap)).toBe(true);
  });

  it('io-destroy-eperm blocks io_destroy, not io_setup', () => {
    const [s, d] = profileVerdicts(under('io-destroy-eperm'), 1);
    expect([blocks(s!.verdict), blocks(d!.verdict)]).toEqual([false, true]);
  });
});

describe('/proc/sys read-only, from mountinfo', () => {
  const line = (point: string, opts: string) => `30 25 0:5 / ${point} ${opts} - proc proc rw`;
  it('a read-only /proc/sys bind (runc readonlyPaths) says so; the host has none', () => {
    expect(
      procSysReadOnly([line('/proc', 'rw,nosuid'), line('/proc/sys', 'ro,nosuid')].join('\n')),
    ).toBe(true);
    expect(procSysReadOnly(line('/proc', 'rw,nosuid'))).toBe(false);
    expect(procSysReadOnly(line('/proc/sys/fs/binfmt_misc', 'ro'))).toBe(false);
    expect(procSysReadOnly(null)).toBe(null);
  });
});
