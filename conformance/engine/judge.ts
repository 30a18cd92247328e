/**
 * Judging what one worker did against the model, step by step, following the
 * real state. The live engine feeds it batch outcomes as they come back from a
 * worker; a replay feeds it the same outcomes from a trace. It never talks to
 * a kernel.
 */
import type { Environment, U32Read } from '../../model/index.js';
import type { Completion, FillResult, ReleaseResult, StepResult } from '../../real/protocol.js';
import type { DestroyTarget, Step } from '../cases.js';
import { type Difference, errnoLabel } from '../observe.js';
import { Mirror, type ModelRules } from './mirror.js';
import type { CaseVerdict, PendingReturn, StepJudgement } from './verdict.js';

/** What a worker reported for one case: its step results, or why it has none. */
export type CaseReport =
  | { readonly status: 'ok'; readonly results: readonly StepResult[] }
  | {
      readonly status: 'crashed';
      readonly signal: string | null;
      readonly code: number | null;
      readonly stderr: string;
    }
  | { readonly status: 'timeout'; readonly afterMs: number }
  | { readonly status: 'not-run' };

export interface FillReport {
  readonly released: ReleaseResult | null;
  readonly made: FillResult | null;
}

export class Judge {
  readonly mirror: Mirror;
  /** io_destroy calls whose return value comes later, by token. */
  private readonly pending = new Map<number, PendingReturn>();

  constructor(env: Environment, rules?: ModelRules) {
    this.mirror = new Mirror(env, rules);
  }

  /** Judge the fillers a batch made (and released): divergent fillers become cases of their own. */
  fill(
    fill: FillReport,
    headroom: bigint | null,
    suite: CaseVerdict['suite'],
    extra: CaseVerdict[],
  ): void {
    if (fill.released) this.release(fill.released);
    for (const f of fill.made?.fillers ?? []) {
      const j = this.mirror.setup(f.nr, 'zero', f.result);
      if (j.diffs.length === 0) continue;
      extra.push({
        suite,
        index: -1,
        case: {
          name: `filler for headroom ${headroom}`,
          steps: [{ op: 'setup', nr: f.nr, ctx: 'zero' }],
        },
        status: 'diverge',
        steps: [
          {
            index: 0,
            op: 'setup',
            rule: j.outcome.rule,
            model: j.model,
            real: j.real,
            diffs: [...j.diffs],
          },
        ],
        moved: j.moved,
        attempts: 1,
      });
    }
  }

  /**
   * Judge a batch's cases in order. In a batch that keeps its contexts to the
   * end, each case gets the setups before it that left contexts as the prefix
   * of its reproducer.
   */
  cases(
    batch: readonly CaseVerdict[],
    reports: readonly CaseReport[],
    headroom: bigint | null,
  ): void {
    const prefix: Step[] = [];
    reports.forEach((c, i) => {
      const v = batch[i]!;
      v.attempts += 1;
      if (c.status === 'ok') {
        if (prefix.length > 0)
          v.reproducer = {
            ...v.case,
            ...(headroom === null ? {} : { headroom }),
            steps: [...prefix, ...v.case.steps],
          };
        this.judge(v, c.results);
        v.case.steps.forEach((step, k) => {
          const r = c.results[k];
          if (step.op === 'setup' && r?.op === 'setup' && r.ref !== undefined) prefix.push(step);
        });
      } else if (c.status === 'not-run') v.status = 'skip';
      else {
        v.status = 'diverge';
        v.reason =
          c.status === 'crashed'
            ? `the worker died: ${c.signal ?? `exit ${c.code}`} ${c.stderr}`.trim()
            : `the worker hung for ${c.afterMs} ms`;
      }
    });
  }

  /** The worker released contexts; returns whether aio-nr then differed from the model's count (it moved). */
  release(r: ReleaseResult): boolean {
    const after = aioNr(r.aioNrAfter);
    const expected = this.mirror.expectedAfterRelease(r.refs);
    this.mirror.released(r.refs, after);
    return after !== null && expected !== null && expected !== after;
  }

  /** Deferred io_destroy return values arrived: judge them. */
  completions(list: readonly Completion[]): void {
    for (const c of list) {
      const p = this.pending.get(c.token);
      if (!p) continue; // a release's own io_destroy
      this.pending.delete(c.token);
      const real = c.ret === 0 ? null : errnoLabel(c.errno);
      if (real !== p.expected) {
        p.verdict.steps[p.step]?.diffs.push({ field: 'errno', model: p.expected, real });
        p.verdict.status = 'diverge';
      }
    }
  }

  get waiting(): boolean {
    return this.pending.size > 0;
  }

  /** Forget deferred return values that will never come (their worker died). */
  forgetPending(): void {
    this.pending.clear();
  }

  /** Compare one case's results with the model, step by step. */
  private judge(v: CaseVerdict, results: readonly StepResult[]): void {
    const m = this.mirror;
    const handles: (bigint | undefined)[] = [];
    const refs: (number | undefined)[] = [];
    const judged: StepJudgement[] = [];
    let moved = false;
    v.case.steps.forEach((step, i) => {
      const r = results[i];
      handles.push(undefined);
      refs.push(undefined);
      if (step.op === 'setup' && r?.op === 'setup') {
        const env =
          step.asHeadroom === undefined
            ? m.env
            : { ...m.env, asHeadroom: step.asHeadroom + m.state.ringBytes };
        const j = m.setup(step.nr, step.ctx, r, env);
        if (r.handle !== undefined) handles[i] = BigInt(r.handle);
        refs[i] = r.ref;
        moved ||= j.moved;
        judged.push({
          index: i,
          op: 'setup',
          rule: j.outcome.rule,
          model: j.model,
          real: j.real,
          diffs: [...j.diffs],
        });
      } else if (step.op === 'destroy' && r?.op === 'destroy') {
        const { handle, memory } = modelTarget(step.target, handles, r.handle);
        const j = m.destroy(handle, r, memory);
        moved ||= j.moved;
        judged.push({
          index: i,
          op: 'destroy',
          rule: j.outcome.rule,
          model: j.model,
          real: j.real,
          diffs: [...j.diffs],
        });
        if (r.ret === null && r.token !== undefined)
          this.pending.set(r.token, { verdict: v, step: i, expected: j.model.errno ?? null });
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
    const release = results[v.case.steps.length];
    if (release?.op === 'release' && this.release(release)) moved = true;
    v.steps = judged;
    v.moved = moved;
    v.status = judged.some((j) => j.diffs.length > 0) ? 'diverge' : 'pass';
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

function aioNr(v: number | string | null): bigint | null {
  return v === null ? null : BigInt(v);
}
