/**
 * Runs cases on real workers and judges every step against the model.
 *
 * A long-lived worker runs the cases in batches, two in flight: the worker runs
 * one while this process judges the other. The contexts a batch's cases make
 * stay until the batch ends and are then released in bulk (io_destroy on the
 * thread pool, done once aio-nr has them back): one by one, each would cost a
 * thread hand-off and a wait. The model follows the real state throughout, and
 * a divergent case is reported with the setups before it in its batch, so that
 * it replays alone in the same state. Filler contexts that set aio-nr's
 * headroom stay across the batches that want the same headroom. Sandboxed
 * cases (seccomp) and cases needing a process that never made a context get
 * workers of their own, and run alone, releasing their contexts when they end.
 */
import {
  type Environment,
  type ErrnoName,
  errnoNumber,
  type ProfileName,
  type SeccompAction,
  type U32Read,
} from '../../model/index.js';
import type {
  HostInfo,
  RealCase,
  RealStep,
  DestroyTarget as RealTarget,
  ReleaseResult,
  StepResult,
} from '../../real/protocol.js';
import {
  type BatchOutcome,
  hostLaunch,
  type Launch,
  WorkerProcess,
} from '../../real/worker-process.js';
import type { Case, DestroyTarget, Step } from '../cases.js';
import { type Difference, errnoLabel } from '../observe.js';
import { hostEnvironment } from './host-env.js';
import { Mirror, type ModelRules } from './mirror.js';
import type { CaseVerdict, PendingReturn, StepJudgement, Suite } from './verdict.js';

export interface EngineOptions {
  readonly profile: ProfileName;
  readonly launch?: Launch;
  /** Replace model rules (tests use this to prove a wrong model is caught). */
  readonly rules?: ModelRules;
  /** Milliseconds a batch may take before its worker is killed (default: 60 s + 50 ms a case). */
  readonly batchTimeoutMs?: number;
}

export interface RunOptions {
  /** Cases per worker batch (default 256). */
  readonly batchSize?: number;
  /** Called after each batch with the number of cases done. */
  readonly onProgress?: (done: number, total: number) => void;
}

interface Slot {
  worker: WorkerProcess;
  mirror: Mirror;
  readonly seccomp: ErrnoName | undefined;
  /** The headroom asked of the worker's fillers (null: no fillers). */
  fill: bigint | null;
}

export class Engine {
  private main!: Slot;
  private readonly sandboxes = new Map<ErrnoName, Slot>();
  private readonly pending = new Map<string, PendingReturn>();
  host!: HostInfo;
  env!: Environment;

  constructor(readonly options: EngineOptions) {}

  async start(): Promise<void> {
    this.main = await this.slot();
    this.host = this.main.worker.host;
    this.env = this.main.mirror.env;
  }

  private async slot(seccomp?: ErrnoName): Promise<Slot> {
    const launch = this.options.launch ?? hostLaunch();
    const worker = await WorkerProcess.start(
      seccomp ? { seccompErrno: errnoNumber(seccomp) } : {},
      launch,
    );
    const sec: SeccompAction = seccomp ? { action: 'errno', errno: seccomp } : { action: 'allow' };
    const mirror = new Mirror(
      hostEnvironment(worker.host, this.options.profile, sec),
      this.options.rules,
    );
    return { worker, mirror, seccomp, fill: null };
  }

  async close(): Promise<void> {
    const slots = [this.main, ...this.sandboxes.values()].filter(Boolean);
    await Promise.all(slots.map((s) => s.worker.close()));
  }

  /** Run cases and judge them; verdicts come back in the order given. */
  async run(suite: Suite, cases: readonly Case[], opts: RunOptions = {}): Promise<CaseVerdict[]> {
    const verdicts = cases.map(
      (c, index): CaseVerdict => ({
        suite,
        index,
        case: c,
        status: 'pass',
        steps: [],
        moved: false,
        attempts: 0,
      }),
    );
    const ordinary = executionOrder(
      verdicts.filter((v) => !v.case.seccomp && !v.case.freshProcess),
      (v) => v.case,
    );
    const batches = groupBy(ordinary, (v) => v.case.headroom ?? null).flatMap((g) =>
      chunk(g, opts.batchSize ?? 256),
    );
    let done = 0;
    let previous: { batch: CaseVerdict[]; outcome: Promise<BatchOutcome> } | null = null;
    for (const batch of [...batches, null]) {
      const outcome = batch ? this.send(this.main, batch) : null;
      if (previous) {
        await this.absorb(this.main, previous.batch, await previous.outcome, verdicts);
        done += previous.batch.length;
        opts.onProgress?.(done, verdicts.length);
      }
      previous = batch && outcome ? { batch, outcome } : null;
    }
    if (this.main.fill !== null)
      await this.absorb(this.main, [], await this.send(this.main, [], true, null), verdicts);
    for (const v of verdicts.filter((v) => v.case.seccomp || v.case.freshProcess)) {
      await this.runAlone(v);
      opts.onProgress?.(++done, verdicts.length);
    }
    await this.collectPending();
    await this.confirm(verdicts);
    return verdicts;
  }

  /** Run one case by itself, in the kind of worker it needs. */
  async runAlone(v: CaseVerdict): Promise<void> {
    if (v.case.freshProcess) {
      const s = await this.slot(v.case.seccomp);
      try {
        await this.absorb(s, [v], await this.send(s, [v], true), []);
      } finally {
        await s.worker.close();
      }
      return;
    }
    const s = await this.slotFor(v.case.seccomp);
    await this.absorb(s, [v], await this.send(s, [v], true), []);
  }

  private async slotFor(seccomp: ErrnoName | undefined): Promise<Slot> {
    if (!seccomp) return this.main;
    let s = this.sandboxes.get(seccomp);
    if (!s) {
      s = await this.slot(seccomp);
      this.sandboxes.set(seccomp, s);
    }
    return s;
  }

  /**
   * Re-run divergences alone before believing them: once, or up to three times
   * when aio-nr moved under the case (another process using AIO). Divergences
   * alike (same signature) stand or fall together: re-running one in a
   * thousand is enough to confirm the rest, and a few that all fail to
   * reproduce make the kind inconclusive.
   */
  private async confirm(verdicts: CaseVerdict[]): Promise<void> {
    const kinds = new Map<string, CaseVerdict[]>();
    for (const v of verdicts)
      if (v.status === 'diverge') kinds.set(signature(v), [...(kinds.get(signature(v)) ?? []), v]);
    for (const members of kinds.values()) {
      let confirmed: CaseVerdict | undefined;
      let tried = 0;
      while (!confirmed && tried < Math.min(CONFIRM_TRIES, members.length)) {
        const v = members[tried++]!;
        await this.confirmOne(v);
        if (v.status === 'diverge') confirmed = v;
      }
      for (const v of members.slice(tried)) {
        v.status = confirmed ? 'diverge' : 'inconclusive';
        v.reason = confirmed
          ? `diverges like ${confirmed.suite} #${confirmed.index}, which diverged again when re-run`
          : 'diverges like cases that did not reproduce when re-run';
      }
    }
  }

  private async confirmOne(v: CaseVerdict): Promise<void> {
    const firstMoved = v.moved;
    for (let attempt = 0; attempt < (firstMoved ? 3 : 1); attempt++) {
      const again: CaseVerdict = {
        suite: v.suite,
        index: v.index,
        case: v.reproducer ?? v.case,
        status: 'pass',
        steps: [],
        moved: false,
        attempts: 0,
      };
      await this.runAlone(again);
      await this.collectPending();
      v.attempts += again.attempts;
      if (again.moved) continue;
      if (again.status === 'diverge') {
        v.steps = again.steps;
        v.reason = again.reason ?? 'diverged again when re-run with aio-nr steady';
        return;
      }
      v.status = firstMoved ? 'pass' : 'inconclusive';
      v.reason = firstMoved
        ? 'aio-nr moved under the first run (another process); the re-run agreed'
        : 'diverged once, agreed when re-run: not reproducible';
      return;
    }
    v.status = 'inconclusive';
    v.reason = 'aio-nr kept moving under the case (another process is using AIO); retried';
  }

  /**
   * Send a batch to the worker; the fillers change first if the batch wants
   * another headroom. `alone`: each case releases its contexts as it ends
   * (re-runs, sandboxes); otherwise the batch's contexts go together at its end.
   */
  private send(
    s: Slot,
    batch: CaseVerdict[],
    alone = false,
    headroom: bigint | null = batch[0]?.case.headroom ?? null,
  ): Promise<BatchOutcome> {
    const fill = headroom === s.fill ? {} : { fill: headroom === null ? null : u64Text(headroom) };
    s.fill = headroom;
    const cases: RealCase[] = batch.map((v, i) => ({
      id: i,
      steps: v.case.steps.map(realStep),
      release: alone,
    }));
    const timeout = this.options.batchTimeoutMs ?? 60_000 + 50 * cases.length;
    return s.worker.run(cases, timeout, { ...fill, releaseAfter: !alone });
  }

  /**
   * Judge a batch's results in order, following the fillers and the release it
   * reports. Each case gets the setups that left contexts before it in the
   * batch as the prefix of its reproducer.
   */
  private async absorb(
    s: Slot,
    batch: CaseVerdict[],
    out: BatchOutcome,
    verdicts: CaseVerdict[],
  ): Promise<void> {
    const headroom = batch[0]?.case.headroom ?? null;
    if (out.fill) this.absorbFill(s, out.fill, headroom, verdicts);
    const prefix: Step[] = [];
    out.cases.forEach((c, i) => {
      const v = batch[i]!;
      v.attempts += 1;
      if (c.status === 'ok') {
        if (prefix.length > 0)
          v.reproducer = {
            ...v.case,
            ...(headroom === null ? {} : { headroom }),
            steps: [...prefix, ...v.case.steps],
          };
        this.judge(s, v, c.results);
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
    if (out.released) this.absorbRelease(s, out.released);
    for (const c of out.completions) this.settle(s, c.token, c.ret, c.errno);
    if (!s.worker.alive) {
      await this.replaceWorker(s);
      // One at a time: a crash now names its case.
      for (const v of batch.filter((x) => x.status === 'skip')) {
        v.status = 'pass';
        await this.absorb(s, [v], await this.send(s, [v], true), verdicts);
      }
    }
  }

  private absorbRelease(s: Slot, r: ReleaseResult): boolean {
    const after = aioNr(r.aioNrAfter);
    const expected = s.mirror.expectedAfterRelease(r.refs);
    s.mirror.released(r.refs, after);
    return after !== null && expected !== null && expected !== after;
  }

  /** Fillers are io_setup calls too: judge them, and report any that diverges as a case of its own. */
  private absorbFill(
    s: Slot,
    fill: NonNullable<BatchOutcome['fill']>,
    headroom: bigint | null,
    verdicts: CaseVerdict[],
  ): void {
    if (fill.released) this.absorbRelease(s, fill.released);
    for (const f of fill.made?.fillers ?? []) {
      const j = s.mirror.setup(f.nr, 'zero', f.result);
      if (j.diffs.length === 0) continue;
      verdicts.push({
        suite: verdicts[0]?.suite ?? 'props',
        index: verdicts.length,
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

  /** A worker died: start another in its place (its contexts died with it). */
  private async replaceWorker(s: Slot): Promise<void> {
    const fresh = await this.slot(s.seccomp);
    s.worker = fresh.worker;
    s.mirror = fresh.mirror;
    s.fill = null;
  }

  /** Compare one case's real results with the model, step by step, following the real state. */
  private judge(s: Slot, v: CaseVerdict, results: readonly StepResult[]): void {
    const m = s.mirror;
    const handles: (bigint | undefined)[] = [];
    const refs: (number | undefined)[] = [];
    const judged: StepJudgement[] = [];
    let moved = false;
    v.case.steps.forEach((step, i) => {
      const r = results[i]!;
      handles.push(undefined);
      refs.push(undefined);
      if (step.op === 'setup' && r.op === 'setup') {
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
      } else if (step.op === 'destroy' && r.op === 'destroy') {
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
          this.pending.set(`${s.worker.pid}:${r.token}`, {
            verdict: v,
            step: i,
            expected: j.model.errno ?? null,
          });
      } else if (step.op === 'clobber' && r.op === 'clobber') {
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
        throw new Error(`step ${i}: expected a ${step.op} result, got ${r.op}`);
      }
    });
    const release = results[v.case.steps.length];
    if (release?.op === 'release' && this.absorbRelease(s, release)) moved = true;
    v.steps = judged;
    v.moved = moved;
    v.status = judged.some((j) => j.diffs.length > 0) ? 'diverge' : 'pass';
  }

  /** A deferred io_destroy return value arrived: judge it. */
  private settle(s: Slot, token: number, ret: number, errno: number): void {
    const key = `${s.worker.pid}:${token}`;
    const p = this.pending.get(key);
    if (!p) return; // a release's own io_destroy
    this.pending.delete(key);
    const real = ret === 0 ? null : errnoLabel(errno);
    if (real !== p.expected) {
      p.verdict.steps[p.step]?.diffs.push({ field: 'errno', model: p.expected, real });
      p.verdict.status = 'diverge';
    }
  }

  /** Wait for io_destroy calls still running on the workers' threads and judge their return values. */
  async collectPending(): Promise<void> {
    if (this.pending.size === 0) return;
    for (const s of [this.main, ...this.sandboxes.values()]) {
      if (!s.worker.alive) continue;
      for (const c of await s.worker.drain()) this.settle(s, c.token, c.ret, c.errno);
    }
    this.pending.clear(); // whatever is left belonged to workers that died
  }
}

/** How many divergences of one kind are re-run before the kind is called inconclusive. */
const CONFIRM_TRIES = 3;

/**
 * What kind of divergence a case shows: at its first differing step, the
 * model's deciding rule, the fields that differ and the errno on each side.
 * (Later steps follow the real state, so the first difference is the cause.)
 */
export function signature(v: CaseVerdict): string {
  const s = v.steps.find((x) => x.diffs.length > 0);
  if (!s) return `worker: ${v.reason ?? ''}`;
  const errno = s.diffs.find((d) => d.field === 'errno');
  const fields = s.diffs.map((d) => d.field.split('.')[0]).filter((f, i, a) => a.indexOf(f) === i);
  return `${s.op}:${s.rule ?? '-'}:${fields.join(',')}${errno ? `:${String(errno.model)}/${String(errno.real)}` : ''}`;
}

function groupBy<T, K>(items: readonly T[], key: (t: T) => K): T[][] {
  const groups: T[][] = [];
  let last: K | undefined;
  for (const item of items) {
    const k = key(item);
    if (groups.length === 0 || k !== last) groups.push([]);
    groups.at(-1)!.push(item);
    last = k;
  }
  return groups;
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The order cases run in: as found first, then from the most headroom to the least (fillers are only ever added to). */
export function executionOrder<T = Case>(
  items: readonly T[],
  caseOf: (t: T) => Case = (t) => t as Case,
): T[] {
  return [...items].sort((a, b) => compareHeadroom(caseOf(a).headroom, caseOf(b).headroom));
}

function compareHeadroom(a: bigint | undefined, b: bigint | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  return a > b ? -1 : 1;
}

function modelTarget(
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

function u64Text(n: bigint): number | string {
  return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString();
}

function aioNr(v: number | string | null): bigint | null {
  return v === null ? null : BigInt(v);
}

function realTarget(target: DestroyTarget): RealTarget {
  if ('handle' in target) return { step: target.handle };
  if ('bogus' in target) return { scratch: target.bogus };
  if ('unmapped' in target) return { unmapped: true };
  return { address: target.address };
}

function realStep(s: Step): RealStep {
  if (s.op === 'setup')
    return s.asHeadroom === undefined
      ? { op: 'setup', nr: s.nr, ctx: s.ctx }
      : { op: 'setup', nr: s.nr, ctx: s.ctx, asHeadroom: u64Text(s.asHeadroom) };
  if (s.op === 'clobber') return { op: 'clobber', step: s.setup, id: s.id };
  return { op: 'destroy', target: realTarget(s.target) };
}
