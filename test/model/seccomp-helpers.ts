import {
  parseSeccompProfile,
  resolveSeccompProfile,
  type SeccompFilter,
} from '../../model/index.js';

/** A profile's JSON resolved for x86_64, as a process with every capability would run it. */
export function filterOf(profile: unknown, source = 'test.json'): SeccompFilter {
  return resolveSeccompProfile(parseSeccompProfile(JSON.stringify(profile), source), {
    arch: 'SCMP_ARCH_X86_64',
    caps: new Set(['CAP_SYS_ADMIN']),
    kernel: '6.18.0',
  });
}

/** A profile allowing everything but io_setup and io_destroy, which get these actions. */
export function aioProfile(
  setup: Record<string, unknown> | null,
  destroy: Record<string, unknown> | null = null,
): SeccompFilter {
  const syscalls = [
    ...(setup ? [{ names: ['io_setup'], ...setup }] : []),
    ...(destroy ? [{ names: ['io_destroy'], ...destroy }] : []),
  ];
  return filterOf({ defaultAction: 'SCMP_ACT_ALLOW', syscalls });
}
