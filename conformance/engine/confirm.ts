/**
 * When is a difference a divergence? The confirmation policy, as one pure
 * function over the runs a case has had. The live engine asks it what to do
 * next (re-run, or settled); a replay feeds it the re-runs its trace recorded.
 * It imports nothing that talks to a kernel.
 *
 * The host is shared: another process may create or destroy contexts, or
 * change aio-max-nr, at any moment, and aio-nr is global. What another process
 * can change is only what depends on the counter or the limit: the aio-nr
 * delta of a call, and whether io_setup fails with EAGAIN. Errnos other than
 * EAGAIN, *ctx_idp, the ring and its slot are this process's alone. So:
 *
 * - A run's evidence is *trustworthy* unless the worker died, or a difference
 *   touches the counter while the counter or the limit was seen moving around
 *   the case (see Judge: the reads between a worker's calls must not change).
 * - A case is `diverge` only when it ran again *alone, exactly as the report
 *   prints it*, and two such re-runs with trustworthy evidence differ from the
 *   model in exactly the same way (same steps, fields and values). A
 *   deterministic kernel difference repeats; another process's noise does
 *   not repeat to the event.
 * - A re-run that agrees with the model settles the case: `pass` when every
 *   difference seen was one another process can cause (the counter, EAGAIN),
 *   else `inconclusive` (something that should be deterministic did not
 *   reproduce).
 * - A worker that dies or hangs gives no evidence: `inconclusive`, never a
 *   divergence.
 * - Each case is settled on its own runs: nothing is inherited from cases
 *   that "look alike".
 */
import type { Difference } from '../observe.js';
import type { StepJudgement } from './verdict.js';

/** One run of a case and what it showed. */
export interface Attempt {
  /**
   * Which form of the case ran (an index into the case's candidates): 0 the
   * case alone; 1 the case after the setups that preceded it in its batch
   * (only for cases that ran in a batch with others).
   */
  readonly candidate: number;
  /** Step by step, model against kernel (diffs may still grow: late io_destroy return values). */
  readonly steps: readonly StepJudgement[];
  /** Why this run's aio-nr and aio-max-nr evidence is in doubt (another process moved them), or null. */
  readonly disturbed: string | null;
  /** Why this run produced no evidence at all (the worker died or hung), or null. */
  readonly failure: string | null;
}

/** The first run (in its batch) and every re-run alone, in order. */
export interface Runs {
  readonly first: Attempt;
  readonly reruns: readonly Attempt[];
  /** How many forms the case can be re-run in (1, or 2 when it ran after others in a batch). */
  readonly candidates: number;
}

export type Decision =
  | { readonly kind: 'rerun'; readonly candidate: number }
  | {
      readonly kind: 'settled';
      readonly status: 'pass' | 'diverge' | 'inconclusive';
      readonly reason?: string;
      /** The run that shows the verdict (for a divergence: a confirming re-run). */
      readonly shown: Attempt;
    };

/** Re-runs of one form of a case before it is called inconclusive. */
export const MAX_RERUNS = 4;

export function hasDiffs(a: Attempt): boolean {
  return a.steps.some((s) => s.diffs.length > 0);
}

/**
 * What one difference can be blamed on:
 * - `own`: this process alone (an errno other than EAGAIN, *ctx_idp, the ring,
 *   the slot; a counter the kernel has and the model has not, or the reverse);
 * - `counter`: possibly another process (the aio-nr delta's value, EAGAIN);
 * - `consequence`: the delta of a step whose errno differs for reasons of its
 *   own: it differs because the call did, by however much another process
 *   moved the counter meanwhile, so its value says nothing more.
 */
type Blame = 'own' | 'counter' | 'consequence';

function errnoDecides(s: StepJudgement): boolean {
  const e = s.diffs.find((d) => d.field === 'errno');
  return e !== undefined && e.model !== 'EAGAIN' && e.real !== 'EAGAIN';
}

function blame(s: StepJudgement, d: Difference): Blame {
  if (d.field === 'errno') return d.model === 'EAGAIN' || d.real === 'EAGAIN' ? 'counter' : 'own';
  if (d.field !== 'aioNrDelta') return 'own';
  if (d.model === null || d.real === null) return 'own';
  return errnoDecides(s) ? 'consequence' : 'counter';
}

/** Whether a run's differences could come from another process. */
export function counterSensitive(a: Attempt): boolean {
  return a.steps.some((s) => s.diffs.some((d) => blame(s, d) === 'counter'));
}

export function trustworthy(a: Attempt): boolean {
  return a.failure === null && (a.disturbed === null || !counterSensitive(a));
}

const text = (v: unknown) => (typeof v === 'bigint' ? `${v}n` : JSON.stringify(v));

/** One difference as it must repeat to count as the same: what another process can blur, left out. */
function printOf(s: StepJudgement, d: Difference): string | null {
  if (blame(s, d) === 'consequence') return null;
  // A counter on one side only: that it exists is the kernel's doing; its value may be anyone's.
  if (d.field === 'aioNrDelta' && (d.model === null || d.real === null))
    return `${s.index}:aioNrDelta=${d.model === null ? 'none' : 'some'}/${d.real === null ? 'none' : 'some'}`;
  return `${s.index}:${d.field}=${text(d.model)}/${text(d.real)}`;
}

/** Exactly what differed: step, field, model value and kernel value, for every difference that counts. */
export function fingerprint(a: Attempt): string {
  return a.steps
    .flatMap((s) => s.diffs.map((d) => printOf(s, d)).filter((p): p is string => p !== null))
    .join(';');
}

/** What to do with a case, given the runs it has had. */
export function decide(runs: Runs): Decision {
  const { first } = runs;
  if (first.failure !== null)
    return { kind: 'settled', status: 'inconclusive', reason: first.failure, shown: first };
  if (!hasDiffs(first)) return { kind: 'settled', status: 'pass', shown: first };
  const differing: Attempt[] = [first];
  for (let candidate = 0; candidate < runs.candidates; candidate++) {
    const tries = runs.reruns.filter((r) => r.candidate === candidate);
    let agreed: Attempt | undefined;
    for (const r of tries) {
      if (r.failure !== null)
        return {
          kind: 'settled',
          status: 'inconclusive',
          reason: `a re-run gave no evidence: ${r.failure}`,
          shown: first,
        };
      if (!hasDiffs(r)) {
        agreed = r;
        break;
      }
      differing.push(r);
    }
    if (agreed) {
      // Alone it agrees. With the setups before it in its batch it might not: try that form,
      // unless the first run's difference was one another process can cause (then it was that).
      if (candidate + 1 < runs.candidates && trustworthy(first) && !counterSensitive(first))
        continue;
      // aio-nr is global: a difference in the counter (or EAGAIN) that does not repeat alone is
      // another process's doing, seen or not. Any other difference that does not repeat is a mystery.
      const noise = differing.every(counterSensitive);
      return {
        kind: 'settled',
        status: noise ? 'pass' : 'inconclusive',
        reason: noise
          ? `${first.disturbed ?? 'its aio-nr-dependent difference did not repeat alone (another process using AIO)'}; a re-run agreed with the model`
          : 'differed once, agreed with the model when re-run alone: not reproducible',
        shown: noise ? agreed : first,
      };
    }
    const confirmed = twoAlike(tries.filter(trustworthy));
    if (confirmed)
      return {
        kind: 'settled',
        status: 'diverge',
        reason: `differed from the model in exactly the same way in ${confirmed.count} re-runs alone${counterSensitive(confirmed.shown) ? ', with aio-nr and aio-max-nr steady' : ''}`,
        shown: confirmed.shown,
      };
    if (tries.length < MAX_RERUNS) return { kind: 'rerun', candidate };
    const noisy = tries.filter((t) => !trustworthy(t));
    return {
      kind: 'settled',
      status: 'inconclusive',
      reason:
        noisy.length === tries.length
          ? `${noisy.at(-1)!.disturbed} in each of ${tries.length} re-runs (another process is using AIO)`
          : `the differences did not repeat in ${tries.length} re-runs alone`,
      shown: first,
    };
  }
  // Every form agreed alone (the loop only falls through by `continue` on the last agreeing form).
  return {
    kind: 'settled',
    status: 'inconclusive',
    reason: 'differed in its batch, agreed with the model when re-run alone: not reproducible',
    shown: first,
  };
}

/** Two runs with the same differences, and how many runs share them. */
function twoAlike(runs: readonly Attempt[]): { shown: Attempt; count: number } | null {
  const byPrint = new Map<string, Attempt[]>();
  for (const r of runs) {
    const key = fingerprint(r);
    const same = byPrint.get(key) ?? [];
    same.push(r);
    if (same.length >= 2) return { shown: same[1]!, count: same.length };
    byPrint.set(key, same);
  }
  return null;
}
