/**
 * One row of the matrix: the suites on one target, exactly as `aiospec run
 * --target T [--kernel K]` runs them, against the profile that target is
 * expected to conform to. A target that cannot start here (not installed, not
 * root, no kernel built) is a skipped row saying why, not an error of the
 * whole matrix.
 */
import { RealUnavailable } from '../../real/arch.js';
import { WorkerStartError } from '../../real/worker-process.js';
import { profileFlags } from '../cli/run-target-flags.js';
import { launchOf, resolveTarget } from '../cli/targets.js';
import { EnvironmentError, UsageError } from '../cli/usage-error.js';
import type { RunSummary } from '../engine/summary.js';
import type { Suite } from '../engine/verdict.js';
import { type RunProgress, runConformance } from '../run.js';
import type { RowSpec } from './rows.js';

/** What every row shares: the matrix's flags. */
export interface RowConfig {
  readonly suites: readonly Suite[];
  readonly runs: number;
  readonly sequences: number;
  readonly seed: number;
  readonly keepResults: boolean;
  readonly signal: AbortSignal;
  readonly onProgress?: (p: RunProgress) => void;
}

export type RowOutcome =
  | { readonly spec: RowSpec; readonly summary: RunSummary; readonly seccompProfile?: string }
  | { readonly spec: RowSpec; readonly skipped: string };

/** Why a target could not start, when it is this machine and not aiospec (anything else is a bug). */
function unavailable(e: unknown): string | null {
  if (
    e instanceof RealUnavailable ||
    e instanceof WorkerStartError ||
    e instanceof EnvironmentError ||
    e instanceof UsageError
  )
    return e.message;
  return null;
}

export async function runRow(spec: RowSpec, cfg: RowConfig): Promise<RowOutcome> {
  if (spec.missing !== undefined) return { spec, skipped: spec.missing };
  if (cfg.signal.aborted) return { spec, skipped: 'not run: interrupted (SIGINT)' };
  try {
    const target = resolveTarget(spec.target, spec.kernel);
    // Resolved for this row's target: the container's capabilities differ from this process's.
    const seccomp =
      spec.seccompProfile === undefined ? undefined : profileFlags(spec.seccompProfile, target);
    const summary = await runConformance({
      suites: cfg.suites,
      runs: cfg.runs,
      sequences: cfg.sequences,
      seed: cfg.seed,
      profile: target.expects,
      target: target.name,
      launch: launchOf(target, seccomp ? seccomp.options : {}),
      keepResults: cfg.keepResults,
      signal: cfg.signal,
      ...(seccomp?.seccompProfile ? { seccompProfile: seccomp.seccompProfile } : {}),
      ...(spec.kernel === undefined ? {} : { kernel: spec.kernel }),
      ...(cfg.onProgress ? { onProgress: cfg.onProgress } : {}),
    });
    return {
      spec,
      summary,
      ...(seccomp?.seccompProfile ? { seccompProfile: seccomp.seccompProfile.source } : {}),
    };
  } catch (e) {
    const why = unavailable(e);
    if (why === null) throw e;
    return { spec, skipped: why.replace(/\s*\n\s*/g, ' | ') };
  }
}
