/**
 * The doctor's two questions for the real kernel, asked in a worker process
 * (never in the doctor itself, so that nothing it creates can outlive it):
 * - which accounting does this kernel use? io_setup(1), then release.
 * - --probe: does io_setup accept exactly the largest value the model computed?
 * Other processes may create or destroy contexts meanwhile; each answer
 * checks aio-nr did not move under it and is asked again (a few times) if it did.
 */
import type { Environment, ErrnoName, ProfileName } from '../../model/index.js';
import { errnoName, U32_MAX } from '../../model/index.js';
import { readAioSysctl } from '../../real/host.js';
import type { RealStep, SetupResult, StepResult } from '../../real/protocol.js';
import type { WorkerProcess } from '../../real/worker-process.js';
import { decideFresh, largestAccepted } from './accepted.js';
import { profileFromDelta } from './profile-detect.js';

const ATTEMPTS = 3;
const CASE_TIMEOUT_MS = 20_000;

const big = (v: number | string | null | undefined) =>
  v === null || v === undefined ? null : BigInt(v);

export interface ProfileProbe {
  /** errno of io_setup(1): null on success. */
  readonly errno: number | null;
  /** How far aio-nr moved (null: it failed, or aio-nr is absent). */
  readonly delta: bigint | null;
  /** The profile that charges exactly that (null: could not tell). */
  readonly profile: ProfileName | null;
  readonly attempts: number;
  /** Why the probe could not tell, when it could not. */
  readonly note: string | null;
}

async function runCase(
  w: WorkerProcess,
  steps: readonly RealStep[],
): Promise<readonly StepResult[]> {
  const r = await w.run([{ id: 0, steps, release: true }], CASE_TIMEOUT_MS);
  const c = r.cases[0]!;
  if (c.status !== 'ok') throw new Error(`the probe worker did not finish: ${c.status}`);
  return c.results;
}

/** io_setup(1) in the worker, released at once; `env` gives the CPUs the charges depend on. */
export async function probeProfile(w: WorkerProcess, env: Environment): Promise<ProfileProbe> {
  let last: ProfileProbe | null = null;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const [setup, release] = (await runCase(w, [{ op: 'setup', nr: 1, ctx: 'zero' }])) as [
      SetupResult,
      StepResult,
    ];
    if (setup.ret !== 0)
      return { errno: setup.errno, delta: null, profile: null, attempts: attempt, note: null };
    const before = big(setup.aioNrBefore);
    const after = big(setup.aioNrAfter);
    if (before === null || after === null)
      return {
        errno: null,
        delta: null,
        profile: null,
        attempts: attempt,
        note: 'aio-nr is absent',
      };
    const delta = after - before;
    const releasedTo = release.op === 'release' ? big(release.aioNrAfter) : null;
    const found = profileFromDelta(env, 1, delta);
    // Trust the movement only if aio-nr came back to where it was: nobody else moved it meanwhile.
    if (found && releasedTo === before)
      return { errno: null, delta, profile: found, attempts: attempt, note: null };
    last = {
      errno: null,
      delta,
      profile: null,
      attempts: attempt,
      note: found
        ? `aio-nr moved by ${delta} but did not come back to ${before} (${releasedTo}): another process was busy`
        : `aio-nr moved by ${delta}, which no profile charges for io_setup(1) on ${env.possibleCpus} CPUs`,
    };
  }
  return last!;
}

export type ConfirmStatus =
  /** io_setup(largest) succeeded and io_setup(largest + 1) failed, as the model said. */
  | 'confirmed'
  /** aio-nr kept moving under the probe: nothing could be concluded. */
  | 'moved'
  /** The kernel answered differently from the model. */
  | 'disagrees';

export interface CallSeen {
  readonly nrEvents: number;
  readonly errno: ErrnoName | number | null;
  readonly predicted: ErrnoName | null;
}

export interface Confirmation {
  readonly status: ConfirmStatus;
  /** The aio-nr and largest value the check was made with. */
  readonly aioNr: bigint | null;
  readonly largest: number | null;
  readonly calls: readonly CallSeen[];
  readonly attempts: number;
}

const nameOf = (errno: number): ErrnoName | number => errnoName(errno) ?? errno;

/**
 * io_setup(largest) must succeed and io_setup(largest + 1) must fail, with the
 * first context released in between (its own charge would fail the second).
 * When nothing fits, io_setup(1) must fail. `envNow` builds the environment
 * from the sysctls as they are read just before each attempt.
 */
export async function confirmLargest(
  w: WorkerProcess,
  envNow: (aioMaxNr: bigint, aioNr: bigint) => Environment,
): Promise<Confirmation> {
  let last: Confirmation | null = null;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const max = readAioSysctl('aio-max-nr');
    const nr = readAioSysctl('aio-nr');
    const env = envNow(max ?? 0n, nr ?? 0n);
    const largest = largestAccepted(env);
    const tries = largest === null ? [1] : largest < U32_MAX ? [largest, largest + 1] : [largest];
    const steps: RealStep[] = tries.flatMap((n, i): RealStep[] => [
      ...(i > 0 ? [{ op: 'release' } as const] : []),
      { op: 'setup', nr: n, ctx: 'zero' },
    ]);
    const results = (await runCase(w, steps)).filter((r): r is SetupResult => r.op === 'setup');
    const calls = tries.map((n, i) => ({
      nrEvents: n,
      errno: results[i]!.ret === 0 ? null : nameOf(results[i]!.errno),
      predicted: decideFresh(env, n).errno,
    }));
    const steady = nr === null || results.every((r) => big(r.aioNrBefore) === nr);
    const agree = calls.every((c) => c.errno === c.predicted);
    last = {
      status: !steady ? 'moved' : agree ? 'confirmed' : 'disagrees',
      aioNr: nr,
      largest,
      calls,
      attempts: attempt,
    };
    if (steady) return last;
  }
  return last!;
}
