/** Where `run` makes its calls: the host kernel, or a sandbox/kernel started for the run. */
import { hostLaunch, type Launch } from '../../real/worker-process.js';
import { UsageError } from './usage-error.js';

export interface Target {
  readonly name: string;
  /** How to start a worker there (throws RealUnavailable with the reason when it cannot). */
  readonly launch: () => Launch;
}

const TARGETS: Readonly<Record<string, () => Launch>> = {
  host: hostLaunch,
};

export const TARGET_NAMES = Object.keys(TARGETS);

export function resolveTarget(name: string | undefined): Target {
  const n = name ?? 'host';
  const launch = TARGETS[n];
  if (!launch) throw new UsageError(`--target: "${n}" is not one of ${TARGET_NAMES.join(', ')}`);
  return { name: n, launch };
}
