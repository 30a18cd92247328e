import type { RealStep, StepResult } from '../../real/protocol.js';
import type { WorkerHandle } from '../../real/worker-process.js';

/** Run steps as one case and return their results (throws if the worker did not finish the case). */
export async function steps(
  w: WorkerHandle,
  list: readonly RealStep[],
  timeoutMs = 20_000,
): Promise<StepResult[]> {
  const r = await w.run([{ id: 0, steps: list }], timeoutMs);
  const c = r.cases[0]!;
  if (c.status !== 'ok') throw new Error(`worker did not finish the case: ${JSON.stringify(c)}`);
  return [...c.results];
}

export async function step<T extends StepResult['op']>(
  w: WorkerHandle,
  s: RealStep & { op: T },
): Promise<Extract<StepResult, { op: T }>> {
  return (await steps(w, [s]))[0] as Extract<StepResult, { op: T }>;
}
