/** Comparing divergences as a replay must repeat them. */

export type Differences = {
  step: number;
  diffs: { field: string; model: unknown; real: unknown }[];
}[];

/**
 * What must be the same when a divergence repeats: every difference, except
 * that the aio-nr delta's value is left out (another process using AIO at the
 * same time shifts it; whether the kernel shows a delta at all is kept).
 */
export function sameDivergence(differences: Differences) {
  return differences.map(({ step, diffs }) => ({
    step,
    diffs: diffs.map((d) =>
      d.field === 'aioNrDelta'
        ? { field: d.field, model: d.model === null, real: d.real === null }
        : d,
    ),
  }));
}
