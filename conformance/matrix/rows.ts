/**
 * The rows of `aiospec matrix`: every target this tool knows, each UML kernel
 * in the cache, and a placeholder for each kind of kernel the cache lacks (so
 * that the table says which command would add the row). Whether a row's
 * target can start here is found when it is run, by the target itself.
 */
import type { BuiltKernel } from '../kernel/cache.js';

export interface RowSpec {
  /** Unique in the matrix: names the row in every report (and prefixes its JUnit suites). */
  readonly label: string;
  readonly target: string;
  /** A kernel of the cache, booted under UML. */
  readonly kernel?: string;
  /** Why the row cannot run, when that is known before trying (a kernel not built). */
  readonly missing?: string;
  /** A --seccomp-profile file the row's workers run under (host and oci rows only). */
  readonly seccompProfile?: string;
}

/** The targets that install a seccomp profile for their workers. */
export const PROFILE_TARGETS = ['host', 'oci'] as const;

/** `io-setup-trap.json` → `io-setup-trap`: a profile's name in a row label. */
function profileName(file: string): string {
  return (file.split('/').pop() ?? file).replace(/\.json$/, '');
}

/** The kinds of kernel the matrix wants one of, and the command that builds each. */
const WANTED: readonly {
  readonly label: string;
  readonly has: (k: BuiltKernel) => boolean;
  readonly build: string;
}[] = [
  {
    label: 'uml:fault-injection',
    has: (k) => k.features.faultInjection && k.features.aio,
    build: 'aiospec kernel build --debian 6.12 --fault-injection',
  },
  {
    label: 'uml:no-aio',
    has: (k) => !k.features.aio,
    build: 'aiospec kernel build --debian 6.12 --no-aio',
  },
];

/**
 * Every row: each target as it is, then, for each --seccomp-profile, the host
 * and oci rows again under it (`host+io-setup-trap`): one matrix can then cover
 * the seccomp rules, each profile giving the calls one action.
 */
export function matrixRows(
  kernels: readonly BuiltKernel[],
  profiles: readonly string[] = [],
): RowSpec[] {
  const built = kernels.map(
    (k): RowSpec => ({ label: `uml:${k.name}`, target: 'uml', kernel: k.name }),
  );
  const lacking = WANTED.filter((w) => !kernels.some(w.has)).map(
    (w): RowSpec => ({
      label: w.label,
      target: 'uml',
      missing: `no such kernel built: ${w.build} builds one`,
    }),
  );
  return [
    { label: 'host', target: 'host' },
    { label: 'oci', target: 'oci' },
    // Debian's linux.uml (user-mode-linux package): the distribution's own kernel.
    { label: 'uml', target: 'uml' },
    ...built,
    ...lacking,
    { label: 'gvisor', target: 'gvisor' },
    ...profiles.flatMap((file) =>
      PROFILE_TARGETS.map(
        (target): RowSpec => ({
          label: `${target}+${profileName(file)}`,
          target,
          seccompProfile: file,
        }),
      ),
    ),
  ];
}
