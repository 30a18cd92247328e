/** What the engine concludes about a case and each of its steps. */
import type { DestroyRuleId, SetupRuleId } from '../../model/index.js';
import type { Case, Step } from '../cases.js';
import type { Difference, ErrnoLabel } from '../observe.js';

/** Every suite, in the order a run runs them and reports list them. */
export const SUITES = [
  'table',
  'props',
  'stateful',
  'faults',
  'family-table',
  'family-props',
  'family-stateful',
] as const;

export type Suite = (typeof SUITES)[number];

/** A family rule's id (model/family names them; the engine only counts and shows them). */
export type FamilyRuleId = string & {};

export type Status = 'pass' | 'diverge' | 'inconclusive' | 'skip';

export interface StepJudgement {
  readonly index: number;
  readonly op: Step['op'];
  /** The model rule that decided this step. */
  readonly rule?: SetupRuleId | DestroyRuleId | FamilyRuleId;
  /**
   * Other rules counted for this step: those whose prediction the kernel's
   * result equals, where the model allows several (a failed allocation the
   * model cannot place: the faults suite); for io_submit, its loop and the
   * rule of every iocb it took.
   */
  readonly alsoRules?: readonly (SetupRuleId | FamilyRuleId)[];
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
  /** Step by step, the run that shows the verdict (for a divergence: a re-run that confirmed it). */
  steps: StepJudgement[];
  /** Why the aio-nr evidence of that run is in doubt (another process moved aio-nr or aio-max-nr), or null. */
  disturbed: string | null;
  /** How many times the case ran (its first run and its re-runs). */
  attempts: number;
  /**
   * The case with the setups that left contexts before it in its batch: the
   * state it first ran in. Absent: it ran alone or first in its batch.
   */
  reproducer?: Case;
  /** The case as a replay must run it to see the verdict (the form its re-runs confirmed). */
  shown?: Case;
}

/** A pending io_destroy return value, checked when it arrives. */
export interface PendingReturn {
  /** The step's judgement, whose differences the return value may add to. */
  readonly step: StepJudgement;
  readonly expected: ErrnoLabel | null;
}

/** A fresh verdict for a case about to run. */
export function newVerdict(suite: Suite, index: number, c: Case): CaseVerdict {
  return { suite, index, case: c, status: 'pass', steps: [], disturbed: null, attempts: 0 };
}
