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
 * - A case is `diverge` only when it ran again *alone, exactly as the report
 *   prints it*, and its re-runs with trustworthy evidence differ from the
 *   model in exactly the same way (same steps, fields and values): two of
 *   them, or three where EAGAIN is involved. A deterministic kernel
 *   difference repeats; another process's noise does not, to the event.
 * - A run's evidence is *trustworthy* unless the worker died, or a difference
 *   depends on the counter and the run did not see the counter still:
 *   - an aio-nr delta of another value: the reads between the worker's calls
 *     must not have moved (see Judge);
 *   - EAGAIN against success: that much, and more, because its values are
 *     always the same: another process that charges aio-nr for an instant (an
 *     io_setup whose final write faults holds its charge for microseconds)
 *     turns a call that needs all the room into EAGAIN between two reads that
 *     both see the room free. Such re-runs are watched: aio-nr and aio-max-nr
 *     must hold still for QUIET_MS just before and just after the case, which
 *     no process doing AIO around it lets happen.
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
  /**
   * Whether the run was watched and seen quiet: aio-nr and aio-max-nr held
   * still for QUIET_MS just before and just after it.
   */
  readonly quiet: boolean;
}

/** The first run (in its batch) and every re-run alone, in order. */
export interface Runs {
  readonly first: Attempt;
  readonly reruns: readonly Attempt[];
  /** How many forms the case can be re-run in (1, or 2 when it ran after others in a batch). */
  readonly candidates: number;
}

export type Decision =
  | {
      readonly kind: 'rerun';
      readonly candidate: number;
      /** Watch the counters around the re-run (an EAGAIN difference needs it to count). */
      readonly watch: boolean;
    }
  | {
      readonly kind: 'settled';
      readonly status: 'pass' | 'diverge' | 'inconclusive';
      readonly reason?: string;
      /** The run that shows the verdict (for a divergence: a confirming re-run). */
      readonly shown: Attempt;
    };

/** Milliseconds the counters are watched just before and just after a re-run that needs it. */
export const QUIET_MS = 10;

/** Re-runs of one form of a case before it is called inconclusive (EAGAIN: more, as it needs more). */
export const MAX_RERUNS = 4;
const MAX_RERUNS_EAGAIN = 6;

/** Re-runs that must differ alike to confirm (EAGAIN: one more, its values never vary). */
const ALIKE = 2;
const ALIKE_EAGAIN = 3;

export function hasDiffs(a: Attempt): boolean {
  return a.steps.some((s) => s.diffs.length > 0);
}

/**
 * What one difference can be blamed on:
 * - `own`: this process alone (an errno other than EAGAIN, *ctx_idp, the ring,
 *   the slot; a counter the kernel has and the model has not, or the reverse);
 * - `eagain`: EAGAIN on one side: possibly another process, even unseen;
 * - `counter`: the aio-nr delta's value: possibly another process;
 * - `consequence`: the delta of a step whose errno differs for reasons of its
 *   own: it differs because the call did, by however much another process
 *   moved the counter meanwhile, so its value says nothing more.
 */
type Blame = 'own' | 'eagain' | 'counter' | 'consequence';

function errnoDecides(s: StepJudgement): boolean {
  const e = s.diffs.find((d) => d.field === 'errno');
  return e !== undefined && e.model !== 'EAGAIN' && e.real !== 'EAGAIN';
}

function blame(s: StepJudgement, d: Difference): Blame {
  if (d.field === 'errno') return d.model === 'EAGAIN' || d.real === 'EAGAIN' ? 'eagain' : 'own';
  if (d.field !== 'aioNrDelta') return 'own';
  if (d.model === null || d.real === null) return 'own';
  return errnoDecides(s) ? 'consequence' : 'counter';
}

const blamed = (a: Attempt, which: readonly Blame[]) =>
  a.steps.some((s) => s.diffs.some((d) => which.includes(blame(s, d))));

/** Whether a run's differences could come from another process. */
export function counterSensitive(a: Attempt): boolean {
  return blamed(a, ['counter', 'eagain']);
}

/** Whether a run's differences involve EAGAIN (they then need a watched, quiet re-run to count). */
export function eagainInvolved(a: Attempt): boolean {
  return blamed(a, ['eagain']);
}

export function trustworthy(a: Attempt): boolean {
  if (a.failure !== null) return false;
  if (!counterSensitive(a)) return true;
  return a.disturbed === null && (!eagainInvolved(a) || a.quiet);
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
    const eagain = differing.some(eagainInvolved);
    const confirmed = alike(tries.filter(trustworthy), eagain ? ALIKE_EAGAIN : ALIKE);
    if (confirmed)
      return {
        kind: 'settled',
        status: 'diverge',
        reason: `differed from the model in exactly the same way in ${confirmed.count} re-runs alone${eagain ? ', with aio-nr and aio-max-nr still around each' : counterSensitive(confirmed.shown) ? ', with aio-nr and aio-max-nr steady' : ''}`,
        shown: confirmed.shown,
      };
    if (tries.length < (eagain ? MAX_RERUNS_EAGAIN : MAX_RERUNS))
      return { kind: 'rerun', candidate, watch: eagain };
    const noisy = tries.filter((t) => !trustworthy(t));
    return {
      kind: 'settled',
      status: 'inconclusive',
      reason:
        noisy.length === tries.length
          ? `${noisy.at(-1)!.disturbed ?? 'aio-nr could not be seen still around it'} in each of ${tries.length} re-runs (another process is using AIO)`
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

/** `n` runs with the same differences (the last of them shows it), and how many share them. */
function alike(runs: readonly Attempt[], n: number): { shown: Attempt; count: number } | null {
  const byPrint = new Map<string, Attempt[]>();
  for (const r of runs) {
    const key = fingerprint(r);
    const same = byPrint.get(key) ?? [];
    same.push(r);
    if (same.length >= n) return { shown: r, count: same.length };
    byPrint.set(key, same);
  }
  return null;
}
