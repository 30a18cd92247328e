/**
 * Every field of every trace line, as a table of checks: what the recorder and
 * the worker write, and nothing a kernel or a worker cannot produce (a negative
 * aio-nr, no CPU, a page size the model does not know, an errno past 4095).
 * The case itself is checked by parseCase, as `--case` is.
 */
import { isErrnoName, PAGE_SIZES, PROFILE_NAMES } from '../../model/index.js';
import { SUITES } from '../engine/verdict.js';
import {
  MAX_CASES_PER_SUITE,
  MAX_ERRNO,
  MAX_EXIT_CODE,
  MAX_PID,
  MAX_POSSIBLE_CPUS,
  MAX_SECCOMP_MODE,
  SEED_RANGE,
} from './bounds.js';
import {
  address,
  boolean,
  type Check,
  fields,
  intIn,
  is,
  isObject,
  leaf,
  listOf,
  nullable,
  oneOf,
  optional,
  string,
  tagged,
  u64,
} from './checks.js';
import { FAMILY_STEP_RESULTS } from './family-checks.js';
import { u64Problem } from './u64.js';

export const TRACE_FORMAT = 'aiospec-trace';
/** The version written. Version 1 (no batch lines, no candidate) is still read. */
export const TRACE_VERSION = 2;
const READABLE_VERSIONS: readonly number[] = [1, 2];

export { SUITES };

const u32 = intIn(0, 0xffff_ffff, 'a u32');
/** Refs and tokens: a worker's own counters, from 0 up. */
const counter = intIn(0, Number.MAX_SAFE_INTEGER, 'a count');
const errno = intIn(0, MAX_ERRNO, 'an errno');
/** The syscall wrapper's return: 0, or -1 with errno set (but see trapAware). */
const ret = oneOf([0, -1]);
/** A SIGSYS that came with a call (a seccomp TRAP). */
const sigsys = optional(oneOf(['SIGSYS']));

/**
 * A step result whose ret may also be a positive integer when it carries
 * signal "SIGSYS": what a seccomp TRAP leaves (the syscall number, or arm64's
 * first argument). Without the signal, only 0 and -1.
 */
function trapAware(c: Check): Check {
  return (v, ctx) =>
    isObject(v) && v.signal === 'SIGSYS' && Number.isSafeInteger(v.ret) && (v.ret as number) > 0
      ? c({ ...v, ret: 0 }, ctx)
      : c(v, ctx);
}
/** aio-nr and aio-max-nr; null where the kernel keeps none (gVisor). */
const aioCount = nullable(u64);
const possibleCpus = intIn(1, MAX_POSSIBLE_CPUS, 'a number of possible CPUs');
const pageSize = oneOf(PAGE_SIZES, `a page size the model knows (${PAGE_SIZES.join(', ')})`);
const seccompMode = nullable(intIn(0, MAX_SECCOMP_MODE, 'a seccomp mode'));

/** A ring mapping is whole pages of the worker's page size, at least one. */
const mapBytes = leaf((v, ctx) => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) return 'is not a size in bytes';
  if (ctx.pageSize !== null && v % ctx.pageSize !== 0)
    return `is not a multiple of the page size (${ctx.pageSize})`;
  return undefined;
});

/** The 32-byte ring header, eight u32 fields. */
const ring = fields({
  id: u32,
  nr: u32,
  head: u32,
  tail: u32,
  magic: u32,
  compatFeatures: u32,
  incompatFeatures: u32,
  headerLength: u32,
});

const release = fields({
  op: oneOf(['release']),
  refs: listOf(counter),
  aioNrAfter: aioCount,
});

const setup = trapAware(
  fields({
    op: oneOf(['setup']),
    ret,
    errno,
    ctxAfter: nullable(address),
    aioNrBefore: aioCount,
    aioNrAfter: aioCount,
    ref: optional(counter),
    handle: optional(address),
    ring: optional(nullable(ring)),
    mapBytes: optional(nullable(mapBytes)),
    signal: sigsys,
  }),
);

const STEP_RESULTS = {
  setup,
  destroy: trapAware(
    fields({
      handle: address,
      // null: the call had not returned when the step ended; its value comes in a completions line.
      ret: nullable(ret),
      errno,
      token: optional(counter),
      // The worker's context whose ring started at the handle (version 2).
      ref: optional(counter),
      ringGone: boolean,
      scratchUnmapped: optional(boolean),
      aioNrBefore: aioCount,
      aioNrAfter: aioCount,
      signal: sigsys,
    }),
  ),
  clobber: fields({ written: boolean }),
  // A case's own contexts released at its end, after its step results.
  release,
  // The family's steps (io_submit, io_getevents, ...): trace/family-checks.ts.
  ...FAMILY_STEP_RESULTS,
};

const fill = fields({
  op: oneOf(['fill']),
  fillers: listOf(fields({ nr: u32, result: setup })),
  reached: boolean,
  aioNrAfter: aioCount,
});

/** The lowest and highest value of a counter while it was watched, or null where there is none. */
const span = nullable(
  is(
    (v) => Array.isArray(v) && v.length === 2 && v.every((x) => u64Problem(x) === undefined),
    'a [lowest, highest] pair of u64 values',
  ),
);
const window = fields({
  aioNr: span,
  aioMaxNr: span,
  reads: intIn(1, Number.MAX_SAFE_INTEGER, 'a count of reads'),
});

const REPORTS = {
  ok: fields({
    results: listOf(tagged('op', STEP_RESULTS)),
    // The counters watched just before and after a re-run that asked for it (version 2).
    quiet: optional(fields({ before: window, after: window })),
  }),
  crashed: fields({
    signal: nullable(is((v) => typeof v === 'string' && /^SIG[A-Z0-9]+$/.test(v), 'a signal name')),
    code: nullable(intIn(0, MAX_EXIT_CODE, 'an exit status')),
    stderr: string,
  }),
  timeout: fields({ afterMs: intIn(0, Number.MAX_SAFE_INTEGER, 'a duration in ms') }),
  'not-run': fields({}),
};

/** What the worker saw of its system (real/host.ts). */
const host = fields({
  pid: intIn(1, MAX_PID, 'a process id'),
  release: string,
  version: string,
  machine: string,
  pageSize,
  possibleCpus,
  aioMaxNr: aioCount,
  aioNr: aioCount,
  seccompMode,
  gvisor: boolean,
  // Traces recorded before features were detected have none (their replay then infers no-AIO from aioMaxNr).
  features: optional(fields({ faultInjection: boolean, aio: boolean, block: optional(boolean) })),
});

/**
 * A worker's key: "main", "fresh:N", "seccomp:ERRNO". A sandbox's key names
 * the errno its filter answers with, which the replay gives the model, so it
 * must be one the model knows.
 */
const workerKey = is(
  (v) =>
    typeof v === 'string' &&
    v !== '' &&
    (!v.startsWith('seccomp:') || isErrnoName(v.slice('seccomp:'.length))),
  'a worker key ("main", "fresh:N", or "seccomp:" and an errno name the model knows)',
);

/** Every line type and the checks of its fields (the case field is parseCase's). */
export const LINE_CHECKS: Readonly<Record<string, Readonly<Record<string, Check>>>> = {
  header: {
    format: oneOf([TRACE_FORMAT], `"${TRACE_FORMAT}": this is not an aiospec trace`),
    version: oneOf(
      READABLE_VERSIONS,
      `a trace version this aiospec reads (${READABLE_VERSIONS.join(', ')})`,
    ),
    tool: string,
    recorded: string,
    target: fields({ kind: string }),
    kernel: fields({ release: string, version: string, machine: string, gvisor: boolean }),
    environment: fields({
      possibleCpus,
      pageSize,
      aioMaxNr: aioCount,
      aioNr: aioCount,
      seccompMode,
    }),
    profile: oneOf(PROFILE_NAMES, `a profile the model knows (${PROFILE_NAMES.join(', ')})`),
    seed: intIn(SEED_RANGE.min, SEED_RANGE.max, 'a seed'),
    suites: listOf(oneOf(SUITES)),
  },
  worker: { worker: workerKey, host },
  batch: { worker: workerKey, aioMaxNr: fields({ before: aioCount, after: aioCount }) },
  fill: { worker: workerKey, released: nullable(release), made: nullable(fill) },
  case: {
    worker: workerKey,
    suite: oneOf(SUITES),
    index: intIn(0, MAX_CASES_PER_SUITE - 1, 'a case index'),
    rerun: boolean,
    // Which form of the case a re-run ran: 0 alone, 1 after the setups before it in its batch.
    candidate: optional(intIn(0, 1, 'a candidate form')),
    report: tagged('status', REPORTS),
  },
  release: { worker: workerKey, released: release },
  completions: {
    worker: workerKey,
    completions: listOf(fields({ token: counter, ret, errno })),
  },
  end: { cases: intIn(0, Number.MAX_SAFE_INTEGER, 'a count of case lines') },
};
