/**
 * `--seccomp-profile` on the host target: the profile, resolved for this machine, compiled
 * to BPF here and handed to the main worker in its environment (AIOSPEC_SECCOMP_BPF, the
 * program's bytes in hex), which installs exactly that before it says it is ready. Its
 * child workers inherit the filter (the kernel keeps it across fork and exec), so they are
 * never given it again.
 */
import type { SeccompFilter } from '../model/abi/seccomp.js';
import { SYSCALLS_AARCH64, SYSCALLS_X86_64 } from '../model/abi/syscall-table.js';
import { currentArch } from './arch.js';
import { encodeProgram } from './seccomp-bpf.js';
import { compileFilter } from './seccomp-compile.js';

const TABLES: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  x86_64: SYSCALLS_X86_64,
  aarch64: SYSCALLS_AARCH64,
};

/** The environment variable carrying the program. */
export const SECCOMP_BPF_ENV = 'AIOSPEC_SECCOMP_BPF';

/** The filter as the worker's AIOSPEC_SECCOMP_BPF value (RealUnavailable off Linux x86_64/arm64). */
export function seccompProgramHex(f: SeccompFilter): string {
  const arch = currentArch();
  const table = TABLES[arch.machine];
  if (!table) throw new Error(`no syscall table for ${arch.machine}`);
  const program = compileFilter(f, arch.auditArch, table, arch.machine === 'x86_64');
  return Buffer.from(encodeProgram(program)).toString('hex');
}
