/** `aiospec doctor`: how much of aio-max-nr is left, who holds it, and will a request fit. */
import { PROFILE_NAMES } from '../../model/index.js';
import { doctorJson } from '../doctor/render-json.js';
import { doctorText } from '../doctor/render-text.js';
import { type DoctorReport, gatherDoctor } from '../doctor/report.js';
import { boolFlag, parseFlags, stringFlag } from './args.js';
import { parseProfile } from './env-flags.js';
import { parseU32 } from './numbers.js';
import { nativeScmpArch, readSeccompProfile, resolveForModel } from './seccomp-profile-flag.js';
import { EnvironmentError } from './usage-error.js';

export const DOCTOR_HELP = `usage: aiospec doctor [--nr-events N] [--probe] [--profile NAME]
                     [--seccomp-profile FILE] [--json]

Why does io_setup fail with EAGAIN here? Reads aio-max-nr and aio-nr, finds
every process holding AIO contexts (their /[aio] ring mappings) and what they
hold, tells the kernel's accounting with one io_setup(1) in a worker process
(given back at once), and computes with the model the largest nr_events
io_setup accepts right now. Advice names the sysctl, the value and where to
set it. Says, for each of the six AIO calls, whether this process may make
it (each made once, harmlessly, in a child process): allowed, blocked by
seccomp (errno, trap), killed by seccomp, or ENOSYS (no AIO, gVisor), and
when io_getevents is allowed but io_pgetevents blocked with other than
ENOSYS, which defeats libaio's fallback. Runs without root (says what it
could not read).

  --nr-events N   will io_setup(N) fit now? ok, fails by itself (retrying never
                  helps), fails only because of what others hold, or EINVAL
  --probe         confirm the largest value in a worker: io_setup(largest)
                  must succeed and io_setup(largest + 1) fail. It briefly
                  takes every free event: another program starting at that
                  instant could get EAGAIN
  --profile NAME  ${PROFILE_NAMES.join(' | ')}: the kernel's accounting, instead of detecting it
  --seccomp-profile FILE
                  what this seccomp profile (Docker/Podman JSON or OCI
                  linux.seccomp) does to io_setup(N) and io_destroy, and the
                  rule that decides; --nr-events is answered under it. Under a
                  filter of its own, the doctor says what it does to the calls
                  (probed in child processes) and whether the profile says so
  --json          one JSON object instead of text

Exit status: 0 report made (and io_setup(N) fits now, with --nr-events),
1 io_setup(N) does not fit now (the report says whether it ever can: only
once others release, only with a larger aio-max-nr, or never), or --probe
found the kernel disagreeing with the model, 2 usage or environment error,
3 internal error. A profile that denies io_setup(N) is a no (1). So \`aiospec doctor --nr-events N && start-db\` gates a start.`;

export async function doctorCommand(
  argv: readonly string[],
): Promise<{ out: string; code: number }> {
  const parsed = parseFlags(argv, {
    'nr-events': { type: 'string' },
    probe: { type: 'boolean' },
    json: { type: 'boolean' },
    profile: { type: 'string' },
    'seccomp-profile': { type: 'string' },
  });
  const nr = stringFlag(parsed, 'nr-events');
  const profileText = stringFlag(parsed, 'profile');
  const seccompFile = stringFlag(parsed, 'seccomp-profile');
  // Resolved as explain does: this machine's arch, a process without capabilities.
  const seccompProfile =
    seccompFile === undefined
      ? undefined
      : resolveForModel(readSeccompProfile(seccompFile), {
          arch: nativeScmpArch() ?? 'SCMP_ARCH_X86_64',
          caps: new Set<string>(),
          kernel: '6.18',
        });
  const opts = {
    ...(nr === undefined ? {} : { nrEvents: parseU32('--nr-events', nr) }),
    ...(profileText === undefined ? {} : { profile: parseProfile(profileText) }),
    probe: boolFlag(parsed, 'probe'),
    ...(seccompProfile === undefined ? {} : { seccompProfile }),
  };
  if (process.platform !== 'linux')
    throw new EnvironmentError(`needs Linux (this is ${process.platform})`);
  const report = await gatherDoctor(opts);
  const out = boolFlag(parsed, 'json') ? JSON.stringify(doctorJson(report)) : doctorText(report);
  return { out, code: doctorExit(report) };
}

/**
 * 1 when the answer is no: the request does not fit now (under --seccomp-profile, or because
 * this process's own filter was seen to stop io_setup(N)), or the kernel disagrees with the model.
 */
export function doctorExit(
  report: Pick<DoctorReport, 'request' | 'confirmation'> & {
    readonly seccomp?: Pick<DoctorReport['seccomp'], 'observed'>;
  },
): number {
  if (report.request !== null && report.request.verdict !== 'ok') return 1;
  if (report.request !== null && ownFilterStopsSetup(report.seccomp?.observed)) return 1;
  return report.confirmation?.status === 'disagrees' ? 1 : 0;
}

/** This process's filter errs, traps or kills io_setup (as probed with the request's nr_events). */
function ownFilterStopsSetup(observed: DoctorReport['seccomp']['observed'] | undefined): boolean {
  return (observed ?? []).some(
    (c) => c.observed.call === 'io_setup' && ['errno', 'trap', 'killed'].includes(c.observed.kind),
  );
}
