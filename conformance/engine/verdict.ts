/** What the engine concludes about a case and each of its steps. */
import type { DestroyRuleId, SetupRuleId } from '../../model/index.js';
import type { Case } from '../cases.js';
import type { Difference, ErrnoLabel } from '../observe.js';

export type Suite = 'table' | 'props' | 'stateful';

export type Status = 'pass' | 'diverge' | 'inconclusive' | 'skip';

export interface StepJudgement {
  readonly index: number;
  readonly op: 'setup' | 'destroy' | 'clobber';
  /** The model rule that decided this step. */
  readonly rule?: SetupRuleId | DestroyRuleId;
  readonly model: unknown;
  readonly real: unknown;
  readonly diffs: Difference[];
}

export interface CaseVerdict {
  readonly suite: Suite;
  /** Position in its suite (stable across runs with the same seed). */
  readonly index: number;
  readonly case: Case;
  status: Status;
  /** Why a case was skipped or is inconclusive; how a divergence was confirmed. */
  reason?: string;
  steps: StepJudgement[];
  /** aio-nr moved under the case (another process). */
  moved: boolean;
  /** How many times the case ran (retries after a first divergence). */
  attempts: number;
  /**
   * The case as it must be replayed alone to meet the same state: the setups
   * that left contexts before it in its batch come first. Absent: the case alone.
   */
  reproducer?: Case;
}

/** A pending io_destroy return value, checked when it arrives. */
export interface PendingReturn {
  readonly verdict: CaseVerdict;
  readonly step: number;
  readonly expected: ErrnoLabel | null;
}
