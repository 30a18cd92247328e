/**
 * One row of the matrix: the suites on one target, exactly as `aiospec run
 * --target T [--kernel K]` runs them, against the profile that target is
 * expected to conform to. A target that cannot start here (not installed, not
 * root, no kernel built) is a skipped row saying why, not an error of the
 * whole matrix.
 */
import type { SeccompProfile } from '../../model/index.js';
import { RealUnavailable } from '../../real/arch.js';
import { WorkerStartError } from '../../real/worker-process.js';
import { launchOf, resolveTarget, type TargetOptions } from '../cli/targets.js';
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
  /** Applied to the rows whose target honours it (host, oci); see seccompOptions. */
  readonly seccomp?: {
    readonly profile: SeccompProfile;
    readonly options: (target: string) => TargetOptions;
  };
  readonly keepResults: boolean;
  readonly signal: AbortSignal;
  readonly onProgress?: (p: RunProgress) => void;
}

export type RowOutcome =
  | { readonly spec: RowSpec; readonly summary: RunSummary; readonly seccompProfile?: string }
  | { readonly spec: RowSpec; readonly skipped: string };

/** Whether the matrix's --seccomp-profile applies to this row (the targets that install one). */
export function takesSeccomp(target: string): boolean {
  return target === 'host' || target === 'oci';
}

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
  const seccomp = cfg.seccomp && takesSeccomp(spec.target) ? cfg.seccomp : undefined;
  try {
    const target = resolveTarget(spec.target, spec.kernel);
    const summary = await runConformance({
      suites: cfg.suites,
      runs: cfg.runs,
      sequences: cfg.sequences,
      seed: cfg.seed,
      profile: target.expects,
      target: target.name,
      launch: launchOf(target, seccomp ? seccomp.options(target.name) : {}),
      keepResults: cfg.keepResults,
      signal: cfg.signal,
      ...(seccomp ? { seccompProfile: seccomp.profile } : {}),
      ...(spec.kernel === undefined ? {} : { kernel: spec.kernel }),
      ...(cfg.onProgress ? { onProgress: cfg.onProgress } : {}),
    });
    return { spec, summary, ...(seccomp ? { seccompProfile: seccomp.profile.source } : {}) };
  } catch (e) {
    const why = unavailable(e);
    if (why === null) throw e;
    return { spec, skipped: why.replace(/\s*\n\s*/g, ' | ') };
  }
}
