/** The model environment that matches a real kernel, from what the worker detected there. */
import {
  capabilityNames,
  DEFAULT_ENV,
  type Environment,
  PAGE_SIZES,
  type PageSize,
  type ProfileName,
  resolveSeccompProfile,
  type SeccompAction,
  type SeccompFilter,
  type SeccompProfile,
} from '../../model/index.js';
import { featuresOf, type ReportedHost } from './coverage.js';

/** libseccomp's name for a `uname -m`. */
const SCMP_ARCH_OF: Readonly<Record<string, string>> = {
  x86_64: 'SCMP_ARCH_X86_64',
  aarch64: 'SCMP_ARCH_AARCH64',
};

/**
 * The profile as the kernel runs it for this worker: its architecture, its kernel and its
 * effective capabilities (includes/excludes.caps), all as the worker detected them.
 */
export function workerFilter(host: ReportedHost, p: SeccompProfile): SeccompFilter {
  const arch = SCMP_ARCH_OF[host.machine];
  if (arch === undefined) throw new Error(`no syscall table for machine ${host.machine}`);
  return resolveSeccompProfile(p, {
    arch,
    kernel: host.release,
    caps: new Set(host.capEff === undefined ? [] : capabilityNames(host.capEff)),
  });
}

export function hostEnvironment(
  host: ReportedHost,
  profile: ProfileName,
  seccomp: SeccompAction = { action: 'allow' },
  seccompProfile?: SeccompProfile,
): Environment {
  const pageSize = PAGE_SIZES.find((s) => s === host.pageSize);
  if (pageSize === undefined)
    throw new Error(
      `page size ${host.pageSize} is not one the model knows (${PAGE_SIZES.join(', ')})`,
    );
  return {
    ...DEFAULT_ENV,
    profile,
    // Where the kernel keeps no accounting (gVisor), the model's limit is irrelevant; keep the default.
    aioMaxNr: host.aioMaxNr === null ? DEFAULT_ENV.aioMaxNr : BigInt(host.aioMaxNr),
    aioNr: host.aioNr === null ? 0n : BigInt(host.aioNr),
    possibleCpus: host.possibleCpus,
    pageSize: pageSize as PageSize,
    // A kernel built without AIO answers ENOSYS itself (kernel.no-aio), as the worker found.
    aioCompiled: featuresOf(host).aio,
    seccomp,
    ...(seccompProfile ? { seccompFilters: [workerFilter(host, seccompProfile)] } : {}),
  };
}
