/**
 * Running family cases (real/family-protocol.ts) on a worker in tests: one
 * case with its files, a context made by step 0, released at the end.
 */
import type { FamilyRealStep, FamilyStepResult, WireFileSpec } from '../../real/family-protocol.js';
import type { RealStep, StepResult } from '../../real/protocol.js';
import type { WorkerHandle } from '../../real/worker-process.js';

/** Run one case; its results (without the release's), or an error if the worker did not finish it. */
export async function familyCase(
  w: WorkerHandle,
  files: readonly WireFileSpec[],
  steps: readonly RealStep[],
  opts: { pin?: boolean; timeoutMs?: number } = {},
): Promise<StepResult[]> {
  const r = await w.run(
    [{ id: 0, files, steps, release: true, ...(opts.pin ? { pin: true } : {}) }],
    opts.timeoutMs ?? 20_000,
  );
  const c = r.cases[0]!;
  if (c.status !== 'ok') throw new Error(`worker did not finish the case: ${JSON.stringify(c)}`);
  return c.results.slice(0, steps.length);
}

/** A case whose step 0 is io_setup(nr, &ctx): the family steps' results, by their index in `steps` (1-based). */
export async function withContext(
  w: WorkerHandle,
  files: readonly WireFileSpec[],
  steps: readonly FamilyRealStep[],
  opts: { nr?: number; pin?: boolean; timeoutMs?: number } = {},
): Promise<FamilyStepResult[]> {
  // The host is shared: another process may hold all of aio-max-nr for a while, and then this
  // case's io_setup gets EAGAIN through no fault of the kernel's. Such a case is run again once
  // there is room (its other steps ran on no context and changed nothing of the kernel's).
  for (let attempt = 1; ; attempt++) {
    const all = await familyCase(
      w,
      files,
      [{ op: 'setup', nr: opts.nr ?? 8, ctx: 'zero' }, ...steps],
      opts,
    );
    const setup = all[0]!;
    if (setup.op === 'setup' && setup.ret === 0) return all.slice(1) as FamilyStepResult[];
    if (setup.op === 'setup' && setup.errno === EAGAIN && attempt < HOST_FULL_ATTEMPTS) {
      await new Promise((r) => setTimeout(r, 250 * Math.min(attempt, 4)));
      continue;
    }
    throw new Error(
      `io_setup failed${setup.op === 'setup' && setup.errno === EAGAIN ? ` (EAGAIN ${attempt} times: others held aio-max-nr all along)` : ''}: ${JSON.stringify(setup)}`,
    );
  }
}

const EAGAIN = 11;
/** About a minute of retries while others hold every event of aio-max-nr. */
const HOST_FULL_ATTEMPTS = 60;

/** The context of step 0. */
export const CTX = { step: 0 } as const;

/** The family result whose `op` may be T (getevents and pgetevents share one shape). */
export type ResultOf<T extends FamilyStepResult['op']> = FamilyStepResult extends infer R
  ? R extends { op: infer O }
    ? T extends O
      ? R
      : never
    : never
  : never;

/** A result as the family result it must be (throws otherwise). */
export function as<T extends FamilyStepResult['op']>(
  r: StepResult | undefined,
  op: T,
): ResultOf<T> {
  if (r?.op !== op) throw new Error(`expected a ${op} result, got ${JSON.stringify(r)}`);
  return r as ResultOf<T>;
}
