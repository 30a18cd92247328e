/**
 * What a run saw, as it happened: the interface the engine reports every
 * worker start and batch outcome to. A trace writer implements it; so could
 * anything else that wants the raw observations.
 */
import type { Completion, HostInfo, ReleaseResult, U64 } from '../../real/protocol.js';
import type { Case } from '../cases.js';
import type { CaseReport, FillReport } from './judge.js';
import type { Suite } from './verdict.js';

export interface RecordedCase {
  readonly suite: Suite;
  readonly index: number;
  /** Set when this is a re-run of an earlier case, made to confirm a divergence. */
  readonly rerun: boolean;
  /** Which form of the case ran (0 alone, 1 after the setups before it in its batch). */
  readonly candidate: number;
  readonly case: Case;
  /** The worker's results, or why there are none (it crashed, hung, never got to the case). */
  readonly report: CaseReport;
}

export interface Recorder {
  /** A worker started: the key names it in later events ("main", "seccomp:EPERM", "fresh:3"). */
  worker(key: string, host: HostInfo): void;
  /** A batch's lines follow: aio-max-nr as the worker read it at the batch's start and end. */
  batch(key: string, aioMaxNr: { readonly before: U64 | null; readonly after: U64 | null }): void;
  fill(key: string, fill: FillReport): void;
  case(key: string, c: RecordedCase): void;
  release(key: string, released: ReleaseResult): void;
  completions(key: string, list: readonly Completion[]): void;
}
