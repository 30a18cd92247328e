/**
 * Runs cases on real workers, has them judged against the model, and settles
 * every case that differs with re-runs of its own (confirm.ts decides).
 *
 * A long-lived worker runs the cases in batches, two in flight: the worker runs
 * one while this process judges the other. The contexts a batch's cases make
 * stay until the batch ends and are then released in bulk (io_destroy on the
 * thread pool, done once their rings are gone): one by one, each would cost a
 * thread hand-off and a wait. The model follows the real state throughout.
 * Cases meant to be read alone (table rows, stateful sequences, every re-run)
 * release their contexts as they end. Filler contexts that set aio-nr's
 * headroom stay across the batches that want the same headroom; they are
 * preparation, never cases. Sandboxed cases (seccomp) and cases needing a
 * process that never made a context get workers of their own: children of the
 * main worker, in its kernel (a target that boots one boots it once).
 *
 * A worker that dies (killed by anyone, at any moment) or hangs is replaced;
 * the cases it had not finished run again one by one, and the one it died on
 * ends inconclusive with the reason. Children die with the main worker, so a
 * dead main worker is replaced before any child starts again. A worker that
 * cannot be started leaves its cases skipped with the reason. Neither is ever
 * a divergence.
 */

import type { FamilyStep } from '../../model/family/steps.js';
import {
  type ErrnoName,
  errnoNumber,
  type ProfileName,
  type SeccompAction,
  type SeccompProfile,
} from '../../model/index.js';
import type { FamilyRealStep, WireFileSpec } from '../../real/family-protocol.js';
import {
  type HostInfo,
  jsonInteger,
  type RealCase,
  type RealStep,
  type DestroyTarget as RealTarget,
} from '../../real/protocol.js';
import {
  type BatchOutcome,
  hostLaunch,
  type Launch,
  type WorkerHandle,
  WorkerProcess,
  WorkerStartError,
} from '../../real/worker-process.js';
import type { Case, DestroyTarget, Step } from '../cases.js';
import { isFamilyOp } from '../family/case-steps.js';
import { familyRealStep, wireFiles } from '../family/to-wire.js';
import { type Attempt, type Decision, decide, QUIET_MS } from './confirm.js';
import { hostEnvironment } from './host-env.js';
import { Judge } from './judge.js';
import type { ModelRules } from './mirror.js';
import type { Recorder } from './recorder.js';
import { type CaseVerdict, newVerdict, type Suite } from './verdict.js';

export interface EngineOptions {
  readonly profile: ProfileName;
  /** Where observations go as they come (a trace writer); absent: nowhere. */
  readonly recorder?: Recorder;
  readonly launch?: Launch;
  /** Milliseconds the main worker has to say it is ready (default 60 s: a UML guest boots in it first). */
  readonly startTimeoutMs?: number;
  /** Replace model rules (tests use this to prove a wrong model is caught). */
  readonly rules?: ModelRules;
  /** Milliseconds a batch may take before its worker is killed (default: 60 s + 50 ms a case). */
  readonly batchTimeoutMs?: number;
  /** The seccomp profile every worker runs under: the model resolves it with what each worker detected. */
  readonly seccompProfile?: SeccompProfile;
}

export interface RunOptions {
  /** Each case releases its contexts when it ends (table rows and sequences: meant to be read alone). */
  readonly alone?: boolean;
  /** Cases per worker batch (default 256). */
  readonly batchSize?: number;
  /**
   * Stop as soon as it can when this aborts (Ctrl-C, a time limit, enough
   * divergences): no new batch is sent, and the cases that did not run are
   * left out of the verdicts (a case that ran but could not be settled is
   * inconclusive, with the reason).
   */
  readonly signal?: AbortSignal;
  /** Whether these runs go to the engine's recorder (default true; shrinking's own runs do not). */
  readonly record?: boolean;
  /** The index in its suite of the first case given (a chunk of a larger run). */
  readonly firstIndex?: number;
  /** Called after each batch of first runs with the number of cases done. */
  readonly onProgress?: (done: number, total: number) => void;
}

interface Slot {
  readonly key: string;
  worker: WorkerHandle;
  judge: Judge;
  readonly seccomp: ErrnoName | undefined;
  /** The headroom asked of the worker's fillers (null: no fillers). */
  fill: bigint | null;
  /** Why this kind of worker can no longer be started (its cases are skipped), or null. */
  broken: string | null;
}

/** A case being settled: its runs so far and the forms it can be re-run in. */
interface Tracking {
  readonly v: CaseVerdict;
  first: Attempt | null;
  readonly reruns: Attempt[];
  /** Why it could not run at all (skipped), or null. */
  skipped: string | null;
  settled: boolean;
}

/** One run to make: a case in one of its forms. */
interface Job {
  readonly t: Tracking;
  readonly case: Case;
  readonly candidate: number;
  readonly rerun: boolean;
  /** Watch aio-nr and aio-max-nr just before and after it (QUIET_MS). */
  readonly watch?: boolean;
}

/** Tries to start a worker before its cases are given up as skipped. */
const START_TRIES = 10;

/** WorkerStartError codes after which another try cannot go better. */
const FINAL_START_ERRORS: ReadonlySet<string> = new Set(['EMFILE', 'ENFILE', 'ETIMEDOUT']);

export class Engine {
  private main!: Slot;
  /** The main worker's process (main.worker): every other worker is its child. */
  private parent!: WorkerProcess;
  /** Why the main worker could not be started again after it died (then no child can start), or null. */
  private parentLost: string | null = null;
  /** The main worker being replaced for children starting together: one replacement for all. */
  private parentReplacement: Promise<void> | null = null;
  private readonly sandboxes = new Map<ErrnoName, Slot>();
  /** Sandboxes no worker could be started for, and why. */
  private readonly brokenSandboxes = new Map<ErrnoName, string>();
  private freshCount = 0;
  host!: HostInfo;
  /** Where the runs being made now are recorded (the engine's recorder, or null while a run is not). */
  private recorder: Recorder | null;

  constructor(readonly options: EngineOptions) {
    this.recorder = options.recorder ?? null;
  }

  async start(): Promise<void> {
    // The main worker must start (a few tries: it may be killed as it starts); without it nothing can run.
    const main = await this.trySlot('main');
    if (main instanceof Error) throw main;
    this.main = main;
    this.host = main.worker.host;
  }

  private async slot(key: string, seccomp?: ErrnoName): Promise<Slot> {
    const worker = key === 'main' ? await this.startMain() : await this.startChild(seccomp);
    this.recorder?.worker(key, worker.host);
    const sec: SeccompAction = seccomp ? { action: 'errno', errno: seccomp } : { action: 'allow' };
    return {
      key,
      worker,
      judge: new Judge(
        hostEnvironment(worker.host, this.options.profile, sec, this.options.seccompProfile),
        this.options.rules,
        worker.host,
      ),
      seccomp,
      fill: null,
      broken: null,
    };
  }

  private async startMain(): Promise<WorkerProcess> {
    const worker = await WorkerProcess.start(
      this.options.launch ?? hostLaunch(),
      this.options.startTimeoutMs,
    );
    this.parent = worker;
    return worker;
  }

  /** A child of the main worker; a dead main worker (its children died with it) is replaced first. */
  private async startChild(seccomp: ErrnoName | undefined): Promise<WorkerHandle> {
    if (!this.main.worker.alive && this.main.broken === null) {
      this.parentReplacement ??= this.replaceWorker(this.main).finally(() => {
        this.parentReplacement = null;
      });
      await this.parentReplacement;
    }
    if (this.parentLost !== null)
      throw new WorkerStartError(
        `its parent, the main worker, died and could not be started again: ${this.parentLost}`,
      );
    return this.parent.spawnChild(seccomp ? { seccompErrno: errnoNumber(seccomp) } : {});
  }

  /** A slot for a new worker, or why none could be started (the last failure, as a WorkerStartError). */
  private async trySlot(key: string, seccomp?: ErrnoName): Promise<Slot | WorkerStartError> {
    let last: WorkerStartError | undefined;
    let tries = 0;
    while (tries < START_TRIES) {
      tries++;
      try {
        return await this.slot(key, seccomp);
      } catch (e) {
        last = e instanceof WorkerStartError ? e : new WorkerStartError((e as Error).message);
        // Out of descriptors or processes, no main worker to start a child from, or a worker that
        // stayed silent for the whole start timeout (a guest that never runs it): trying again will not help.
        if (FINAL_START_ERRORS.has(last.code ?? '') || this.parentLost !== null) break;
      }
    }
    return tries === 1
      ? last!
      : new WorkerStartError(`${last!.message} (${tries} tries)`, last!.code);
  }

  async close(): Promise<void> {
    await Promise.all([...this.sandboxes.values()].map((s) => s.worker.close()));
    await this.main?.worker.close();
  }

  /** Run cases and settle every one; verdicts come back in the order given. */
  async run(suite: Suite, cases: readonly Case[], opts: RunOptions = {}): Promise<CaseVerdict[]> {
    const tracks = cases.map(
      (c, index): Tracking => ({
        v: newVerdict(suite, (opts.firstIndex ?? 0) + index, c),
        first: null,
        reruns: [],
        skipped: null,
        settled: false,
      }),
    );
    const jobs = tracks.map((t): Job => ({ t, case: t.v.case, candidate: 0, rerun: false }));
    // Runs asked not to be recorded (shrinking's) are not, and the recorder is back for the next.
    this.recorder = opts.record === false ? null : (this.options.recorder ?? null);
    try {
      await this.execute(jobs, opts.alone ?? false, opts);
      await this.settle(tracks, opts.signal);
    } finally {
      this.recorder = this.options.recorder ?? null;
    }
    // A stopped run leaves out the cases it never got to (they are not counted anywhere).
    return tracks.filter((t) => t.first !== null || t.skipped !== null).map((t) => t.v);
  }

  /** Re-run, alone, every case whose runs so far leave it unsettled, until none is (or the run stops). */
  private async settle(tracks: readonly Tracking[], signal?: AbortSignal): Promise<void> {
    await this.collectPending();
    for (;;) {
      const jobs: Job[] = [];
      for (const t of tracks) {
        if (t.settled) continue;
        if (signal?.aborted && t.first !== null && t.reruns.length >= 0) {
          const d = decide({
            first: t.first,
            reruns: t.reruns,
            candidates: candidates(t.v).length,
          });
          if (d.kind === 'rerun') {
            t.v.steps = t.first.steps as CaseVerdict['steps'];
            t.v.disturbed = t.first.disturbed;
            finish(t, {
              status: 'inconclusive',
              reason: `the run was stopped before re-runs could settle it (${reasonOf(signal)})`,
            });
            continue;
          }
        }
        if (t.first === null) {
          finish(t, {
            status: 'skip',
            reason: t.skipped ?? 'the case never ran',
          });
          continue;
        }
        const forms = candidates(t.v);
        const d = decide({ first: t.first, reruns: t.reruns, candidates: forms.length });
        if (d.kind === 'settled') settleWith(t, d, forms);
        else if (signal?.aborted) {
          // It wants a re-run the stopped run will not make: what it showed stays unconfirmed.
          t.v.steps = t.first.steps as CaseVerdict['steps'];
          t.v.disturbed = t.first.disturbed;
          finish(t, {
            status: 'inconclusive',
            reason: `the run stopped before re-runs could settle it (${reasonOf(signal)})`,
          });
        } else
          jobs.push({
            t,
            case: forms[d.candidate]!,
            candidate: d.candidate,
            rerun: true,
            watch: d.watch,
          });
      }
      if (jobs.length === 0) return;
      await this.execute(jobs, true);
      await this.collectPending();
    }
  }

  /** Make these runs: ordinary cases in batches on the main worker, the others in workers of their own. */
  private async execute(
    jobs: readonly Job[],
    alone: boolean,
    opts: RunOptions = {},
  ): Promise<void> {
    const ordinary = executionOrder(
      jobs.filter((j) => !j.case.seccomp && !j.case.freshProcess),
      (j) => j.case,
    );
    const batches = groupBy(ordinary, (j) => j.case.headroom ?? null).flatMap((g) =>
      chunk(g, opts.batchSize ?? 256),
    );
    let done = 0;
    const total = jobs.length;
    let previous: { batch: Job[]; outcome: Promise<BatchOutcome> } | null = null;
    for (const batch of [...batches, null]) {
      const outcome = batch && !opts.signal?.aborted ? this.send(this.main, batch, alone) : null;
      if (previous) {
        await this.absorb(this.main, previous.batch, await previous.outcome, alone);
        done += previous.batch.length;
        opts.onProgress?.(done, total);
      }
      previous = batch && outcome ? { batch, outcome } : null;
    }
    if (this.main.fill !== null && this.main.broken === null)
      await this.absorb(this.main, [], await this.send(this.main, [], true, null), true);
    const own = jobs.filter((x) => x.case.seccomp || x.case.freshProcess);
    const fresh = await this.startOwn(own);
    for (const j of own) {
      if (opts.signal?.aborted) break;
      await this.runAlone(j, fresh.get(j));
      fresh.delete(j);
      opts.onProgress?.(++done, total);
    }
    // A stopped run leaves fresh processes it started and never used: close them.
    for (const s of fresh.values()) if (!(s instanceof Error)) await s.worker.close();
  }

  /**
   * Start the workers of these jobs all at once (a sandbox per errno, a fresh
   * process per job): a child's start mostly waits, so starts overlap (under
   * UML three take about as long as one). The fresh ones, by job.
   */
  private async startOwn(own: readonly Job[]): Promise<Map<Job, Slot | WorkerStartError>> {
    const errnos = new Set(own.flatMap((j) => (j.case.freshProcess ? [] : [j.case.seccomp!])));
    const fresh = own
      .filter((j) => j.case.freshProcess)
      .map((j) => [j, this.trySlot(`fresh:${this.freshCount++}`, j.case.seccomp)] as const);
    await Promise.all([...errnos].map((e) => this.slotFor(e)));
    return new Map(await Promise.all(fresh.map(async ([j, s]) => [j, await s] as const)));
  }

  /** Run one case by itself: in `fresh`, the process started for it (a fresh-process case), else in its sandbox. */
  private async runAlone(j: Job, fresh: Slot | WorkerStartError | undefined): Promise<void> {
    if (fresh !== undefined) {
      if (fresh instanceof Error) {
        j.t.skipped ??= noWorker(fresh.message);
        return;
      }
      try {
        await this.absorb(fresh, [j], await this.send(fresh, [j], true), true);
      } finally {
        await fresh.worker.close();
      }
      return;
    }
    const s = await this.slotFor(j.case.seccomp);
    if (typeof s === 'string') {
      j.t.skipped ??= noWorker(s);
      return;
    }
    await this.absorb(s, [j], await this.send(s, [j], true), true);
  }

  /** The worker for a seccomp sandbox (started on first use), or why none can be started. */
  private async slotFor(seccomp: ErrnoName | undefined): Promise<Slot | string> {
    if (!seccomp) return this.main;
    const broken = this.brokenSandboxes.get(seccomp);
    if (broken !== undefined) return broken;
    const s = this.sandboxes.get(seccomp);
    // A sandbox that died (with the main worker, say) is replaced before its next case, not after.
    if (s && !s.worker.alive && s.broken === null) await this.replaceWorker(s);
    if (s) return s;
    const made = await this.trySlot(`seccomp:${seccomp}`, seccomp);
    if (made instanceof Error) {
      this.brokenSandboxes.set(seccomp, made.message);
      return made.message;
    }
    this.sandboxes.set(seccomp, made);
    return made;
  }

  /**
   * Send a batch to the worker; the fillers change first if the batch wants
   * another headroom. `alone`: each case releases its contexts as it ends;
   * otherwise the batch's contexts go together at its end.
   */
  private send(
    s: Slot,
    batch: readonly Job[],
    alone: boolean,
    headroom: bigint | null = batch[0]?.case.headroom ?? null,
  ): Promise<BatchOutcome> {
    if (s.broken !== null)
      return Promise.resolve({
        cases: batch.map((_, id) => ({ id, status: 'not-run' as const })),
        completions: [],
      });
    const fill =
      headroom === s.fill ? {} : { fill: headroom === null ? null : jsonInteger(headroom) };
    s.fill = headroom;
    const cases = batch.map((j, i) => realCase(j.case, i, alone, j.watch));
    const timeout = this.options.batchTimeoutMs ?? 60_000 + 50 * cases.length;
    // The family's steps and files are RealCase's once the family worker is merged (real/family-protocol.ts).
    return s.worker.run(cases as RealCase[], timeout, { ...fill, releaseAfter: !alone });
  }

  /** Have a batch's outcome judged (and recorded); a worker that died is replaced, its unfinished cases run one by one. */
  private async absorb(
    s: Slot,
    batch: readonly Job[],
    out: BatchOutcome,
    alone: boolean,
  ): Promise<void> {
    if (out.aioMaxNr) this.recorder?.batch(s.key, out.aioMaxNr);
    s.judge.batch(out.aioMaxNr);
    if (out.fill) {
      this.recorder?.fill(s.key, out.fill);
      s.judge.fill(out.fill);
    }
    // In a batch that keeps its contexts to the end, a case runs after the setups before it.
    const prefix: Step[] | null = alone ? null : [];
    const unfinished: Job[] = [];
    out.cases.forEach(({ id: _id, ...report }, i) => {
      const j = batch[i]!;
      this.recorder?.case(s.key, {
        suite: j.t.v.suite,
        index: j.t.v.index,
        rerun: j.rerun,
        candidate: j.candidate,
        case: j.case,
        report,
      });
      const judged = s.judge.run(j.case, report, j.candidate, prefix);
      if (judged === null) unfinished.push(j);
      else {
        if (judged.reproducer && !j.rerun) j.t.v.reproducer = judged.reproducer;
        if (j.rerun) j.t.reruns.push(judged.attempt);
        else j.t.first = judged.attempt;
      }
    });
    if (out.released) {
      this.recorder?.release(s.key, out.released);
      s.judge.release(out.released, null);
    }
    this.completions(s, out.completions);
    if (unfinished.length === 0 && s.worker.alive) return;
    // The worker died (this batch may come from one that was replaced already): run the rest on a live one.
    if (!s.worker.alive && s.broken === null) await this.replaceWorker(s);
    // One at a time: a death now names its case.
    for (const j of unfinished) {
      if (s.broken !== null) {
        j.t.skipped ??= s.broken;
        continue;
      }
      await this.absorb(s, [j], await this.send(s, [j], true), true);
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
    const fresh = await this.trySlot(s.key, s.seccomp);
    s.fill = null;
    if (fresh instanceof Error) {
      s.broken = noWorker(fresh.message);
      if (s === this.main) this.parentLost = fresh.message;
      return;
    }
    s.worker = fresh.worker;
    s.judge = fresh.judge;
  }

  /** Wait for io_destroy calls still running on the workers' threads and judge their return values. */
  async collectPending(): Promise<void> {
    for (const s of [this.main, ...this.sandboxes.values()]) {
      if (!s.judge.waiting) continue;
      if (s.worker.alive) {
        try {
          this.completions(s, await s.worker.drain());
        } catch {
          // The worker died meanwhile: its pending return values will never come.
        }
      }
      s.judge.forgetPending(); // whatever is left belonged to a worker that died
    }
  }
}

/** Why a run was stopped, as its AbortSignal says. */
export function reasonOf(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  return r instanceof Error ? r.message : typeof r === 'string' ? r : 'stopped';
}

function noWorker(why: string): string {
  return `no worker could be started: ${why}`;
}

/** The forms a case can be re-run in: alone, then after the setups that preceded it in its batch. */
function candidates(v: CaseVerdict): Case[] {
  return v.reproducer ? [v.case, v.reproducer] : [v.case];
}

function settleWith(t: Tracking, d: Extract<Decision, { kind: 'settled' }>, forms: Case[]): void {
  t.v.steps = d.shown.steps as CaseVerdict['steps'];
  t.v.disturbed = d.shown.disturbed;
  const shown = forms[d.shown.candidate];
  if (d.status === 'diverge' && shown) t.v.shown = shown;
  finish(t, d.reason === undefined ? { status: d.status } : { status: d.status, reason: d.reason });
}

function finish(t: Tracking, r: { status: CaseVerdict['status']; reason?: string }): void {
  t.v.status = r.status;
  if (r.reason !== undefined) t.v.reason = r.reason;
  t.v.attempts = (t.first ? 1 : 0) + t.reruns.length;
  t.settled = true;
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

function realTarget(target: DestroyTarget): RealTarget {
  if ('handle' in target) return { step: target.handle };
  if ('bogus' in target) return { scratch: target.bogus };
  if ('unmapped' in target) return { unmapped: true };
  return { address: target.address };
}

/** A case as the worker runs it: with its files and pinning when it has them. */
export type WireCase = Omit<RealCase, 'steps'> & {
  readonly steps: readonly (RealStep | FamilyRealStep)[];
  readonly files?: readonly WireFileSpec[];
  readonly pin?: boolean;
};

export function realCase(c: Case, id: number, alone: boolean, watch?: boolean): WireCase {
  return {
    id,
    steps: c.steps.map(realStep),
    release: alone,
    ...(watch ? { quietMs: QUIET_MS } : {}),
    ...(c.files === undefined ? {} : { files: wireFiles(c.files) }),
    ...(c.pin ? { pin: true } : {}),
  };
}

export function realStep(s: Step): RealStep | FamilyRealStep {
  if (isFamilyOp(s.op)) return familyRealStep(s as FamilyStep);
  if (s.op === 'setup')
    return {
      op: 'setup',
      nr: s.nr,
      ctx: s.ctx,
      ...(s.asHeadroom === undefined ? {} : { asHeadroom: jsonInteger(s.asHeadroom) }),
      ...(s.failNth === undefined ? {} : { failNth: s.failNth }),
    };
  if (s.op === 'clobber') return { op: 'clobber', step: s.setup, id: s.id };
  return { op: 'destroy', target: realTarget((s as Extract<Step, { op: 'destroy' }>).target) };
}
