/**
 * The runner <-> worker protocol: JSON, one message per line, on the worker's
 * stdin and stdout. The worker keeps its contexts between batches; every
 * context it creates gets a `ref` (a worker-local number) that later steps use.
 * u64 values travel as JSON numbers up to 2^53-1 and as decimal strings above.
 */
import type { CtxKind } from '../model/abi/ctx-kinds.js';
import type { RingHeader } from '../model/abi/ring-header.js';
import type { FamilyRealStep, FamilyStepResult, WireFileSpec } from './family-protocol.js';

/**
 * A u64 as JSON carries it: a number while exact (up to 2^53-1; past that most
 * parsers lose digits), a decimal string beyond.
 */
export type U64 = number | string;

/** n as JSON keeps it exactly: the wire's u64 encoding, also for the signed values of reports. */
export function jsonInteger(n: bigint): number | string {
  return n <= MAX_EXACT && n >= -MAX_EXACT ? Number(n) : n.toString();
}

export function jsonIntegerOrNull(n: bigint | null): number | string | null {
  return n === null ? null : jsonInteger(n);
}

/** A u64 read off the wire (null or absent where the kernel has no such value). */
export function fromU64(v: U64 | null | undefined): bigint | null {
  return v === null || v === undefined ? null : BigInt(v);
}

/** Addresses travel as "0x" and hex digits. */
export function hexAddress(n: bigint): string {
  return `0x${n.toString(16)}`;
}

const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

/** What io_destroy is given. */
export type DestroyTarget =
  /** The handle of a context this worker created (live, or already destroyed: a stale handle). */
  | { readonly ref: number }
  /** The handle made by step `step` of the current case (a setup step). */
  | { readonly step: number }
  /** A literal address (0, 0xffffffffffffffff, ...), as a decimal or 0x string. */
  | { readonly address: string }
  /** A fresh readable page of ours holding `u32` at `offset` (offset 0: page-aligned). */
  | { readonly scratch: { readonly u32: number; readonly offset: number } }
  /** An address with no mapping. */
  | { readonly unmapped: true };

export type RealStep =
  /**
   * io_setup(nr, ctx). `asHeadroom`: bytes of address space left to the process (RLIMIT_AS) during the call.
   * `failNth`: the call's K-th kernel allocation is made to fail (/proc/thread-self/fail-nth).
   */
  | {
      readonly op: 'setup';
      readonly nr: number;
      readonly ctx: CtxKind;
      readonly asHeadroom?: U64;
      readonly failNth?: number;
    }
  | { readonly op: 'destroy'; readonly target: DestroyTarget }
  /** Overwrite ring->id of a context (a u32 store at its handle), named by ref or by step of this case. */
  | { readonly op: 'clobber'; readonly ref?: number; readonly step?: number; readonly id: number }
  /** Create filler contexts until aio-max-nr - aio-nr equals `headroom` (when it is above it). */
  | { readonly op: 'fill'; readonly headroom: U64 }
  /** Destroy the contexts named (default: every one this worker holds), concurrently; returns once all are gone. */
  | { readonly op: 'release'; readonly refs?: readonly number[] }
  /** Test hooks for the runner's crash and timeout handling. */
  | { readonly op: 'debug-crash' }
  | { readonly op: 'debug-hang' }
  /** The rest of the AIO family (io_submit, io_getevents, io_pgetevents, io_cancel, reaping, fd I/O). */
  | FamilyRealStep;

/** The ring header as read back at a handle (struct aio_ring, model/abi/ring-header.ts). */
export type RingRead = RingHeader;

export interface SetupResult {
  readonly op: 'setup';
  readonly ret: number;
  /** errno when ret is -1, else 0 (never read after a successful call). */
  readonly errno: number;
  /** Set when a context was created. */
  readonly ref?: number;
  /** The handle (hex) on success. */
  readonly handle?: string;
  /** The 8 bytes at ctx_idp afterwards (hex), or null when they cannot be read. */
  readonly ctxAfter: string | null;
  /** The ring header read back at the handle (null if it could not be read). */
  readonly ring?: RingRead | null;
  /** Size of the mapping at the handle from /proc/self/maps (null if none starts there). */
  readonly mapBytes?: number | null;
  readonly aioNrBefore: U64 | null;
  readonly aioNrAfter: U64 | null;
  /** SIGSYS came with the call (a seccomp TRAP; only watched under a filter); absent: no signal. */
  readonly signal?: 'SIGSYS';
  /** With failNth: whether the call reached its K-th allocation (which then failed). */
  readonly faultInjected?: boolean;
  /** With failNth: the AIO rings the process mapped before and after the call (/proc/self/maps). */
  readonly rings?: { readonly before: number; readonly after: number };
}

export interface DestroyResult {
  readonly op: 'destroy';
  /** The handle passed (hex). */
  readonly handle: string;
  /**
   * ret/errno when the call returned before the step ended. A successful Linux
   * io_destroy waits for RCU grace periods (~30 ms); the step ends as soon as its
   * effects are visible (the ring unmapped) and the return value follows in a
   * later `completions` list under `token`.
   */
  readonly ret: number | null;
  readonly errno: number;
  readonly token?: number;
  /**
   * The live context whose ring started at the handle when the call was made:
   * the one a successful io_destroy destroys (for a stale handle whose address
   * a newer ring took, the newer one). Absent: no context of ours was there.
   */
  readonly ref?: number;
  /** Whether that context was destroyed, by the worker's own evidence (the call returned 0, or its ring is gone). */
  readonly ringGone: boolean;
  /** For a scratch target: whether the call unmapped our page (gVisor does). */
  readonly scratchUnmapped?: boolean;
  readonly aioNrBefore: U64 | null;
  readonly aioNrAfter: U64 | null;
  /** As SetupResult's. */
  readonly signal?: 'SIGSYS';
}

export interface ClobberResult {
  readonly op: 'clobber';
  readonly written: boolean;
}

export interface FillResult {
  readonly op: 'fill';
  /** The filler contexts created, in order: the nr_events asked for and the complete setup result. */
  readonly fillers: readonly { readonly nr: number; readonly result: SetupResult }[];
  readonly reached: boolean;
  readonly aioNrAfter: U64 | null;
}

export interface ReleaseResult {
  readonly op: 'release';
  readonly refs: readonly number[];
  readonly aioNrAfter: U64 | null;
}

export type StepResult =
  | SetupResult
  | DestroyResult
  | ClobberResult
  | FillResult
  | ReleaseResult
  | FamilyStepResult;

export interface RealCase {
  readonly id: number;
  readonly steps: readonly RealStep[];
  /** Release the contexts this case created when it ends; the release result is appended to the results. */
  readonly release?: boolean;
  /**
   * Watch aio-nr and aio-max-nr for this many milliseconds just before the
   * case's first step and just after its last (before its release): whether
   * anyone else touched them around it (see QuietWindows).
   */
  readonly quietMs?: number;
  /**
   * Files the case's family steps name by index (real/family-protocol.ts),
   * opened before its first step and closed when it ends.
   */
  readonly files?: readonly WireFileSpec[];
  /** Run the case with the worker's thread pinned to one CPU (the lowest it may use), restored after. */
  readonly pin?: boolean;
}

/** The lowest and highest value read during a window (null where the kernel keeps no such counter). */
export type Span = readonly [U64, U64] | null;

/** What a watch of the counters saw: every value read, as a span, and how many reads. */
export interface QuietWindow {
  readonly aioNr: Span;
  readonly aioMaxNr: Span;
  readonly reads: number;
}

/** The windows watched around a case (RealCase.quietMs). */
export interface QuietWindows {
  readonly before: QuietWindow;
  readonly after: QuietWindow;
}

/** What a worker reported for one case: its step results, or why it has none. */
export type CaseReport =
  | {
      readonly status: 'ok';
      readonly results: readonly StepResult[];
      /** The counters watched just before and after the case (RealCase.quietMs). */
      readonly quiet?: QuietWindows;
    }
  | {
      readonly status: 'crashed';
      readonly signal: string | null;
      readonly code: number | null;
      readonly stderr: string;
    }
  | { readonly status: 'timeout'; readonly afterMs: number }
  | { readonly status: 'not-run' };

/** One case's outcome in a batch reply. */
export interface CaseResults {
  readonly id: number;
  readonly results: readonly StepResult[];
  readonly quiet?: QuietWindows;
}

export interface Completion {
  readonly token: number;
  readonly ret: number;
  readonly errno: number;
}

export interface WorkerConfig {
  /** Install a seccomp filter answering io_setup with this errno before anything runs. */
  readonly seccompErrno?: number;
}

export type Request =
  | {
      readonly type: 'batch';
      readonly id: number;
      /**
       * Before the cases: hold aio-max-nr - aio-nr at this headroom with filler
       * contexts (null: no fillers). Absent: leave the fillers as they are.
       */
      readonly fill?: U64 | null;
      readonly cases: readonly RealCase[];
      /** After the cases: release every context the cases made (fillers stay). */
      readonly releaseAfter?: boolean;
    }
  /** Wait for every pending io_destroy to return and report them. */
  | { readonly type: 'drain'; readonly id: number }
  | { readonly type: 'exit' }
  /**
   * Start another worker in the same kernel, as this worker's child (a seccomp
   * sandbox, a process that never made a context): under a target that boots a
   * kernel (UML), a second kernel is never booted for it. Its replies come back
   * as 'child' replies; 'child-exit' says when it is gone. `key` is new for
   * each spawn: a late 'child-exit' of a killed child never names its successor.
   */
  | { readonly type: 'spawn'; readonly key: string; readonly config: WorkerConfig }
  /** A request for the child worker `key`, passed on as it is. */
  | { readonly type: 'child'; readonly key: string; readonly request: Request }
  | { readonly type: 'kill-child'; readonly key: string };

/** What the kernel a worker runs on offers beyond io_setup itself, detected in it (real/kernel-features.ts). */
export interface KernelFeatures {
  /**
   * /proc/thread-self/fail-nth exists (CONFIG_FAULT_INJECTION): the caller can
   * make its Nth allocation fail (with CONFIG_FAILSLAB/CONFIG_FAIL_PAGE_ALLOC
   * for the slab and page allocations io_setup makes).
   */
  readonly faultInjection: boolean;
  /**
   * The kernel has io_setup (CONFIG_AIO=y). False only when the kernel itself
   * says ENOSYS: no seccomp filter could have said it, and /proc/sys/fs/aio-nr
   * (which every AIO kernel has, gVisor aside) is absent.
   */
  readonly aio: boolean;
  /**
   * The kernel has a block layer (CONFIG_BLOCK=y: /proc/partitions exists).
   * Without it ioprio_check_cap() is a stub answering -ENOTBLK, so io_submit
   * fails every read/write iocb with IOCB_FLAG_IOPRIO (the small UML kernels
   * `aiospec kernel build` makes have none). Absent (older workers and
   * traces): true.
   */
  readonly block?: boolean;
}

export interface HostInfo {
  readonly pid: number;
  readonly release: string;
  readonly version: string;
  readonly machine: string;
  readonly pageSize: number;
  readonly possibleCpus: number;
  readonly aioMaxNr: U64 | null;
  readonly aioNr: U64 | null;
  readonly seccompMode: number | null;
  readonly gvisor: boolean;
  /** CapEff from /proc/self/status (hex), for a seccomp profile's includes.caps; absent where not shown. */
  readonly capEff?: string;
  /** What this kernel offers beyond io_setup (fault injection, AIO compiled in), detected in it. */
  readonly features: KernelFeatures;
}

export type Reply =
  | { readonly type: 'ready'; readonly host: HostInfo }
  /**
   * A whole batch: every case's results, in order, and the io_destroy return
   * values that arrived meanwhile. One line per batch keeps the pipe cheap; a
   * worker that dies mid-batch sends nothing, and the runner finds the culprit.
   */
  | {
      readonly type: 'batch';
      readonly id: number;
      /**
       * /proc/sys/fs/aio-max-nr when the batch started and when it ended (null
       * where the kernel has none): the limit every io_setup of the batch was
       * checked against, and whether someone changed it meanwhile.
       */
      readonly aioMaxNr: { readonly before: U64 | null; readonly after: U64 | null };
      /** What changing the fillers did: fillers released, then fillers made. */
      readonly fill?: { readonly released: ReleaseResult | null; readonly made: FillResult | null };
      readonly cases: readonly CaseResults[];
      /** The release after the cases, when asked for. */
      readonly released?: ReleaseResult;
      readonly completions: readonly Completion[];
    }
  | { readonly type: 'drained'; readonly id: number; readonly completions: readonly Completion[] }
  | { readonly type: 'fatal'; readonly message: string }
  /** A child worker's reply, as it sent it. */
  | { readonly type: 'child'; readonly key: string; readonly reply: Reply }
  | {
      readonly type: 'child-exit';
      readonly key: string;
      readonly code: number | null;
      readonly signal: string | null;
      readonly stderr: string;
      /** The errno name (EMFILE, EAGAIN...) when the child could not be started at all. */
      readonly spawnError?: string;
    };
