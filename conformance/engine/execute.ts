/**
 * Runs cases on real workers and has them judged against the model.
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
} from '../../model/index.js';
import type {
  HostInfo,
  RealCase,
  RealStep,
  DestroyTarget as RealTarget,
} from '../../real/protocol.js';
import {
  type BatchOutcome,
  hostLaunch,
  type Launch,
  type WorkerHandle,
  WorkerProcess,
} from '../../real/worker-process.js';
import type { Case, DestroyTarget, Step } from '../cases.js';
import { hostEnvironment } from './host-env.js';
import { Judge } from './judge.js';
import type { ModelRules } from './mirror.js';
import type { Recorder } from './recorder.js';
import type { CaseVerdict, Suite } from './verdict.js';

export interface EngineOptions {
  readonly profile: ProfileName;
  readonly launch?: Launch;
  /** Replace model rules (tests use this to prove a wrong model is caught). */
  readonly rules?: ModelRules;
  /** Milliseconds a batch may take before its worker is killed (default: 60 s + 50 ms a case). */
  readonly batchTimeoutMs?: number;
}

export interface RunOptions {
  /** Each case releases its contexts when it ends (the table: rows meant to be read alone). */
  readonly alone?: boolean;
  /** Cases per worker batch (default 256). */
  readonly batchSize?: number;
  /** Called after each batch with the number of cases done. */
  readonly onProgress?: (done: number, total: number) => void;
}

interface Slot {
  readonly key: string;
  worker: WorkerHandle;
  judge: Judge;
  readonly seccomp: ErrnoName | undefined;
  /** The headroom asked of the worker's fillers (null: no fillers). */
  fill: bigint | null;
}

export class Engine {
  private main!: Slot;
  private readonly sandboxes = new Map<ErrnoName, Slot>();
  private freshCount = 0;
  host!: HostInfo;
  env!: Environment;
  /** Where observations go as they come (a trace writer); null: nowhere. */
  recorder: Recorder | null = null;

  constructor(readonly options: EngineOptions) {}

  async start(): Promise<void> {
    this.main = await this.slot('main');
    this.host = this.main.worker.host;
    this.env = this.main.judge.mirror.env;
  }

  private async slot(key: string, seccomp?: ErrnoName): Promise<Slot> {
    const launch = this.options.launch ?? hostLaunch();
    const worker = await WorkerProcess.start(
      seccomp ? { seccompErrno: errnoNumber(seccomp) } : {},
      launch,
    );
    this.recorder?.worker(key, worker.host);
    const sec: SeccompAction = seccomp ? { action: 'errno', errno: seccomp } : { action: 'allow' };
    return {
      key,
      worker,
      judge: new Judge(hostEnvironment(worker.host, this.options.profile, sec), this.options.rules),
      seccomp,
      fill: null,
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.sandboxes.values()].map((s) => s.worker.close()));
    await this.main?.worker.close();
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
    const extra: CaseVerdict[] = [];
    let done = 0;
    let previous: { batch: CaseVerdict[]; outcome: Promise<BatchOutcome> } | null = null;
    for (const batch of [...batches, null]) {
      const outcome = batch ? this.send(this.main, batch, opts.alone ?? false) : null;
      if (previous) {
        await this.absorb(this.main, previous.batch, await previous.outcome, extra, false);
        done += previous.batch.length;
        opts.onProgress?.(done, verdicts.length);
      }
      previous = batch && outcome ? { batch, outcome } : null;
    }
    if (this.main.fill !== null)
      await this.absorb(this.main, [], await this.send(this.main, [], true, null), extra, false);
    for (const v of verdicts.filter((v) => v.case.seccomp || v.case.freshProcess)) {
      await this.runAlone(v, false);
      opts.onProgress?.(++done, verdicts.length);
    }
    await this.collectPending();
    await this.confirm(verdicts);
    return [...verdicts, ...extra.map((v, i) => ({ ...v, index: verdicts.length + i }))];
  }

  /** Run one case by itself, in the kind of worker it needs. */
  async runAlone(v: CaseVerdict, rerun: boolean): Promise<void> {
    if (v.case.freshProcess) {
      const s = await this.slot(`fresh:${this.freshCount++}`, v.case.seccomp);
      try {
        await this.absorb(s, [v], await this.send(s, [v], true), [], rerun);
      } finally {
        await s.worker.close();
      }
      return;
    }
    const s = await this.slotFor(v.case.seccomp);
    await this.absorb(s, [v], await this.send(s, [v], true), [], rerun);
  }

  private async slotFor(seccomp: ErrnoName | undefined): Promise<Slot> {
    if (!seccomp) return this.main;
    let s = this.sandboxes.get(seccomp);
    if (!s?.worker.alive) {
      s = await this.slot(`seccomp:${seccomp}`, seccomp);
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
    await confirmKinds(verdicts, async (v) => {
      const again: CaseVerdict = {
        suite: v.suite,
        index: v.index,
        case: v.reproducer ?? v.case,
        status: 'pass',
        steps: [],
        moved: false,
        attempts: 0,
      };
      await this.runAlone(again, true);
      await this.collectPending();
      return again;
    });
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

  /** Have a batch's outcome judged (and recorded); a worker that died is replaced, its unrun cases run one by one. */
  private async absorb(
    s: Slot,
    batch: CaseVerdict[],
    out: BatchOutcome,
    extra: CaseVerdict[],
    rerun: boolean,
  ): Promise<void> {
    const headroom = batch[0]?.case.headroom ?? null;
    if (out.fill) {
      this.recorder?.fill(s.key, out.fill);
      s.judge.fill(out.fill, headroom, batch[0]?.suite ?? 'props', extra);
    }
    const reports = out.cases.map(({ id: _id, ...report }) => report);
    reports.forEach((report, i) => {
      const v = batch[i]!;
      this.recorder?.case(s.key, { suite: v.suite, index: v.index, rerun, case: v.case, report });
    });
    s.judge.cases(batch, reports, headroom);
    if (out.released) {
      this.recorder?.release(s.key, out.released);
      s.judge.release(out.released);
    }
    this.completions(s, out.completions);
    if (!s.worker.alive) {
      await this.replaceWorker(s);
      // One at a time: a crash now names its case.
      for (const v of batch.filter((x) => x.status === 'skip')) {
        v.status = 'pass';
        await this.absorb(s, [v], await this.send(s, [v], true), extra, rerun);
      }
    }
  }

  private completions(s: Slot, list: BatchOutcome['completions']): void {
    if (list.length === 0) return;
    this.recorder?.completions(s.key, list);
    s.judge.completions(list);
  }

  /** A worker died: start another in its place (its contexts died with it). */
  private async replaceWorker(s: Slot): Promise<void> {
    s.judge.forgetPending();
    const fresh = await this.slot(s.key, s.seccomp);
    s.worker = fresh.worker;
    s.judge = fresh.judge;
    s.fill = null;
  }

  /** Wait for io_destroy calls still running on the workers' threads and judge their return values. */
  async collectPending(): Promise<void> {
    for (const s of [this.main, ...this.sandboxes.values()]) {
      if (!s.judge.waiting) continue;
      if (s.worker.alive) this.completions(s, await s.worker.drain());
      s.judge.forgetPending(); // whatever is left belonged to a worker that died
    }
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

/**
 * Settle divergences with re-runs: kinds (same signature) stand or fall
 * together; `rerun` runs a case again and returns how it went. A replay passes
 * the re-runs its trace recorded.
 */
export async function confirmKinds(
  verdicts: readonly CaseVerdict[],
  rerun: (v: CaseVerdict) => Promise<CaseVerdict | null>,
): Promise<void> {
  const kinds = new Map<string, CaseVerdict[]>();
  for (const v of verdicts)
    if (v.status === 'diverge') kinds.set(signature(v), [...(kinds.get(signature(v)) ?? []), v]);
  for (const members of kinds.values()) {
    let confirmed: CaseVerdict | undefined;
    let tried = 0;
    while (!confirmed && tried < Math.min(CONFIRM_TRIES, members.length)) {
      const v = members[tried++]!;
      await confirmOne(v, rerun);
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

async function confirmOne(
  v: CaseVerdict,
  rerun: (v: CaseVerdict) => Promise<CaseVerdict | null>,
): Promise<void> {
  const firstMoved = v.moved;
  for (let attempt = 0; attempt < (firstMoved ? 3 : 1); attempt++) {
    const again = await rerun(v);
    if (!again) return; // no re-run to be had (a replay whose trace has none): the first run stands
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

function u64Text(n: bigint): number | string {
  return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString();
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
