/**
 * The runner's handle on a worker: start it, send it batches of cases, collect
 * the results. Batches may be sent before earlier ones finish (the worker runs
 * them in order), so the runner can judge one batch while the worker runs the
 * next. A worker that crashes or hangs does not stop the run: a batch of one
 * case comes back as that case's result (signal or timeout), a bigger batch as
 * "not run", for the caller to re-run case by case.
 *
 * A worker is either a process the runner starts (WorkerProcess: the engine's
 * main worker, on the host or wrapped in runsc or UML by its launch) or a child
 * that worker starts in its own kernel (ChildWorker: the engine's seccomp
 * sandboxes and processes that never made a context), so that a target booting
 * a kernel or a sandbox boots it once per run. A child dies with its parent
 * worker, which dies with the runner.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type {
  CaseReport,
  Completion,
  FillResult,
  HostInfo,
  RealCase,
  ReleaseResult,
  Reply,
  Request,
  U64,
  WorkerConfig,
} from './protocol.js';

/** A case's report, with the id it had in its batch. */
export type CaseOutcome = CaseReport & { readonly id: number };

export interface BatchOutcome {
  readonly cases: readonly CaseOutcome[];
  /** aio-max-nr at the batch's start and end (absent when the batch did not run). */
  readonly aioMaxNr?: { readonly before: U64 | null; readonly after: U64 | null };
  readonly fill?: { readonly released: ReleaseResult | null; readonly made: FillResult | null };
  readonly released?: ReleaseResult;
  readonly completions: readonly Completion[];
}

export interface BatchOptions {
  /** Filler headroom to hold before the cases (null: none); absent: unchanged. */
  readonly fill?: U64 | null;
  /** Release what the cases made once they are done. */
  readonly releaseAfter?: boolean;
}

/** How to launch the worker: the host's node by default; targets wrap the command (runsc, UML). */
export interface Launch {
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /**
   * The worker runs under something that reports its death by signal N as exit
   * status 128+N (runc run, for the container's pid 1): decoded back into the
   * signal, so that a worker killed by SIGSYS reads the same on every target.
   */
  readonly signalAsStatus?: boolean;
}

/** An exit as the launch reports it, with a 128+N status read as signal N where the launch says so. */
export function decodeExit(code: number | null, signal: string | null, launch: Launch): Exit {
  if (!launch.signalAsStatus || code === null || code <= 128) return { code, signal };
  const name = Object.entries(osConstants.signals).find(([, n]) => n === code - 128)?.[0];
  return name ? { code: null, signal: name } : { code, signal };
}

/** The compiled worker entry point (dist/real/worker/main.js), also when running from TypeScript sources. */
export function workerEntry(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [
    resolve(here, 'worker/main.js'),
    resolve(here, '../dist/real/worker/main.js'),
  ];
  const found = candidates.find((p) => existsSync(p));
  if (!found)
    throw new Error(
      `worker entry not built (looked for ${candidates.join(', ')}); run npm run build`,
    );
  return found;
}

/** io_destroy waits ~30 ms for RCU grace periods on a thread-pool thread; let many wait at once. */
export const WORKER_THREADPOOL_SIZE = 256;

export function hostLaunch(): Launch {
  // AIOSPEC_WORKER_PROF=DIR: each worker writes a V8 CPU profile there (a diagnostic).
  const prof = process.env.AIOSPEC_WORKER_PROF
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.AIOSPEC_WORKER_PROF}`]
    : [];
  return { command: process.execPath, args: [...prof, workerEntry()] };
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Kill every worker when the runner exits, whatever the reason (PDEATHSIG covers SIGKILL of the runner). */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

interface Waiter {
  readonly id: number;
  readonly resolve: (r: Reply | null) => void;
}

export type Exit = { readonly code: number | null; readonly signal: string | null };

/** What the two kinds of worker share: request ids, waiting for replies, batches, drain, close. */
export abstract class WorkerHandle {
  protected stderr = '';
  private readonly waiters: Waiter[] = [];
  /** Replies that came before anyone asked (the 'ready' line). */
  private readonly early: Reply[] = [];
  protected exited: Exit | null = null;
  private nextId = 0;
  protected hostInfo: HostInfo | null = null;

  /** What the worker detected about the kernel it runs on. */
  get host(): HostInfo {
    if (!this.hostInfo) throw new Error('worker not started');
    return this.hostInfo;
  }

  get alive(): boolean {
    return this.exited === null;
  }

  abstract get pid(): number;
  protected abstract send(req: Request): void;
  /** Stop the worker at once (its contexts go with it). */
  abstract kill(): void;
  protected abstract endInput(): void;

  protected died(exit: Exit): void {
    this.exited = exit;
    for (const w of this.waiters.splice(0)) w.resolve(null);
  }

  protected dispatch(reply: Reply): void {
    if (reply.type === 'fatal') {
      this.stderr += `\n${reply.message}`;
      return;
    }
    const id = reply.type === 'ready' ? -1 : 'id' in reply ? reply.id : -2;
    const i = this.waiters.findIndex((w) => w.id === id);
    if (i < 0) {
      this.early.push(reply);
      return;
    }
    const [w] = this.waiters.splice(i, 1);
    w!.resolve(reply);
  }

  /** The reply with this id (-1: 'ready'), or null when the worker exited or the timeout passed. */
  protected reply(id: number, timeoutMs: number): Promise<Reply | null> {
    const e = this.early.findIndex((r) => (r.type === 'ready' ? -1 : 'id' in r ? r.id : -2) === id);
    if (e >= 0) return Promise.resolve(this.early.splice(e, 1)[0]!);
    if (this.exited) return Promise.resolve(null);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const i = this.waiters.findIndex((w) => w.id === id);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve(null);
      }, timeoutMs);
      this.waiters.push({
        id,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
      });
    });
  }

  /** Wait for 'ready'; why not (and the worker killed) if it does not come. */
  protected async ready(timeoutMs: number): Promise<WorkerStartError | null> {
    const first = await this.reply(-1, timeoutMs);
    if (first?.type === 'ready') {
      this.hostInfo = first.host;
      return null;
    }
    const silent = first === null && this.exited === null;
    this.kill();
    if (first?.type === 'fatal') return new WorkerStartError(first.message);
    // Alive but silent for the whole timeout (a guest kernel that never runs the worker): starting
    // it again would wait as long for the same. Its stderr (a UML guest's console) may say why.
    if (silent)
      return new WorkerStartError(
        `worker not ready after ${Math.round(timeoutMs / 1000)} s (still running, killed); ${lastLineOf(this.stderr)}`,
        'ETIMEDOUT',
      );
    return new WorkerStartError(
      `worker did not start (${this.describeExit()}) ${this.stderr.trim()}`,
    );
  }

  protected describeExit(): string {
    if (!this.exited) return 'still running';
    if (this.exited.signal) return `killed by ${this.exited.signal}`;
    // A child worker its parent could not spawn never ran: no status, no signal.
    return this.exited.code === null ? 'never ran' : `exit status ${this.exited.code}`;
  }

  private waitExit(): Promise<void> {
    if (!this.alive) return Promise.resolve();
    return new Promise((r) => {
      const poll = setInterval(() => {
        if (!this.alive) {
          clearInterval(poll);
          r();
        }
      }, 5);
    });
  }

  /**
   * Run a batch. `timeoutMs` counts from now; with batches queued ahead of this
   * one, give it their time too. On a crash or timeout the worker is killed and
   * the caller starts another one for what remains.
   */
  async run(
    cases: readonly RealCase[],
    timeoutMs: number,
    opts: BatchOptions = {},
  ): Promise<BatchOutcome> {
    const notRun = (): BatchOutcome => ({
      cases: cases.map((c) => ({ id: c.id, status: 'not-run' })),
      completions: [],
    });
    if (!this.alive) return notRun();
    const id = this.nextId++;
    const started = Date.now();
    this.send({ type: 'batch', id, cases, ...opts });
    const reply = await this.reply(id, timeoutMs);
    if (reply?.type === 'batch') {
      return {
        cases: reply.cases.map((c) => ({
          id: c.id,
          status: 'ok',
          results: c.results,
          ...(c.quiet ? { quiet: c.quiet } : {}),
        })),
        aioMaxNr: reply.aioMaxNr,
        ...(reply.fill ? { fill: reply.fill } : {}),
        ...(reply.released ? { released: reply.released } : {}),
        completions: reply.completions,
      };
    }
    const timedOut = reply === null && this.alive;
    if (this.alive) {
      this.kill();
      await this.waitExit();
    }
    if (cases.length !== 1) return notRun();
    const only = cases[0]!;
    const blamed: CaseOutcome = timedOut
      ? { id: only.id, status: 'timeout', afterMs: Date.now() - started }
      : {
          id: only.id,
          status: 'crashed',
          signal: this.exited?.signal ?? null,
          code: this.exited?.code ?? null,
          stderr: this.stderr.trim(),
        };
    return { cases: [blamed], completions: [] };
  }

  /** Wait for every io_destroy still running on the worker's threads; their return values. */
  async drain(timeoutMs = 60_000): Promise<readonly Completion[]> {
    if (!this.alive) return [];
    const id = this.nextId++;
    this.send({ type: 'drain', id });
    const reply = await this.reply(id, timeoutMs);
    if (reply?.type !== 'drained')
      throw new Error(`drain failed: ${reply ? reply.type : this.describeExit()}`);
    return reply.completions;
  }

  /** Ask the worker to exit (its contexts go with it) and wait; kill it if it does not. */
  async close(graceMs = 5000): Promise<void> {
    if (!this.alive) return;
    this.send({ type: 'exit' });
    this.endInput();
    const timer = setTimeout(() => this.kill(), graceMs);
    await this.waitExit();
    clearTimeout(timer);
  }
}

/**
 * A worker did not come up: its process could not be spawned (`code` is the
 * errno name: EMFILE when out of descriptors) or it exited or went silent
 * before saying it was ready. The run cannot happen here.
 */
export class WorkerStartError extends Error {
  override name = 'WorkerStartError';
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** The last non-blank line of a worker's stderr, quoted, for a one-line message. */
export function lastLineOf(stderr: string): string {
  const last = stderr
    .split(/[\r\n]+/)
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .at(-1);
  return last === undefined
    ? 'nothing on its stderr'
    : `the last line on its stderr: ${JSON.stringify(last.length > 200 ? `${last.slice(0, 200)}...` : last)}`;
}

/** A worker process the runner starts (on the host, or wrapped in runsc or UML by its launch). */
export class WorkerProcess extends WorkerHandle {
  private buffered = '';
  private readonly children = new Map<string, ChildWorker>();
  /** Children spawned so far: each gets a key of its own. */
  private spawned = 0;

  private constructor(
    private readonly child: ChildProcess,
    launch: Launch,
  ) {
    super();
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (chunk: string) => this.onData(chunk));
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-4000);
    });
    this.child.stdin!.on('error', () => {}); // EPIPE when the worker died; the exit handler reports it
    this.child.on('exit', (code, signal) => {
      live.delete(this.child);
      this.died(decodeExit(code, signal, launch));
      for (const c of this.children.values()) c.parentDied();
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  static async start(
    launch: Launch = hostLaunch(),
    startTimeoutMs = 60_000,
  ): Promise<WorkerProcess> {
    installExitHook();
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      UV_THREADPOOL_SIZE: String(WORKER_THREADPOOL_SIZE),
      AIOSPEC_PARENT_PID: String(process.pid),
      ...launch.env,
    };
    // Never sandboxed itself, whatever the runner's environment says: sandboxes are its children.
    delete env.AIOSPEC_SECCOMP_ERRNO;
    if (!launch.env?.AIOSPEC_SECCOMP_BPF) delete env.AIOSPEC_SECCOMP_BPF;
    const child = spawn(launch.command, [...launch.args], { stdio: ['pipe', 'pipe', 'pipe'], env });
    if (child.pid === undefined) {
      // Not started (EMFILE, EAGAIN, ENOENT...): Node says so in an 'error' event, and there are no pipes.
      const e = await new Promise<NodeJS.ErrnoException>((r) => child.once('error', r));
      throw new WorkerStartError(`cannot start a worker (${launch.command}): ${e.message}`, e.code);
    }
    live.add(child);
    const w = new WorkerProcess(child, launch);
    const failed = await w.ready(startTimeoutMs);
    if (failed) throw failed;
    return w;
  }

  /**
   * Start another worker in the same kernel, as this worker's child (it dies
   * with this one). A WorkerStartError when it does not come up; its `code` is
   * the errno name when the child could not be spawned (EMFILE...).
   */
  async spawnChild(config: WorkerConfig = {}, startTimeoutMs = 60_000): Promise<ChildWorker> {
    if (!this.alive)
      throw new WorkerStartError(`its parent worker is gone (${this.describeExit()})`);
    const key = String(this.spawned++);
    const c = new ChildWorker(this, key);
    this.children.set(key, c);
    this.send({ type: 'spawn', key, config });
    const failed = await c.start(startTimeoutMs);
    if (failed) {
      this.children.delete(key);
      throw new WorkerStartError(failed.message, c.spawnError ?? failed.code);
    }
    return c;
  }

  /** @internal A child's request, sent through this worker. */
  sendFor(key: string, req: Request | { type: 'kill-child'; key: string }): void {
    if (!this.alive) return;
    this.send(req.type === 'kill-child' ? req : { type: 'child', key, request: req });
  }

  /** @internal */
  forget(key: string): void {
    this.children.delete(key);
  }

  private onData(chunk: string): void {
    this.buffered += chunk;
    let nl = this.buffered.indexOf('\n');
    while (nl >= 0) {
      const line = this.buffered.slice(0, nl);
      this.buffered = this.buffered.slice(nl + 1);
      // Only JSON objects are protocol; anything else a target prints (a console line) is not.
      if (line.startsWith('{')) {
        const reply = parseReply(line);
        if (reply === null) {
          // A cut or garbled line (a console write landing inside it): what was asked can no
          // longer be matched to an answer. The worker is killed; its batch ends as a crash,
          // inconclusive, with this line in the reason, instead of an exception in the runner.
          this.stderr += `\nmalformed protocol line: ${line.slice(0, 200)}`;
          this.kill();
          return;
        }
        this.route(reply);
      }
      nl = this.buffered.indexOf('\n');
    }
  }

  private route(reply: Reply): void {
    if (reply.type === 'child') this.children.get(reply.key)?.deliver(reply.reply);
    else if (reply.type === 'child-exit') this.children.get(reply.key)?.exit(reply);
    else this.dispatch(reply);
  }

  protected send(req: Request): void {
    this.child.stdin!.write(`${JSON.stringify(req)}\n`);
  }

  protected endInput(): void {
    this.child.stdin!.end();
  }

  kill(): void {
    if (this.alive) this.child.kill('SIGKILL');
  }
}

/** A protocol line as a reply, or null when it is not JSON. */
function parseReply(line: string): Reply | null {
  try {
    return JSON.parse(line) as Reply;
  } catch {
    return null;
  }
}

/** How long a child's parent has to pass a kill on before it is killed too (and the child with it). */
const CHILD_KILL_GRACE_MS = 5000;

/** A worker started by another worker in the same kernel; its lines pass through its parent. */
export class ChildWorker extends WorkerHandle {
  /** The errno name when the parent could not spawn it (EMFILE...). */
  spawnError: string | undefined;
  private killTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly parent: WorkerProcess,
    readonly key: string,
  ) {
    super();
  }

  /** Its pid in its kernel, as it reported it (under gVisor or UML, the guest's pid, not a host one). */
  get pid(): number {
    return this.hostInfo?.pid ?? -1;
  }

  /** @internal */
  start(timeoutMs: number): Promise<WorkerStartError | null> {
    return this.ready(timeoutMs);
  }

  /** @internal */
  deliver(reply: Reply): void {
    this.dispatch(reply);
  }

  /** @internal */
  exit(e: {
    code: number | null;
    signal: string | null;
    stderr: string;
    spawnError?: string;
  }): void {
    this.stderr = `${this.stderr}\n${e.stderr}`;
    this.spawnError = e.spawnError;
    this.parent.forget(this.key);
    this.died({ code: e.code, signal: e.signal });
  }

  /** @internal The parent worker exited: its PR_SET_PDEATHSIG (SIGKILL) took this child with it. */
  parentDied(): void {
    if (!this.alive) return;
    this.stderr += '\nits parent worker died';
    this.died({ code: null, signal: 'SIGKILL' });
  }

  protected override died(exit: Exit): void {
    if (this.killTimer) clearTimeout(this.killTimer);
    super.died(exit);
  }

  protected send(req: Request): void {
    this.parent.sendFor(this.key, req);
  }

  protected endInput(): void {}

  kill(): void {
    if (!this.alive || this.killTimer) return;
    this.parent.sendFor(this.key, { type: 'kill-child', key: this.key });
    // A parent that does not pass the kill on (hung, stopped) is killed, and the child dies with it.
    this.killTimer = setTimeout(() => this.parent.kill(), CHILD_KILL_GRACE_MS).unref();
  }
}
