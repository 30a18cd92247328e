/**
 * Judging what one worker did against the model, step by step, following the
 * real state. The live engine feeds it batch outcomes as they come back from a
 * worker; a replay feeds it the same outcomes from a trace. It never talks to
 * a kernel.
 *
 * It also watches for other processes. A worker reads aio-nr just before and
 * just after each of its calls; between two calls of one worker nothing of its
 * own changes aio-nr, so the value read before a call must equal the value
 * read after the previous one. When it does not, another process moved the
 * counter, and the runs on both sides of that gap are marked `disturbed`. The
 * same goes for aio-max-nr changing during a batch. Whether that matters is
 * the confirmation policy's call (confirm.ts).
 */

import type { FamilyStep } from '../../model/family/steps.js';
import type { Environment, U32Read } from '../../model/index.js';
import type { FamilyStepResult } from '../../real/family-protocol.js';
import {
  type CaseReport,
  type Completion,
  type FillResult,
  fromU64,
  type QuietWindow,
  type QuietWindows,
  type ReleaseResult,
  type StepResult,
  type U64,
} from '../../real/protocol.js';
import type { Case, DestroyTarget, Step } from '../cases.js';
import { isFamilyOp } from '../family/case-steps.js';
import { judgeFamilyStep } from '../family/judge-family.js';
import { type FamilyState, familyModel } from '../family/model-port.js';
import '../family/model-adapter.js';
import { type Difference, errnoLabel } from '../observe.js';
import type { Attempt } from './confirm.js';
import type { ReportedHost } from './coverage.js';
import { Mirror, type ModelRules } from './mirror.js';
import type { PendingReturn, StepJudgement } from './verdict.js';

export type { CaseReport };

export interface FillReport {
  readonly released: ReleaseResult | null;
  readonly made: FillResult | null;
}

/** A run being judged: an Attempt whose doubts are still being collected. */
interface OpenAttempt extends Attempt {
  disturbed: string | null;
  quiet: boolean;
}

/** Why a watched window shows someone else at work (a counter not constant in it), or null. */
function unquiet(w: QuietWindow, where: string): string | null {
  for (const [name, span] of [
    ['aio-nr', w.aioNr],
    ['aio-max-nr', w.aioMaxNr],
  ] as const)
    if (span && String(span[0]) !== String(span[1]))
      return `${name} moved between ${span[0]} and ${span[1]} ${where} (another process)`;
  return null;
}

/** The value a window held (its counters are constant when it is quiet). */
const held = (w: QuietWindow) => (w.aioNr ? BigInt(w.aioNr[0]) : null);

/** aio-nr as read by the first and the last step of a case that read it. */
function ends(results: readonly StepResult[]): { first: bigint | null; last: bigint | null } {
  const reads = results.filter(
    (r): r is Extract<StepResult, { aioNrBefore: unknown }> => 'aioNrBefore' in r,
  );
  const at = (v: U64 | null | undefined) => (v === null || v === undefined ? null : BigInt(v));
  return { first: at(reads[0]?.aioNrBefore), last: at(reads.at(-1)?.aioNrAfter) };
}

/** Why a worker gave no results for a case, as a reason a person can act on. */
export function failureOf(report: CaseReport): string | null {
  if (report.status === 'crashed')
    return `the worker died (${report.signal ?? `exit status ${report.code}`})${report.stderr ? `: ${report.stderr}` : ''}`;
  if (report.status === 'timeout') return `the worker hung for ${report.afterMs} ms and was killed`;
  return null;
}

const signed = (n: bigint) => (n > 0n ? `+${n}` : `${n}`);

export class Judge {
  readonly mirror: Mirror;
  /** io_destroy calls whose return value comes later, by token. */
  private readonly pending = new Map<number, PendingReturn>();
  /** The last run judged: a gap seen before the next read of aio-nr belongs to it too. */
  private open: OpenAttempt | null = null;
  /** Why the runs of the current batch are in doubt as a whole (aio-max-nr changed during it). */
  private batchDoubt: string | null = null;

  /** `host`: the worker's, as it reported itself (the family model reads its kernel release and CapEff). */
  constructor(
    env: Environment,
    rules?: ModelRules,
    private readonly host: ReportedHost | null = null,
  ) {
    this.mirror = new Mirror(env, rules);
  }

  /**
   * A batch starts: aio-max-nr as read at its start and its end. Its calls are
   * decided with the limit at the start; if the limit changed before the end,
   * every run of the batch is in doubt.
   */
  batch(aioMaxNr: { readonly before: U64 | null; readonly after: U64 | null } | undefined): void {
    this.batchDoubt = null;
    if (!aioMaxNr || aioMaxNr.before === null) return;
    const before = BigInt(aioMaxNr.before);
    this.mirror.setAioMaxNr(before);
    if (aioMaxNr.after !== null && BigInt(aioMaxNr.after) !== before)
      this.batchDoubt = `aio-max-nr changed from ${before} to ${aioMaxNr.after} during the batch`;
  }

  /** Another process moved aio-nr just before `current` read it: the runs on both sides are in doubt. */
  private drifted(drift: bigint, where: string, current: OpenAttempt | null): void {
    if (drift === 0n) return;
    const note = `aio-nr moved by ${signed(drift)} ${where} (another process)`;
    if (this.open && this.open !== current) this.open.disturbed ??= note;
    this.open = null;
    if (current) current.disturbed ??= note;
  }

  /** Follow the fillers a batch released and made (preparation, not cases: never judged as such). */
  fill(fill: FillReport): void {
    if (fill.released) this.release(fill.released, null);
    for (const f of fill.made?.fillers ?? []) {
      const j = this.mirror.setup(f.nr, 'zero', f.result);
      this.drifted(j.drift, 'between filler contexts', null);
    }
  }

  /**
   * Judge one run of a case. `prefix`: where the case ran after other cases
   * of its batch, the setups before it that left contexts (its reproducer's
   * prefix); collected here for the next case. Returns null for a case the
   * worker never got to.
   */
  run(
    c: Case,
    report: CaseReport,
    candidate: number,
    prefix: Step[] | null = null,
  ): { attempt: Attempt; reproducer?: Case } | null {
    if (report.status === 'not-run') return null;
    const kill = report.status === 'crashed' && report.signal === 'SIGSYS' ? this.killed(c) : null;
    const failure = kill ? null : failureOf(report);
    const attempt: OpenAttempt = {
      candidate,
      steps: kill ? [kill] : [],
      disturbed: this.batchDoubt,
      failure,
      quiet: false,
    };
    if (report.status !== 'ok') return { attempt };
    const reproducer =
      prefix && prefix.length > 0 ? { ...c, steps: [...prefix, ...c.steps] } : undefined;
    this.judgeSteps(c, report.results, attempt);
    if (report.quiet) this.watched(report.quiet, report.results.slice(0, c.steps.length), attempt);
    if (prefix)
      c.steps.forEach((step, k) => {
        const r = report.results[k];
        if (step.op === 'setup' && r?.op === 'setup' && r.ref !== undefined) prefix.push(step);
      });
    this.open = attempt;
    return reproducer ? { attempt, reproducer } : { attempt };
  }

  /**
   * The counters were watched just before and just after the case: the run
   * was quiet if they held still in both windows and the case's own first and
   * last reads match them (nobody moved them in between either).
   */
  private watched(q: QuietWindows, results: readonly StepResult[], attempt: OpenAttempt): void {
    const { first, last } = ends(results);
    const doubt =
      unquiet(q.before, 'just before the case') ??
      unquiet(q.after, 'just after the case') ??
      (first !== null && held(q.before) !== null && first !== held(q.before)
        ? `aio-nr moved from ${held(q.before)} to ${first} as the case began (another process)`
        : null) ??
      (last !== null && held(q.after) !== null && last !== held(q.after)
        ? `aio-nr moved from ${last} to ${held(q.after)} as the case ended (another process)`
        : null);
    if (doubt !== null) attempt.disturbed ??= doubt;
    attempt.quiet = doubt === null && attempt.disturbed === null;
  }

  /** The worker released contexts: follow, and notice aio-nr ending elsewhere than this process explains. */
  release(r: ReleaseResult, current: OpenAttempt | null): void {
    const after = fromU64(r.aioNrAfter);
    const expected = this.mirror.expectedAfterRelease(r.refs);
    this.mirror.released(r.refs, after);
    if (after !== null && expected !== null)
      this.drifted(after - expected, 'while contexts were released', current);
  }

  /** Deferred io_destroy return values arrived: judge them. */
  completions(list: readonly Completion[]): void {
    for (const c of list) {
      const p = this.pending.get(c.token);
      if (!p) continue; // a release's own io_destroy
      this.pending.delete(c.token);
      const real = c.ret === 0 ? null : errnoLabel(c.errno);
      if (real !== p.expected) p.step.diffs.push({ field: 'errno', model: p.expected, real });
    }
  }

  get waiting(): boolean {
    return this.pending.size > 0;
  }

  /** Forget deferred return values that will never come (their worker died). */
  forgetPending(): void {
    this.pending.clear();
  }

  /**
   * The worker died of SIGSYS during the case: the observable "killed" of a
   * seccomp KILL. The worker sends a case's results only when the case ends,
   * so only a kill at the first step can be compared (nothing before it is
   * lost); a kill the model places later, or nowhere, stays a crash.
   */
  private killed(c: Case): StepJudgement | null {
    const step = c.steps[0];
    // Only arguments known before the run: a literal io_destroy address, not a handle the worker made.
    const outcome =
      step?.op === 'setup'
        ? this.mirror.predictSetup(step.nr, step.ctx)
        : step?.op === 'destroy' && 'address' in step.target
          ? this.mirror.predictDestroy(BigInt(step.target.address), { readable: false })
          : null;
    if (outcome?.signal !== 'killed') return null;
    return {
      index: 0,
      op: step!.op as 'setup' | 'destroy',
      rule: outcome.rule,
      model: { signal: 'killed' },
      real: { signal: 'killed' },
      diffs: [],
    };
  }

  /** Compare one case's results with the model, step by step. */
  private judgeSteps(
    c: Case,
    results: readonly (StepResult | FamilyStepResult)[],
    attempt: OpenAttempt,
  ): void {
    const m = this.mirror;
    const handles: (bigint | undefined)[] = [];
    const refs: (number | undefined)[] = [];
    const judged = attempt.steps as StepJudgement[];
    const family = this.familyState(c);
    c.steps.forEach((step, i) => {
      const r = results[i];
      handles.push(undefined);
      refs.push(undefined);
      if (isFamilyOp(step.op) && r?.op === step.op) {
        judged.push(
          judgeFamilyStep(
            family!.port,
            family!.state,
            step as FamilyStep,
            i,
            r as FamilyStepResult,
            (ctx) => ('setup' in ctx ? (handles[ctx.setup] ?? 0n) : BigInt(ctx.address)),
          ),
        );
      } else if (step.op === 'setup' && r?.op === 'setup') {
        const env =
          step.asHeadroom === undefined
            ? m.env
            : { ...m.env, asHeadroom: step.asHeadroom + m.state.ringBytes };
        const j = m.setup(step.nr, step.ctx, r, env, step.failNth);
        this.drifted(j.drift, `before step ${i}`, attempt);
        if (r.handle !== undefined) handles[i] = BigInt(r.handle);
        refs[i] = r.ref;
        const also = j.consistent.filter((id) => id !== j.outcome.rule);
        judged.push({
          index: i,
          op: 'setup',
          rule: j.outcome.rule,
          ...(also.length > 0 ? { alsoRules: also } : {}),
          model: j.model,
          real: j.real,
          diffs: [...j.diffs],
        });
      } else if (step.op === 'destroy' && r?.op === 'destroy') {
        const { handle, memory } = modelTarget(step.target, handles, r.handle);
        const j = m.destroy(handle, r, memory);
        this.drifted(j.drift, `before step ${i}`, attempt);
        if (family && r.ringGone) family.port.contextGone(family.state, handle);
        const judgement: StepJudgement = {
          index: i,
          op: 'destroy',
          rule: j.outcome.rule,
          model: j.model,
          real: j.real,
          diffs: [...j.diffs],
        };
        judged.push(judgement);
        if (r.ret === null && r.token !== undefined)
          this.pending.set(r.token, { step: judgement, expected: j.model.errno ?? null });
      } else if (step.op === 'clobber' && r?.op === 'clobber') {
        const ref = refs[step.setup];
        const written = ref === undefined ? false : m.clobber(ref, step.id);
        const diffs: Difference[] =
          written === r.written
            ? []
            : [{ field: 'clobber.written', model: written, real: r.written }];
        judged.push({
          index: i,
          op: 'clobber',
          model: { written },
          real: { written: r.written },
          diffs,
        });
      } else {
        throw new Error(
          `step ${i} (${step.op}): the worker reported ${r ? `a ${r.op}` : 'nothing'}`,
        );
      }
    });
    const release = results[c.steps.length];
    if (release?.op === 'release') this.release(release, attempt);
  }

  /** The family model's state for a case that has family steps (its files opened), else null. */
  private familyState(
    c: Case,
  ): { port: ReturnType<typeof familyModel>; state: FamilyState } | null {
    if (!c.steps.some((s) => isFamilyOp(s.op))) return null;
    const port = familyModel();
    return {
      port,
      state: port.newState({
        env: this.mirror.env,
        proc: this.mirror.state,
        host: this.host,
        files: c.files ?? [],
        pinned: c.pin === true,
      }),
    };
  }
}

/** What the model is given for an io_destroy target, in terms of the real handle the worker used. */
export function modelTarget(
  t: DestroyTarget,
  handles: readonly (bigint | undefined)[],
  realHandle: string,
): { handle: bigint; memory?: U32Read } {
  // A setup that made no context left its ctx at 0: the worker passes 0, and so does the model.
  if ('handle' in t)
    return handles[t.handle] === undefined
      ? { handle: 0n, memory: { readable: false } }
      : { handle: handles[t.handle]! };
  if ('bogus' in t)
    return { handle: BigInt(realHandle), memory: { readable: true, u32: t.bogus.u32 } };
  if ('unmapped' in t) return { handle: BigInt(realHandle), memory: { readable: false } };
  // Literal addresses in cases are 0 and kernel-half ones: nothing readable.
  return { handle: BigInt(t.address), memory: { readable: false } };
}
