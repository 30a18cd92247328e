/**
 * aiospec as a library (`import { run } from 'aiospec'`): a conformance run, a
 * trace's replay, one call explained by the model, the doctor. Each returns the
 * object its command prints with --json (`run --reporter json`, `replay
 * --reporter json`, `explain --json`, `doctor --json`), so a script sees the
 * same thing either way. Nothing here writes to stdout or stderr.
 *
 * The model alone, with no Node.js imports (for a browser), is `aiospec/model`.
 */
import {
  type CtxKind,
  decideIoSetup,
  type Environment,
  makeEnv,
  newProcessState,
  type ProfileName,
} from '../model/index.js';
import { parseCase } from './cases.js';
import { launchOf, resolveTarget } from './cli/targets.js';
import { EnvironmentError } from './cli/usage-error.js';
import { doctorJson } from './doctor/render-json.js';
import { type DoctorOptions, gatherDoctor } from './doctor/report.js';
import type { Suite } from './engine/verdict.js';
import { explainJson } from './render/explain.js';
import { type JsonReport, jsonReport } from './report/json.js';
import { type RunProgress, runConformance, SUITES } from './run.js';
import { replayTrace } from './trace/replay.js';

export { RealUnavailable } from '../real/arch.js';
export { EnvironmentError, UsageError } from './cli/usage-error.js';
export type { DoctorOptions } from './doctor/report.js';
export type { Suite } from './engine/verdict.js';
export type { ExplainJson } from './render/explain.js';
export type { JsonReport } from './report/json.js';
export type { RunProgress } from './run.js';
export { TraceError } from './trace/format.js';

export interface RunOptions {
  /** Default: every suite. */
  readonly suites?: readonly Suite[];
  /** Props cases (default 10,000). */
  readonly runs?: number;
  /** Stateful sequences (default 3% of runs). */
  readonly sequences?: number;
  /** fast-check seed, a u32 (default random; the report gives it). */
  readonly seed?: number;
  /** 'host' (default), 'gvisor' or 'uml'. */
  readonly target?: string;
  /** The model's profile (default: the one the target conforms to). */
  readonly profile?: ProfileName;
  /** Run only this case, as a report prints it (the JSON `--case` takes). */
  readonly case?: unknown;
  /** Stop early when it aborts: the report counts what ran, and `stopped` says why. */
  readonly signal?: AbortSignal;
  readonly maxDivergences?: number;
  readonly timeLimitMs?: number;
  readonly onProgress?: (progress: RunProgress) => void;
}

function checkCount(name: string, n: number | undefined, max = Number.MAX_SAFE_INTEGER): void {
  if (n !== undefined && !(Number.isInteger(n) && n >= 0 && n <= max))
    throw new RangeError(`${name}: ${n} is not an integer from 0 to ${max}`);
}

/** The model against a real kernel, as `aiospec run --reporter json` (it needs Linux with AIO). */
export async function run(opts: RunOptions = {}): Promise<JsonReport> {
  const runs = opts.runs ?? 10_000;
  checkCount('runs', runs);
  checkCount('sequences', opts.sequences);
  checkCount('seed', opts.seed, 0xffff_ffff);
  checkCount('maxDivergences', opts.maxDivergences);
  const unknown = opts.suites?.find((s) => !SUITES.includes(s));
  if (unknown !== undefined)
    throw new RangeError(`suites: "${unknown}" is not one of ${SUITES.join(', ')}`);
  const target = resolveTarget(opts.target);
  const summary = await runConformance({
    suites: opts.suites ?? SUITES,
    runs,
    sequences: opts.sequences ?? Math.max(1, Math.round(runs * 0.03)),
    seed: opts.seed ?? Math.floor(Math.random() * 0x1_0000_0000),
    profile: opts.profile ?? target.expects,
    target: target.name,
    launch: launchOf(target),
    keepResults: false, // the JSON report lists no case one by one
    ...(opts.case === undefined ? {} : { only: parseCase(opts.case) }),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.maxDivergences === undefined ? {} : { maxDivergences: opts.maxDivergences }),
    ...(opts.timeLimitMs === undefined ? {} : { timeLimitMs: opts.timeLimitMs }),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  });
  return jsonReport(summary);
}

/** A trace written by `aiospec record` (its text) judged by the model, as `aiospec replay --reporter json`. */
export async function replay(
  trace: string,
  opts: { readonly profile?: ProfileName } = {},
): Promise<JsonReport> {
  const { summary } = await replayTrace(trace, opts.profile ? { profile: opts.profile } : {});
  return jsonReport(summary);
}

export interface ExplainOptions {
  /** nr_events, a u32. */
  readonly nrEvents: number;
  /** What ctx_idp points at (default 'zero'). */
  readonly ctx?: CtxKind;
  /** The machine, where it differs from the model's default one (Linux, 4 CPUs, aio-max-nr 65536...). */
  readonly env?: Partial<Environment>;
}

/** One io_setup call through the model, as `aiospec explain --json`: the result, the rules in order, the ring. */
export function explain(opts: ExplainOptions) {
  checkCount('nrEvents', opts.nrEvents, 0xffff_ffff);
  const env = makeEnv(opts.env);
  const outcome = decideIoSetup(env, newProcessState(env), {
    nrEvents: opts.nrEvents,
    ctx: opts.ctx ?? 'zero',
  });
  return explainJson(env, outcome);
}

/** Why io_setup fails with EAGAIN here, as `aiospec doctor --json` (Linux only). */
export async function doctor(opts: DoctorOptions = {}) {
  if (process.platform !== 'linux')
    throw new EnvironmentError(`doctor needs Linux (this is ${process.platform})`);
  return doctorJson(await gatherDoctor(opts));
}
