/**
 * Where `run` and `record` make their calls: the host kernel, gVisor's
 * application kernel (runsc), or a second Linux kernel under user-mode Linux.
 * Each target says how to start a worker there and which model profile it is
 * expected to conform to.
 */
import type { ProfileName } from '../../model/index.js';
import { RealUnavailable } from '../../real/arch.js';
import { gvisorLaunch } from '../../real/targets/gvisor.js';
import { umlLaunch } from '../../real/targets/uml.js';
import { hostLaunch, type Launch } from '../../real/worker-process.js';
import { UsageError } from './usage-error.js';

export interface Target {
  readonly name: string;
  /** How to start a worker there (throws RealUnavailable with the reason when it cannot). */
  readonly launch: () => Launch;
  /** The profile a correct target of this kind conforms to. */
  readonly expects: ProfileName;
  readonly describe: string;
}

const TARGETS: readonly Target[] = [
  { name: 'host', launch: hostLaunch, expects: 'linux', describe: "this machine's kernel" },
  {
    name: 'gvisor',
    launch: gvisorLaunch,
    expects: 'gvisor',
    describe: "gVisor's application kernel (runsc do; apt-get install runsc)",
  },
  {
    name: 'uml',
    launch: () => umlLaunch(),
    expects: 'linux',
    describe: 'Linux 6.1 under user-mode Linux (apt-get install user-mode-linux)',
  },
];

export const TARGET_NAMES = TARGETS.map((t) => t.name);

export function resolveTarget(name: string | undefined): Target {
  const n = name ?? 'host';
  const target = TARGETS.find((t) => t.name === n);
  if (!target) throw new UsageError(`--target: "${n}" is not one of ${TARGET_NAMES.join(', ')}`);
  return target;
}

/** The target's launch, or the reason it cannot start here as a RealUnavailable. */
export function launchOf(target: Target): Launch {
  try {
    return target.launch();
  } catch (e) {
    if (e instanceof RealUnavailable) throw e;
    throw new RealUnavailable(`${target.name}: ${(e as Error).message}`);
  }
}
