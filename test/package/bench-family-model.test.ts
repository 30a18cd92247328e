/**
 * The bench says whether the family stream's steps were judged: by the family
 * model when one is provided, else (the model not merged) by a stand-in that
 * judges none, and then says so.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { familyModelForBench } from '../../bench/family-model.js';
import {
  type FamilyModelPort,
  familyModel,
  provideFamilyModel,
} from '../../conformance/family/model-port.js';

const provided: FamilyModelPort = {
  newState: () => ({}),
  decide: () => ({ rule: 'submit.ok', ret: 1, errno: null }),
  follow: () => {},
  contextGone: () => {},
};

describe("the bench's family model", () => {
  afterEach(() => provideFamilyModel(null));

  it('is the provided one, judged', async () => {
    provideFamilyModel(provided);
    expect(await familyModelForBench()).toEqual({ judged: true });
    expect(familyModel()).toBe(provided);
  });

  it('without one, is a stand-in whose predictions are never compared, and says so', async () => {
    provideFamilyModel(null);
    expect(await familyModelForBench()).toEqual({ judged: false });
    const port = familyModel()!;
    const p = port.decide(
      port.newState({} as never),
      { op: 'fdread', fd: { file: 0 }, bytes: 8 },
      0,
      () => 0n,
    );
    expect(p.wouldBlock).toMatch(/not judged/);
    // Asked again, it still knows the stand-in is not the model.
    expect(await familyModelForBench()).toEqual({ judged: false });
  });
});
