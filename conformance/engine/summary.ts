/**
 * What a run concludes, in one object: every reporter (human, TAP, JUnit,
 * JSON) renders this, and nothing else.
 */
import type { KernelFeatures } from '../../real/protocol.js';
import type { Case } from '../cases.js';
import type { Difference } from '../observe.js';
import type { Status, Suite } from './verdict.js';

export interface DivergenceReport {
  readonly suite: Suite;
  /** Position of the case in its suite. */
  readonly index: number;
  /** How many cases of the run diverge the same way (same rule, fields and errnos); this one stands for them. */
  readonly count: number;
  /** The kind (engine/signature.ts): every CaseResult of this suite with the same kind is one of `count`. */
  readonly kind: string;
  readonly name?: string;
  /** The minimal case (shrunk when the suite allows it), as replayable JSON. */
  readonly case: Case;
  /** The case as first found, before shrinking. */
  readonly original: Case;
  /** Per step of the minimal case: what differed. */
  readonly differences: readonly { readonly step: number; readonly diffs: readonly Difference[] }[];
  readonly reason?: string;
  /** A command that replays exactly this case. */
  readonly replay: string;
}

export interface CaseResult {
  readonly suite: Suite;
  readonly index: number;
  /** A name for people: the table row's name, or the case in one line. */
  readonly name: string;
  readonly status: Status;
  readonly reason?: string;
  /** The rules that decided its steps (model side). */
  readonly rules: readonly string[];
  /** For a divergence: what differed, step by step (each case its own, not its kind's). */
  readonly differences?: DivergenceReport['differences'];
  /** For a divergence: the command that replays this very case. */
  readonly replay?: string;
  /** For a divergence: its kind, as its suite's DivergenceReport of that kind names it. */
  readonly kind?: string;
  /**
   * Its share, in milliseconds, of the wall time of the chunk it was settled in,
   * weighted by the calls it made (runs times steps): cases run two batches at a
   * time in a worker and are not timed one by one. 0 for a case that never ran.
   */
  readonly ms: number;
}

export interface SuiteCounts {
  readonly cases: number;
  readonly passed: number;
  readonly diverged: number;
  readonly inconclusive: number;
  readonly skipped: number;
  /** Wall time of the suite, shrinking included (its cases' ms add up to less). */
  readonly ms: number;
}

export interface RuleCoverage {
  readonly id: string;
  /** How many compared steps it decided. */
  readonly hits: number;
  /** For a rule with no hits: why it cannot be reached here (or that no case reached it). */
  readonly unreachable?: string;
}

export interface RunSummary {
  readonly tool: 'aiospec';
  readonly target: string;
  readonly profile: string;
  readonly seed: number;
  readonly kernel: {
    readonly release: string;
    readonly machine: string;
    readonly gvisor: boolean;
    /** What the kernel offers, as detected in it (see real/kernel-features.ts). */
    readonly features: KernelFeatures;
  };
  readonly environment: {
    readonly possibleCpus: number;
    readonly pageSize: number;
    readonly aioMaxNr: number | string | null;
    readonly aioNrAtStart: number | string | null;
  };
  readonly suites: Readonly<Partial<Record<Suite, SuiteCounts>>>;
  readonly cases: number;
  readonly passed: number;
  readonly diverged: number;
  readonly inconclusive: number;
  readonly skipped: number;
  readonly rulesCovered: number;
  readonly rulesTotal: number;
  readonly coverage: readonly RuleCoverage[];
  readonly divergences: readonly DivergenceReport[];
  readonly wallMs: number;
  /** Why the run stopped before its end (Ctrl-C, --time-limit, --max-divergences); absent when it ran to the end. */
  readonly stopped?: string;
  /**
   * Every case (TAP and JUnit list them all), or every case but the passing
   * ones when the run was told not to keep those (the human and JSON reports
   * list only the others), in the order they were settled. Iterate it once per
   * use: a large run's results live on disk.
   */
  readonly results: Iterable<CaseResult>;
}
