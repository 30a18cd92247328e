/**
 * Which kernel profile this host follows, told by the numbers: io_setup(1)
 * moves aio-nr by what the profile charges for it (1 since v4.14; ne =
 * 2*max(1, 4C) before), and the kernel release says which to expect when the
 * probe cannot run or cannot tell.
 */
import { type Environment, PROFILE_NAMES, type ProfileName, profile } from '../../model/index.js';
import { decideFresh } from './accepted.js';
import { unrestricted } from './ring-bounds.js';

/** The profile whose charge for io_setup(nr) is `delta`, if exactly one has it. */
export function profileFromDelta(env: Environment, nr: number, delta: bigint): ProfileName | null {
  const matching = PROFILE_NAMES.filter(
    (name) =>
      profile(name).accounting !== null &&
      decideFresh(unrestricted({ ...env, profile: name }), nr).facts.charge === delta,
  );
  return matching.length === 1 ? matching[0]! : null;
}

/** Kernel versions where the accounting changed, newest first (v3.10/v3.11 are not modelled). */
const SINCE: readonly {
  readonly version: readonly [number, number];
  readonly profile: ProfileName;
}[] = [
  { version: [4, 14], profile: 'linux' },
  { version: [3, 12], profile: 'linux-3.12' },
];

/** The profile a kernel release should follow (null: older than any modelled one, or not a version). */
export function profileFromRelease(release: string): ProfileName | null {
  const m = /^(\d+)\.(\d+)/.exec(release);
  if (!m) return null;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  const hit = SINCE.find(({ version: [a, b] }) => major > a || (major === a && minor >= b));
  return hit?.profile ?? null;
}
