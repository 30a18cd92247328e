/**
 * `--seccomp-profile FILE`: a Docker/Podman or OCI seccomp profile, read,
 * checked and resolved for the machine the calls are decided for. Anything
 * wrong with it is one line naming the file and the field, exit 2.
 */
import { readFileSync } from 'node:fs';
import {
  aioFilterProblem,
  ProfileError,
  parseSeccompProfile,
  type ResolveContext,
  resolveSeccompProfile,
  type SeccompFilter,
  type SeccompProfile,
  SYSCALLS_AARCH64,
  SYSCALLS_X86_64,
} from '../../model/index.js';
import { UsageError } from './usage-error.js';

/** libseccomp's name for Node's process.arch, where the model has a syscall table. */
export function nativeScmpArch(arch: string = process.arch): string | null {
  return arch === 'x64' ? 'SCMP_ARCH_X86_64' : arch === 'arm64' ? 'SCMP_ARCH_AARCH64' : null;
}

export const SYSCALL_TABLES: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  SCMP_ARCH_X86_64: SYSCALLS_X86_64,
  SCMP_ARCH_AARCH64: SYSCALLS_AARCH64,
};

/** The profile in FILE, parsed (not yet resolved: that needs the target's arch, caps and kernel). */
export function readSeccompProfile(file: string): SeccompProfile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`--seccomp-profile: cannot read ${file}${code ? ` (${code})` : ''}`);
  }
  try {
    return parseSeccompProfile(text, file);
  } catch (e) {
    if (e instanceof ProfileError)
      throw new UsageError(`--seccomp-profile: ${file}: ${e.message.replace(/\s+/g, ' ')}`);
    throw e;
  }
}

/** The profile as the kernel will run it there, refused if the model cannot follow it on AIO calls. */
export function resolveForModel(p: SeccompProfile, ctx: ResolveContext): SeccompFilter {
  let f: SeccompFilter;
  try {
    f = resolveSeccompProfile(p, ctx);
  } catch (e) {
    if (e instanceof ProfileError)
      throw new UsageError(`--seccomp-profile: ${p.source}: ${e.message}`);
    throw e;
  }
  const problem = aioFilterProblem(f);
  if (problem !== null) throw new UsageError(`--seccomp-profile: ${p.source}: ${problem}`);
  return f;
}
