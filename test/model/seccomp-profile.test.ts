import { describe, expect, it } from 'vitest';
import {
  aioFilterProblem,
  makeEnv,
  ProfileError,
  parseSeccompProfile,
  resolveSeccompProfile,
  seccompVerdict,
} from '../../model/index.js';
import { aioProfile, filterOf } from './seccomp-helpers.js';

const parse = (json: unknown) => parseSeccompProfile(JSON.stringify(json), 'p.json');

describe('seccomp profiles: parsing refuses what runtimes would not run, naming the field', () => {
  it.each([
    ['{', /^not JSON/],
    ['[]', /not a seccomp profile/],
    ['{"syscalls": []}', /^defaultAction: missing/],
    ['{"defaultAction": "SCMP_ACT_FOO"}', /^defaultAction: "SCMP_ACT_FOO" is not a seccomp action/],
    [
      '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["io_setupp"], "action": "SCMP_ACT_ERRNO"}]}',
      /^syscalls\[0\]\.names: "io_setupp" is not a syscall name/,
    ],
    [
      '{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_PDP11"]}',
      /^architectures: "SCMP_ARCH_PDP11" is not a libseccomp architecture/,
    ],
    [
      '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["io_setup"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]}',
      /^syscalls\[0\]\.args\[0\]\.index: 6 is not an argument index/,
    ],
    [
      '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["io_setup"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_LIKE"}]}]}',
      /^syscalls\[0\]\.args\[0\]\.op: "SCMP_CMP_LIKE" is not one of/,
    ],
    [
      '{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 70000}',
      /^defaultErrnoRet: 70000 is not an errno/,
    ],
  ])('%s', (text, message) => {
    expect(() => parseSeccompProfile(text, 'p.json')).toThrow(ProfileError);
    expect(() => parseSeccompProfile(text, 'p.json')).toThrow(message);
  });

  it('reads the OCI linux.seccomp object inside a whole config.json', () => {
    const p = parse({
      ociVersion: '1.0.2',
      linux: {
        seccomp: {
          defaultAction: 'SCMP_ACT_ALLOW',
          syscalls: [{ names: ['io_setup'], action: 'SCMP_ACT_KILL_PROCESS' }],
        },
      },
    });
    expect(p.format).toBe('oci');
    expect(p.rules[0]!.action.kind).toBe('kill-process');
  });
});

describe('resolving a Docker profile for this machine', () => {
  const docker = {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 1,
    archMap: [
      { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
    ],
    syscalls: [
      { names: ['io_setup'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } },
      {
        names: ['io_setup'],
        action: 'SCMP_ACT_ERRNO',
        errnoRet: 38,
        includes: { arches: ['arm64'] },
      },
      { names: ['io_destroy'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '7.0' } },
    ],
  };
  const resolve = (caps: string[], kernel = '6.18.44') =>
    resolveSeccompProfile(parse(docker), { arch: 'SCMP_ARCH_X86_64', caps: new Set(caps), kernel });

  it('keeps a rule whose includes.caps the process has, drops one for another arch', () => {
    const env = makeEnv({ seccompFilters: [resolve(['CAP_SYS_ADMIN'])] });
    expect(seccompVerdict(env, 'io_setup', [1n, 0n]).action).toBe('allow');
    const without = makeEnv({ seccompFilters: [resolve([])] });
    const v = seccompVerdict(without, 'io_setup', [1n, 0n]);
    expect([v.action, v.errno]).toEqual(['errno', 1]);
    expect(v.rule).toBe('p.json defaultAction (SCMP_ACT_ERRNO errnoRet 1)');
  });

  it('applies minKernel against the kernel release', () => {
    expect(
      seccompVerdict(makeEnv({ seccompFilters: [resolve([], '6.18.44')] }), 'io_destroy', [0n])
        .action,
    ).toBe('errno');
    expect(
      seccompVerdict(makeEnv({ seccompFilters: [resolve([], '7.1.0')] }), 'io_destroy', [0n])
        .action,
    ).toBe('allow');
  });
});

describe('the verdict names the rule and follows the kernel', () => {
  it('names the rule that denies nr_events 129', () => {
    const f = filterOf(
      {
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [
          {
            names: ['io_setup'],
            action: 'SCMP_ACT_ERRNO',
            errnoRet: 1,
            args: [{ index: 0, value: 128, op: 'SCMP_CMP_GT' }],
          },
        ],
      },
      'max128.json',
    );
    const env = makeEnv({ seccompFilters: [f] });
    expect(seccompVerdict(env, 'io_setup', [129n, 0n]).rule).toBe(
      'max128.json syscalls[0] (io_setup: SCMP_ACT_ERRNO errnoRet 1 if args match)',
    );
    expect(seccompVerdict(env, 'io_setup', [128n, 0n]).action).toBe('allow');
  });

  it('caps an errno at MAX_ERRNO (4095) as __seccomp_filter() does', () => {
    const env = makeEnv({
      seccompFilters: [aioProfile({ action: 'SCMP_ACT_ERRNO', errnoRet: 5000 })],
    });
    expect(seccompVerdict(env, 'io_setup', [1n, 0n]).errno).toBe(4095);
  });

  it('repeated indexes become alternatives (runc), distinct ones must all hold', () => {
    const either = aioProfile({
      action: 'SCMP_ACT_ERRNO',
      args: [
        { index: 0, value: 1, op: 'SCMP_CMP_EQ' },
        { index: 0, value: 2, op: 'SCMP_CMP_EQ' },
      ],
    });
    const env = makeEnv({ seccompFilters: [either] });
    expect(seccompVerdict(env, 'io_setup', [2n, 0n]).action).toBe('errno');
    const both = aioProfile({
      action: 'SCMP_ACT_ERRNO',
      args: [
        { index: 0, value: 1, op: 'SCMP_CMP_EQ' },
        { index: 1, value: 0, op: 'SCMP_CMP_EQ' },
      ],
    });
    expect(seccompVerdict(makeEnv({ seccompFilters: [both] }), 'io_setup', [1n, 8n]).action).toBe(
      'allow',
    );
  });

  it("among equal actions of stacked filters, the newest one's data wins", () => {
    const older = aioProfile({ action: 'SCMP_ACT_ERRNO', errnoRet: 38 });
    const newer = aioProfile({ action: 'SCMP_ACT_ERRNO', errnoRet: 1 });
    expect(
      seccompVerdict(makeEnv({ seccompFilters: [older, newer] }), 'io_setup', [1n, 0n]).errno,
    ).toBe(1);
  });

  it('refuses what the model cannot follow on AIO calls', () => {
    expect(
      aioFilterProblem(
        aioProfile({ action: 'SCMP_ACT_ERRNO', args: [{ index: 2, value: 0, op: 'SCMP_CMP_EQ' }] }),
      ),
    ).toMatch(/io_setup has 2 argument/);
    expect(aioFilterProblem(aioProfile({ action: 'SCMP_ACT_ERRNO', errnoRet: 0 }))).toMatch(
      /errnoRet 0/,
    );
    expect(aioFilterProblem(aioProfile({ action: 'SCMP_ACT_ERRNO', errnoRet: 1 }))).toBeNull();
  });
});
