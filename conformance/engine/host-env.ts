/** The model environment that matches a real kernel, from what the worker detected there. */
import {
  DEFAULT_ENV,
  type Environment,
  PAGE_SIZES,
  type PageSize,
  type ProfileName,
  type SeccompAction,
} from '../../model/index.js';
import { featuresOf, type ReportedHost } from './coverage.js';

export function hostEnvironment(
  host: ReportedHost,
  profile: ProfileName,
  seccomp: SeccompAction = { action: 'allow' },
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
  };
}
