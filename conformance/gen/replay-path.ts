/**
 * `--path`: the generated case at a fast-check path, and whether a path can
 * name one at all. A path is the case's index in its suite's stream for the
 * seed, then optional shrink steps, each an index into the shrinks of the case
 * named so far ("42:0:1"). Paths the generator cannot reach are refused in one
 * line: the index before the run (it would otherwise generate up to it, for
 * hours), the shrink steps once the generator is known (they depend on the
 * host's CPUs and page size) and before any case runs.
 */
import fc from 'fast-check';
import type { Case } from '../cases.js';

const PATH = /^\d+(:\d+)*$/;

/**
 * Shrink steps a path may have. Shrinking one of these cases takes tens of
 * steps (a u32 alone is bisected in 32); more than this is no path of ours.
 */
export const MOST_SHRINK_STEPS = 1000;

/** A path that names no generated case: the message is the one line to show (it names --path). */
export class PathUnreachable extends Error {
  override name = 'PathUnreachable';
}

/**
 * What is wrong with `path` before anything is generated, or null. `reach`,
 * when given, is how many cases the run would generate (the index must be
 * below it) and why ("--runs 100").
 */
export function pathProblem(
  path: string,
  reach?: { readonly generated: number; readonly why: string },
): string | null {
  if (!PATH.test(path)) return `--path: "${path}" is not a fast-check path (like 42 or 42:0:1)`;
  const [index, ...shrinks] = path.split(':');
  const { generated, why } = reach ?? {
    generated: Number.MAX_SAFE_INTEGER,
    why: 'the largest index',
  };
  if (BigInt(index!) >= BigInt(generated))
    return `--path: case ${index} is beyond the generator's reach (${why}: ${generated === 0 ? 'no cases' : `cases 0 to ${generated - 1}`})`;
  if (shrinks.length > MOST_SHRINK_STEPS)
    return `--path: ${shrinks.length} shrink steps; no case shrinks that far (at most ${MOST_SHRINK_STEPS})`;
  const huge = shrinks.find((s) => !Number.isSafeInteger(Number(s)));
  if (huge !== undefined)
    return `--path: shrink step ${huge} does not exist (no case has that many shrinks)`;
  return null;
}

/** The case at `path`, or null when a shrink step of it does not exist. */
function caseAt(arb: fc.Arbitrary<Case>, seed: number, path: string): Case | null {
  let found: Case | null = null;
  try {
    fc.check(
      fc.property(arb, (c) => {
        found = c;
        return false; // stop at the case the path names
      }),
      { seed, path, endOnFailure: true },
    );
  } catch (e) {
    // fast-check's word for a shrink step, before the last one, that does not exist.
    if (e instanceof Error && e.message.startsWith('Unable to replay')) return null;
    throw e;
  }
  // A last step that does not exist leaves nothing to run.
  return found;
}

/**
 * The generated case at a fast-check path for a seed (one case), or
 * PathUnreachable naming the first shrink step that does not exist.
 */
export function replayAt(arb: fc.Arbitrary<Case>, seed: number, path: string): Case[] {
  const problem = pathProblem(path);
  if (problem !== null) throw new PathUnreachable(problem);
  const found = caseAt(arb, seed, path);
  if (found !== null) return [found];
  // The longest prefix that exists: steps exist or not in order, so bisect on the prefix length.
  const parts = path.split(':');
  let exists = 1; // the index alone always names a case
  let missing = parts.length;
  while (missing - exists > 1) {
    const mid = (exists + missing) >> 1;
    if (caseAt(arb, seed, parts.slice(0, mid).join(':')) !== null) exists = mid;
    else missing = mid;
  }
  throw new PathUnreachable(
    `--path: shrink step ${exists} of ${parts.length - 1} does not exist: ${parts.slice(0, exists).join(':')} has no shrink ${parts[exists]} (seed ${seed})`,
  );
}
