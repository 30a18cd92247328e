/**
 * The facts of the family's calls at syscall level (io_submit's entry checks,
 * io_getevents, io_pgetevents, io_cancel): what the rules of
 * rules/family-call-rules.ts read. Harvest results that decide a rule (an
 * unwritable events buffer with events to copy, a wait that never ends, a
 * pending signal) are computed here, from a copy of the state.
 */
import type { SeccompVerdict } from '../seccomp-eval.js';
import type { SigSpec, TimeoutSpec } from './steps.js';

export interface GateFacts {
  readonly profile: 'linux' | 'gvisor';
  readonly seccomp: SeccompVerdict;
  readonly aioCompiled: boolean;
}

export interface SubmitFacts extends GateFacts {
  /** nr as the kernel reads it: a long on Linux, args[1].Int() (int32) on gVisor. */
  readonly nr: bigint;
  readonly ctxFound: boolean;
}

export interface GetFacts extends GateFacts {
  readonly call: 'getevents' | 'pgetevents';
  readonly timeout: TimeoutSpec;
  readonly sig: SigSpec;
  readonly ctxFound: boolean;
  readonly minNr: bigint;
  readonly nr: bigint;
  /** The events buffer can take what would be copied. */
  readonly eventsWritable: boolean;
  /** Events the first harvest pass would copy (0 when the ring is empty). */
  readonly firstPass: number;
  /** Total the call would return if nothing went wrong. */
  readonly collected: number;
  /** The call would sleep forever (NULL or infinite timeout, min_nr more than can ever arrive, no signal). */
  readonly wouldBlock: boolean;
  /** A signal the call's mask leaves unblocked is pending (the §4 recipe). */
  readonly interrupted: boolean;
}

export interface CancelFacts extends GateFacts {
  /** u32 aio_key could be read at the iocb pointer. */
  readonly keyReadable: boolean;
  readonly key: number;
  readonly ctxFound: boolean;
  /** A request whose obj is this iocb is on ctx->active_reqs (a pending POLL). */
  readonly found: boolean;
}

/** gVisor's timespec Valid(): sec ≥ 0 and 0 ≤ nsec < 1e9. */
export function timespecValid(t: TimeoutSpec): boolean {
  if (typeof t === 'string') return true;
  return t.sec >= 0n && t.nsec >= 0n && t.nsec < 1_000_000_000n;
}
