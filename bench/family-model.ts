/**
 * The family model the bench's engine judges family cases with. The model is
 * merged separately (conformance/family/model-port.ts): its adapter,
 * conformance/family/model-adapter.ts, provides it when imported. Where it is
 * not there yet, the engine would refuse every family case (the judge throws
 * FAMILY_PENDING); the bench then provides a stand-in that judges no family
 * step (each prediction is marked `wouldBlock`, which the judge does not
 * compare), so the engine's figure still covers generation, the worker's
 * calls, the runner-worker traffic and the io_setup judging, but not the
 * family model's own cost. The result says which (`judged`).
 */
import {
  type FamilyModelPort,
  familyModel,
  provideFamilyModel,
} from '../conformance/family/model-port.js';

/** Why the stand-in judges nothing (shown in each step's judgement, should a trace record it). */
const UNJUDGED = 'bench: the family model is not on this branch, family steps are not judged';

const standIn: FamilyModelPort = {
  newState: () => null,
  decide: () => ({ rule: 'bench.unjudged', wouldBlock: UNJUDGED, ret: 0, errno: null }),
  follow: () => {},
  contextGone: () => {},
};

/** Make sure the engine can run family cases; `judged`: whether by the real family model. */
export async function familyModelForBench(): Promise<{ judged: boolean }> {
  if (familyModel() === null) {
    // A specifier the compiler does not resolve: the adapter may not exist on this branch.
    const adapter = '../conformance/family/model-adapter.js';
    await import(adapter).catch((e: NodeJS.ErrnoException) => {
      // Absent is expected here; an adapter that fails to load is a fault to show.
      if (e.code !== 'ERR_MODULE_NOT_FOUND') throw e;
    });
  }
  if (familyModel() !== null && familyModel() !== standIn) return { judged: true };
  provideFamilyModel(standIn);
  return { judged: false };
}
