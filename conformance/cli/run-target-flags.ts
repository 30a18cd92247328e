/**
 * The flags of `run` and `record` that say how the workers run: `--seccomp-profile FILE`
 * (host: the worker installs aiospec's compilation of it; oci: the runtime compiles it),
 * `--rootless` and `--oci-runtime NAME` (oci only). Each refusal is one line, exit 2.
 */
import { release } from 'node:os';
import type { SeccompProfile } from '../../model/index.js';
import { capabilityNames } from '../../model/index.js';
import { capEff } from '../../real/host.js';
import { CONTAINER_CAPS } from '../../real/oci/bundle.js';
import { OCI_RUNTIMES, type OciRuntime } from '../../real/targets/oci.js';
import { boolFlag, type Options, type Parsed, stringFlag } from './args.js';
import { nativeScmpArch, readSeccompProfile, resolveForModel } from './seccomp-profile-flag.js';
import type { Target, TargetOptions } from './targets.js';
import { UsageError } from './usage-error.js';

export const TARGET_FLAGS: Options = {
  'seccomp-profile': { type: 'string' },
  rootless: { type: 'boolean' },
  'oci-runtime': { type: 'string' },
};

export const TARGET_FLAGS_HELP = `  --seccomp-profile FILE
                     every worker runs under this seccomp profile (Docker/Podman
                     JSON or OCI linux.seccomp); the model predicts its effects
                     (--target host and oci)
  --rootless         --target oci: the container gets a user namespace
  --oci-runtime NAME --target oci: ${OCI_RUNTIMES.join(' | ')} (default runc)`;

export interface TargetFlags {
  readonly options: TargetOptions;
  readonly seccompProfile?: SeccompProfile;
}

/** The capabilities the calls run with: the container's, or this process's own (the host worker's are the same). */
function capsFor(target: Target): Set<string> {
  if (target.name === 'oci') return new Set(CONTAINER_CAPS);
  const own = capEff();
  return new Set(own === null ? [] : capabilityNames(own));
}

export function targetFlags(parsed: Parsed, target: Target): TargetFlags {
  const file = stringFlag(parsed, 'seccomp-profile');
  const rootless = boolFlag(parsed, 'rootless');
  const runtime = stringFlag(parsed, 'oci-runtime');
  if ((rootless || runtime !== undefined) && target.name !== 'oci')
    throw new UsageError(`--${rootless ? 'rootless' : 'oci-runtime'}: only for --target oci`);
  if (runtime !== undefined && !OCI_RUNTIMES.includes(runtime as OciRuntime))
    throw new UsageError(`--oci-runtime: "${runtime}" is not one of ${OCI_RUNTIMES.join(', ')}`);
  const base: TargetOptions = {
    ...(rootless ? { rootless } : {}),
    ...(runtime !== undefined ? { runtime: runtime as OciRuntime } : {}),
  };
  if (file === undefined) return { options: base };
  return profileFlags(file, target, base);
}

/** A seccomp profile file for this target: read, checked and resolved as the kernel will run it there. */
export function profileFlags(file: string, target: Target, base: TargetOptions = {}): TargetFlags {
  if (!target.seccompProfile)
    throw new UsageError(`--seccomp-profile: not for --target ${target.name} (host or oci)`);
  const profile = readSeccompProfile(file);
  const arch = nativeScmpArch();
  if (arch === null)
    throw new UsageError(
      `--seccomp-profile: no syscall table for ${process.arch} (x64 and arm64 have one)`,
    );
  const filter = resolveForModel(profile, { arch, caps: capsFor(target), kernel: release() });
  return { options: { ...base, seccompFilter: filter }, seccompProfile: profile };
}
