/** The generated OCI bundle and the profile handed to runc, as data (no runtime needed). */
import { describe, expect, it } from 'vitest';
import { parseSeccompProfile, resolveSeccompProfile } from '../../model/index.js';
import { bundleConfig } from '../../real/oci/bundle.js';
import { ociSeccomp } from '../../real/oci/seccomp-spec.js';

const resolve = (json: object) =>
  resolveSeccompProfile(parseSeccompProfile(JSON.stringify(json), 'p.json'), {
    arch: 'SCMP_ARCH_X86_64',
    caps: new Set(),
    kernel: '6.1.0',
  });

describe('the profile as linux.seccomp', () => {
  it('an ERRNO without errnoRet carries EPERM, and a repeated argument index becomes one rule per argument', () => {
    const spec = ociSeccomp(
      resolve({
        defaultAction: 'SCMP_ACT_ERRNO',
        syscalls: [
          {
            names: ['io_setup'],
            action: 'SCMP_ACT_ERRNO',
            args: [
              { index: 0, value: 1, op: 'SCMP_CMP_LT' },
              { index: 0, value: 128, op: 'SCMP_CMP_GT' },
            ],
          },
          { names: ['io_destroy'], action: 'SCMP_ACT_ALLOW' },
        ],
      }),
    );
    expect(spec).toEqual({
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 1,
      architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [
        {
          names: ['io_setup'],
          action: 'SCMP_ACT_ERRNO',
          errnoRet: 1,
          args: [{ index: 0, value: 1, valueTwo: 0, op: 'SCMP_CMP_LT' }],
        },
        {
          names: ['io_setup'],
          action: 'SCMP_ACT_ERRNO',
          errnoRet: 1,
          args: [{ index: 0, value: 128, valueTwo: 0, op: 'SCMP_CMP_GT' }],
        },
        { names: ['io_destroy'], action: 'SCMP_ACT_ALLOW' },
      ],
    });
  });

  it('a Docker rule for another architecture or a missing capability is left out, as moby leaves it', () => {
    const spec = ociSeccomp(
      resolve({
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [
          { names: ['io_setup'], action: 'SCMP_ACT_KILL', includes: { arches: ['arm64'] } },
          { names: ['io_setup'], action: 'SCMP_ACT_TRAP', includes: { caps: ['CAP_SYS_ADMIN'] } },
          { names: ['io_setup'], action: 'SCMP_ACT_LOG' },
        ],
      }),
    );
    expect(spec.syscalls).toEqual([{ names: ['io_setup'], action: 'SCMP_ACT_LOG' }]);
  });
});

describe('config.json', () => {
  type Config = {
    linux: {
      namespaces: { type: string }[];
      readonlyPaths: string[];
      uidMappings?: unknown;
      seccomp?: unknown;
      resources?: unknown;
    };
    root: { readonly: boolean };
    process: { env: string[]; terminal: boolean };
  };
  it('read-only root, fresh pid/mount/ipc/uts namespaces, /proc/sys read-only, no resources', () => {
    const c = bundleConfig({ argv: ['/bin/true'], env: { A: 'b' } }) as Config;
    expect(c.root.readonly).toBe(true);
    expect(c.process.terminal).toBe(false);
    expect(c.process.env).toEqual(['A=b']);
    expect(c.linux.namespaces.map((n) => n.type)).toEqual(
      expect.arrayContaining(['pid', 'mount', 'ipc', 'uts']),
    );
    expect(c.linux.namespaces.map((n) => n.type)).not.toContain('user');
    expect(c.linux.readonlyPaths).toContain('/proc/sys');
    expect(c.linux.resources).toBeUndefined();
    expect(c.linux.seccomp).toBeUndefined();
  });

  it('--rootless adds a user namespace mapping container root to an unprivileged host id', () => {
    const c = bundleConfig({ argv: ['/bin/true'], env: {}, rootless: true }) as Config;
    expect(c.linux.namespaces.map((n) => n.type)).toContain('user');
    expect(c.linux.uidMappings).toEqual([{ containerID: 0, hostID: 100_000, size: 65_536 }]);
  });
});
