/** Telling the kernel's accounting and whether AIO is there at all, from what the probe saw. */
import { describe, expect, it } from 'vitest';
import { availability, seccompAction } from '../../conformance/doctor/availability.js';
import { profileFromDelta, profileFromRelease } from '../../conformance/doctor/profile-detect.js';
import { makeEnv } from '../../model/index.js';

describe('profile from the probe', () => {
  it.each([
    [2, 1n, 'linux'],
    [2, 16n, 'linux-3.12'],
    [4, 32n, 'linux-3.12'],
    [64, 512n, 'linux-3.12'],
    [2, 32n, null],
    [2, 0n, null],
    [2, 2n, null],
  ])('%i CPUs, io_setup(1) moving aio-nr by %s: %s', (cpus, delta, name) => {
    expect(profileFromDelta(makeEnv({ possibleCpus: cpus }), 1, delta)).toBe(name);
  });

  it.each([
    ['6.18.44-fc-v595', 'linux'],
    ['4.14.0', 'linux'],
    ['4.13.16-100.fc25.x86_64', 'linux-3.12'],
    ['3.12.1', 'linux-3.12'],
    ['3.10.0-1160.el7.x86_64', null],
    ['garbage', null],
  ])('release %s: %s', (release, name) => {
    expect(profileFromRelease(release)).toBe(name);
  });
});

describe('availability', () => {
  const ENOSYS = 38;
  const EPERM = 1;
  const EAGAIN = 11;
  it.each([
    [{ sysctls: true, gvisor: false, probeErrno: null, seccompMode: 0 }, 'available'],
    [{ sysctls: true, gvisor: false, probeErrno: EAGAIN, seccompMode: 2 }, 'available'],
    [{ sysctls: true, gvisor: false, probeErrno: undefined, seccompMode: 0 }, 'available'],
    [{ sysctls: false, gvisor: false, probeErrno: ENOSYS, seccompMode: 0 }, 'no-aio'],
    [{ sysctls: false, gvisor: false, probeErrno: ENOSYS, seccompMode: 2 }, 'no-aio'],
    [{ sysctls: true, gvisor: false, probeErrno: EPERM, seccompMode: 2 }, 'filtered'],
    [{ sysctls: true, gvisor: false, probeErrno: ENOSYS, seccompMode: 2 }, 'filtered'],
    [{ sysctls: true, gvisor: false, probeErrno: EPERM, seccompMode: 0 }, 'blocked'],
    [{ sysctls: false, gvisor: true, probeErrno: null, seccompMode: 2 }, 'gvisor'],
  ] as const)('%j: %s', (input, state) => {
    expect(availability(input).state).toBe(state);
  });

  it('gives the model the filter it saw', () => {
    const a = availability({ sysctls: true, gvisor: false, probeErrno: 1, seccompMode: 2 });
    expect(seccompAction(a)).toEqual({ action: 'errno', errno: 'EPERM' });
    expect(a.text).toContain('seccomp filter');
    const ok = availability({ sysctls: true, gvisor: false, probeErrno: null, seccompMode: 0 });
    expect(seccompAction(ok)).toEqual({ action: 'allow' });
  });
});
