/**
 * Kernel facts about aio-nr ("this io_setup charged exactly N"), measured on a
 * shared host. aio-nr is one counter for the whole kernel: any process may
 * create or destroy contexts while a test's call runs, and the worker's own
 * before/after reads cannot tell its call's charge from someone else's. So a
 * measurement is kept only when nothing else can be seen moving aio-nr around
 * it, and (where the answer is a kernel fact) only when an undisturbed repeat
 * gives the same answer: a test then fails only if the kernel really did
 * something else, never because another process used AIO at the same time.
 *
 * What "nothing else moved it" means here: aio-nr read by this process just
 * before and after the worker call equals the worker's own reads around its
 * syscalls, and consecutive steps of one case agree with each other (each
 * step's "before" is the previous step's "after"). A move between a step's
 * own two reads (microseconds for io_setup; io_destroy's step lasts until
 * aio-nr drops) cannot be seen this way; it changes that step's apparent
 * charge, which is why such answers must repeat.
 *
 * Others may also hold so much of aio-max-nr that a call meant to fit gets
 * EAGAIN: such attempts are retried too, and told apart when it lasts (the
 * room may be held for good), so that it is never reported as the kernel's.
 */
import type { RealStep, StepResult, U64 } from '../../real/protocol.js';
import type { WorkerProcess } from '../../real/worker-process.js';
import { processesHoldingAio } from './processes.js';
import { aioMaxNr, aioNr } from './real.js';
import { steps } from './worker.js';

const EAGAIN = 11;
/** Enough attempts to get through another run's busiest stretch (see pause). */
const ATTEMPTS = 120;
/**
 * Attempts made while others hold too much of aio-max-nr before concluding the
 * room is not there: processes that keep their contexts (a database, a holder
 * another test run left behind) may hold it for good.
 */
const CROWDED_ATTEMPTS = 40;

/** One try at a measurement. */
export interface Attempt<T> {
  /** Why the attempt cannot be trusted (aio-nr moved by others around it), or null. */
  readonly disturbed: string | null;
  /**
   * Why the attempt, undisturbed, did not measure what was meant: others held
   * so much of aio-max-nr that a call meant to fit got EAGAIN. Or null.
   */
  readonly crowded?: string | null;
  /** The answer as a comparable text: two undisturbed attempts agree when these are equal. */
  readonly outcome: string;
  readonly value: T;
  /** Undo what the attempt made (release its contexts) when it is not the one kept. */
  readonly undo?: () => Promise<void>;
}

export interface SettleOptions<T> {
  /**
   * Whether an undisturbed answer must be seen twice before it is believed
   * (default: always). A caller may trust a plain "all agree" at once and
   * confirm only surprising answers.
   */
  readonly confirm?: (value: T) => boolean;
  /**
   * When others hold the room for good: take a crowded attempt as the answer
   * (it is still a true answer, only not the one aimed at). Default: throw
   * NoRoomError.
   */
  readonly crowdedIsAnswer?: boolean;
}

/**
 * Others held too much of aio-max-nr for a call meant to fit, attempt after
 * attempt: what the test meant to measure cannot be measured on this host now.
 * Not a finding about the kernel; the message names who holds the room.
 */
export class NoRoomError extends Error {
  override name = 'NoRoomError';
}

/** Back off a little more each time: another run's bursts of AIO last up to about a second. */
function pause(attempt: number): Promise<void> {
  const ms = Math.min(250, 5 + attempt * 10) * (0.5 + Math.random());
  return new Promise((r) => setTimeout(r, ms));
}

/** Who holds AIO rings now, biggest first, for messages. */
function holdersNow(): string {
  const hs = processesHoldingAio()
    .map((h) => ({ ...h, bytes: h.rings.reduce((n, r) => n + r.bytes, 0) }))
    .sort((a, b) => b.bytes - a.bytes);
  return hs
    .slice(0, 6)
    .map((h) => `pid ${h.pid} (${h.command.slice(0, 60)}): ${h.rings.length} rings`)
    .join('; ');
}

/**
 * Attempt until an undisturbed answer is seen (twice, unless `confirm` says
 * once is enough), undoing the attempts not kept. Throws, naming what was seen,
 * when that never happens (NoRoomError when others held the room throughout).
 */
export async function settle<T>(
  what: string,
  attempt: () => Promise<Attempt<T>>,
  opts: SettleOptions<T> = {},
): Promise<T> {
  const seen = new Set<string>();
  const log: string[] = [];
  let crowded = 0;
  for (let i = 0; i < ATTEMPTS; i++) {
    const a = await attempt();
    const undisturbed = a.disturbed === null;
    const aimed = undisturbed && !a.crowded;
    if (undisturbed && a.crowded) crowded++;
    const counts = aimed || (undisturbed && crowded >= CROWDED_ATTEMPTS && opts.crowdedIsAnswer);
    if (counts) {
      if (seen.has(a.outcome) || !(opts.confirm?.(a.value) ?? true)) return a.value;
      seen.add(a.outcome);
    }
    log.push(
      !undisturbed
        ? `disturbed: ${a.disturbed}`
        : a.crowded
          ? `no room: ${a.crowded}`
          : `undisturbed: ${a.outcome}`,
    );
    await a.undo?.();
    if (undisturbed && a.crowded && crowded >= CROWDED_ATTEMPTS && !opts.crowdedIsAnswer)
      throw new NoRoomError(
        `${what}: not measured: in ${crowded} attempts other processes held too much of ` +
          `aio-max-nr for it (${a.crowded}). Not a finding about the kernel. Holding AIO ` +
          `rings now: ${holdersNow()}`,
      );
    if (!aimed) await pause(i);
  }
  throw new Error(
    `${what}: no answer could be trusted in ${ATTEMPTS} attempts. Either other processes ` +
      `kept moving aio-nr around every attempt, or undisturbed attempts kept disagreeing ` +
      `(the kernel answering differently each time). Last attempts:\n  ${log.slice(-8).join('\n  ')}`,
  );
}

const big = (v: U64 | null | undefined): bigint | null =>
  v === null || v === undefined ? null : BigInt(v);

/** aio-nr as seen before and after, in order, by the steps of one case. */
function readings(results: readonly StepResult[]): [bigint | null, bigint | null][] {
  const out: [bigint | null, bigint | null][] = [];
  for (const r of results) {
    if (r.op === 'setup' || r.op === 'destroy') out.push([big(r.aioNrBefore), big(r.aioNrAfter)]);
    else if (r.op === 'fill') {
      for (const f of r.fillers) out.push([big(f.result.aioNrBefore), big(f.result.aioNrAfter)]);
      out.push([null, big(r.aioNrAfter)]);
    } else if (r.op === 'release') out.push([null, big(r.aioNrAfter)]);
  }
  return out;
}

/**
 * Whether aio-nr moved between reads where only our own calls should have
 * changed it: from this process's read before the case to the first step's,
 * from each step's "after" to the next step's "before", from the last step's
 * "after" to this process's read afterwards. Returns why, or null.
 */
export function movedAround(
  outerBefore: bigint,
  results: readonly StepResult[],
  outerAfter: bigint,
): string | null {
  let last: bigint | null = outerBefore;
  let where = 'before the case';
  const rs = readings(results);
  for (let i = 0; i < rs.length; i++) {
    const [before, after] = rs[i]!;
    if (before !== null && last !== null && before !== last)
      return `aio-nr went from ${last} to ${before} ${where}`;
    last = after;
    where = `between steps ${i} and ${i + 1}`;
  }
  if (last !== null && last !== outerAfter)
    return `aio-nr went from ${last} to ${outerAfter} after the case`;
  return null;
}

/**
 * A fill step that could not bring aio-max-nr - aio-nr down to its headroom:
 * others already held more than that leaves (or took the room meanwhile).
 */
export function fillFellShort(r: StepResult): string | null {
  return r.op === 'fill' && !r.reached
    ? `the fill did not reach its headroom (aio-nr ${r.aioNrAfter}: others hold more)`
    : null;
}

/**
 * A setup step refused with EAGAIN only because others held too much: nr_events
 * alone fits under aio-max-nr, but not on top of what aio-nr already was.
 */
export function crowdedOut(nr: number, r: StepResult, max: bigint = aioMaxNr()): boolean {
  if (r.op !== 'setup' || r.ret === 0 || r.errno !== EAGAIN) return false;
  const before = big(r.aioNrBefore);
  return BigInt(nr) <= max && before !== null && before + BigInt(nr) > max;
}

/** Which setup step of a case others crowded out (crowdedOut), said in words; or null. */
function noRoomFor(
  list: readonly RealStep[],
  results: readonly StepResult[],
  max: bigint,
): string | null {
  for (let i = 0; i < results.length; i++) {
    const s = list[i];
    const r = results[i]!;
    if (s?.op === 'setup' && r.op === 'setup' && crowdedOut(s.nr, r, max))
      return `aio-nr was ${r.aioNrBefore} of ${max} before io_setup(${s.nr})`;
  }
  return null;
}

export interface CaseOptions {
  /** The case needs room for these setups to succeed: attempts where others left too little are retried. */
  readonly room?: boolean;
  /** Its answer is a kernel fact to be seen twice (default true). */
  readonly confirm?: boolean;
  /** The answer of one attempt, compared between attempts (default: every step's errno and aio-nr change). */
  readonly outcome?: (results: readonly StepResult[]) => string;
  /** How to undo an attempt that is not kept (default: release every context the worker holds). */
  readonly undo?: (results: readonly StepResult[]) => Promise<void>;
}

/** Every step's errno (or what it returned) and how much it moved aio-nr. */
export function errnosAndCharges(results: readonly StepResult[]): string {
  return JSON.stringify(
    results.map((r) => {
      if (r.op === 'setup')
        return [r.op, r.ret === 0 ? 0 : r.errno, charge(r.aioNrBefore, r.aioNrAfter)];
      if (r.op === 'destroy')
        return [r.op, r.ret ?? 'pending', r.errno, r.ringGone, charge(r.aioNrBefore, r.aioNrAfter)];
      if (r.op === 'fill') return [r.op, r.reached];
      if (r.op === 'clobber') return [r.op, r.written];
      return [r.op];
    }),
  );
}

function charge(before: U64 | null, after: U64 | null): string {
  const b = big(before);
  const a = big(after);
  return b === null || a === null ? 'no aio-nr' : String(a - b);
}

/** Release every context the worker holds (its io_destroy return values are drained too). */
export async function releaseAll(w: WorkerProcess): Promise<void> {
  await steps(w, [{ op: 'release' }]);
  await w.drain();
}

/**
 * Run `list` as one case in `w` until aio-nr is seen moving only by the case's
 * own steps (and, by default, until two such runs give the same answer); the
 * results of the run kept. The contexts that run made are left to the caller.
 */
export async function quietCase(
  what: string,
  w: WorkerProcess,
  list: readonly RealStep[],
  opts: CaseOptions = {},
): Promise<StepResult[]> {
  const outcome = opts.outcome ?? errnosAndCharges;
  return settle(
    what,
    async () => {
      const outerBefore = aioNr();
      const results = await steps(w, list);
      const outerAfter = aioNr();
      const max = aioMaxNr();
      return {
        disturbed: movedAround(outerBefore, results, outerAfter),
        crowded:
          results.map(fillFellShort).find((why) => why !== null) ??
          (opts.room === true ? noRoomFor(list, results, max) : null),
        outcome: outcome(results),
        value: results,
        undo: () => (opts.undo ? opts.undo(results) : releaseAll(w)),
      };
    },
    { confirm: () => opts.confirm ?? true },
  );
}

/**
 * What one step charged to aio-nr (after minus before), as a kernel fact: the
 * step is repeated (undone in between) until two undisturbed runs agree on
 * its result and charge. Returns that result and charge.
 */
export async function chargeOf<
  S extends StepResult & { aioNrBefore: U64 | null; aioNrAfter: U64 | null },
>(
  what: string,
  w: WorkerProcess,
  step: RealStep,
  opts: CaseOptions = {},
): Promise<{ result: S; charge: bigint }> {
  const [result] = (await quietCase(what, w, [step], opts)) as S[];
  const before = big(result!.aioNrBefore);
  const after = big(result!.aioNrAfter);
  if (before === null || after === null)
    throw new Error(`${what}: the worker read no aio-nr (${JSON.stringify(result)})`);
  return { result: result!, charge: after - before };
}
