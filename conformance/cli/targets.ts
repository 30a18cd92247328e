/**
 * Where `run` and `record` make their calls: the host kernel, gVisor's
 * application kernel (runsc), or a second Linux kernel under user-mode Linux.
 * Each target says how to start a worker there and which model profile it is
 * expected to conform to.
 */
import type { ProfileName, SeccompFilter } from '../../model/index.js';
import { RealUnavailable } from '../../real/arch.js';
import { ociSeccomp } from '../../real/oci/seccomp-spec.js';
import { SECCOMP_BPF_ENV, seccompProgramHex } from '../../real/seccomp-launch.js';
import { gvisorLaunch } from '../../real/targets/gvisor.js';
import { type OciRuntime, ociLaunch } from '../../real/targets/oci.js';
import { umlLaunch } from '../../real/targets/uml.js';
import { hostLaunch, type Launch } from '../../real/worker-process.js';
import { kernelBinary } from '../kernel/cache.js';
import { openFileLimit } from './fd-limit.js';
import { EnvironmentError, UsageError } from './usage-error.js';

/** How the run wants its workers: under a seccomp profile, in a user namespace, with which OCI runtime. */
export interface TargetOptions {
  /** The profile resolved for this machine (and, for oci, the container's capabilities). */
  readonly seccompFilter?: SeccompFilter;
  readonly rootless?: boolean;
  readonly runtime?: OciRuntime;
}

export interface Target {
  readonly name: string;
  /** How to start a worker there (throws RealUnavailable with the reason when it cannot). */
  readonly launch: (o: TargetOptions) => Launch;
  /** Whether --seccomp-profile can be honoured there. */
  readonly seccompProfile?: boolean;
  /** The profile a correct target of this kind conforms to. */
  readonly expects: ProfileName;
  readonly describe: string;
  /** The `ulimit -n` the target's own programs need, when more than aiospec's (see fd-limit.ts), and why. */
  readonly openFiles?: { readonly min: number; readonly why: string };
}

const TARGETS: readonly Target[] = [
  {
    name: 'host',
    // The worker installs the profile, compiled to BPF by aiospec.
    launch: (o) =>
      o.seccompFilter
        ? { ...hostLaunch(), env: { [SECCOMP_BPF_ENV]: seccompProgramHex(o.seccompFilter) } }
        : hostLaunch(),
    expects: 'linux',
    describe: "this machine's kernel",
    seccompProfile: true,
  },
  {
    name: 'gvisor',
    launch: gvisorLaunch,
    expects: 'gvisor',
    describe: "gVisor's application kernel (runsc do; apt-get install runsc)",
    // Measured: runsc 0.0~20221219 cannot start a sandbox below 259; the rest is margin.
    openFiles: { min: 512, why: 'runsc needs about 260 of its own' },
  },
  {
    name: 'uml',
    launch: () => umlLaunch(),
    expects: 'linux',
    describe:
      "a Linux kernel under user-mode Linux: Debian's linux.uml (apt-get install user-mode-linux), or --kernel NAME|PATH",
  },
  {
    name: 'oci',
    // The runtime compiles the profile (linux.seccomp) with libseccomp: that is what is tested.
    launch: (o) =>
      ociLaunch({
        ...(o.seccompFilter ? { seccomp: ociSeccomp(o.seccompFilter) } : {}),
        ...(o.rootless ? { rootless: true } : {}),
        ...(o.runtime ? { runtime: o.runtime } : {}),
      }),
    seccompProfile: true,
    expects: 'linux',
    describe:
      'an OCI container started by runc (apt-get install runc), with --seccomp-profile if given',
  },
];

export const TARGET_NAMES = TARGETS.map((t) => t.name);

/** Why the open-file limit is too low for this target, or null (checked before its first worker starts). */
export function targetFdShortage(target: Target, limit = openFileLimit()): string | null {
  if (!target.openFiles || limit === null || limit >= target.openFiles.min) return null;
  return `too many open files: ulimit -n is ${limit}; --target ${target.name} needs at least ${target.openFiles.min} (${target.openFiles.why})`;
}

/** The target `--target NAME` says, booting `--kernel` (a cache name or a path) where it is given (uml only). */
export function resolveTarget(name: string | undefined, kernel?: string): Target {
  const n = name ?? 'host';
  const found = TARGETS.find((t) => t.name === n);
  if (!found) throw new UsageError(`--target: "${n}" is not one of ${TARGET_NAMES.join(', ')}`);
  const target = kernel === undefined ? found : withKernel(found, kernel);
  const short = targetFdShortage(target);
  if (short !== null) throw new EnvironmentError(short);
  return target;
}

function withKernel(target: Target, kernel: string): Target {
  if (target.name !== 'uml')
    throw new UsageError(
      `--kernel: only for --target uml (the ${target.name} target runs its own kernel)`,
    );
  const binary = kernelBinary(kernel);
  if ('problem' in binary) throw new UsageError(`--kernel: ${binary.problem}`);
  return { ...target, launch: () => umlLaunch({ kernel: binary.path }) };
}

/** The target's launch, or the reason it cannot start here as a RealUnavailable. */
export function launchOf(target: Target, o: TargetOptions = {}): Launch {
  try {
    return target.launch(o);
  } catch (e) {
    if (e instanceof RealUnavailable) throw e;
    throw new RealUnavailable(`${target.name}: ${(e as Error).message}`);
  }
}
