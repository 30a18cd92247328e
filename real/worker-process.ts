/**
 * The runner's handle on one worker process: start it, send it batches of
 * cases, collect the results. A worker that crashes or hangs does not stop the
 * run: its unfinished case comes back as a result carrying the signal or the
 * timeout, and the cases after it come back as not run.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type {
  Completion,
  HostInfo,
  RealCase,
  Reply,
  Request,
  StepResult,
  WorkerConfig,
} from './protocol.js';

export type CaseOutcome =
  | { readonly id: number; readonly status: 'ok'; readonly results: readonly StepResult[] }
  | {
      readonly id: number;
      readonly status: 'crashed';
      readonly signal: string | null;
      readonly code: number | null;
      readonly stderr: string;
    }
  | { readonly id: number; readonly status: 'timeout'; readonly afterMs: number }
  | { readonly id: number; readonly status: 'not-run' };

export interface BatchOutcome {
  readonly cases: readonly CaseOutcome[];
  readonly completions: readonly Completion[];
}

/** How to launch the worker: the host's node by default; targets wrap the command (runsc, UML). */
export interface Launch {
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
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

export function hostLaunch(): Launch {
  return { command: process.execPath, args: [workerEntry()] };
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

export class WorkerProcess {
  private buffered = '';
  private stderr = '';
  private waiting: ((r: Reply | null) => void) | null = null;
  private readonly queue: Reply[] = [];
  private exited: { code: number | null; signal: string | null } | null = null;
  private nextBatch = 0;

  private hostInfo: HostInfo | null = null;

  private constructor(private readonly child: ChildProcess) {
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (chunk: string) => this.onData(chunk));
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-4000);
    });
    this.child.stdin!.on('error', () => {}); // EPIPE when the worker died; the exit handler reports it
    this.child.on('exit', (code, signal) => {
      live.delete(this.child);
      this.exited = { code, signal };
      this.waiting?.(null);
    });
  }

  /** What the worker detected about the kernel it runs on. */
  get host(): HostInfo {
    if (!this.hostInfo) throw new Error('worker not started');
    return this.hostInfo;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get alive(): boolean {
    return this.exited === null;
  }

  static async start(
    config: WorkerConfig = {},
    launch: Launch = hostLaunch(),
    startTimeoutMs = 30_000,
  ): Promise<WorkerProcess> {
    installExitHook();
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      // io_destroy waits ~30 ms for RCU grace periods on a thread-pool thread; let many wait at once.
      UV_THREADPOOL_SIZE: '256',
      AIOSPEC_PARENT_PID: String(process.pid),
      ...launch.env,
    };
    if (config.seccompErrno !== undefined) env.AIOSPEC_SECCOMP_ERRNO = String(config.seccompErrno);
    const child = spawn(launch.command, [...launch.args], { stdio: ['pipe', 'pipe', 'pipe'], env });
    live.add(child);
    const w = new WorkerProcess(child);
    const first = await w.next(startTimeoutMs);
    if (first?.type !== 'ready') {
      child.kill('SIGKILL');
      const why =
        first?.type === 'fatal'
          ? first.message
          : `worker did not start (${w.describeExit()}) ${w.stderr.trim()}`;
      throw new Error(why);
    }
    w.hostInfo = first.host;
    return w;
  }

  private onData(chunk: string): void {
    this.buffered += chunk;
    let nl = this.buffered.indexOf('\n');
    while (nl >= 0) {
      const line = this.buffered.slice(0, nl);
      this.buffered = this.buffered.slice(nl + 1);
      if (line) {
        const reply = JSON.parse(line) as Reply;
        if (this.waiting) {
          const w = this.waiting;
          this.waiting = null;
          w(reply);
        } else this.queue.push(reply);
      }
      nl = this.buffered.indexOf('\n');
    }
  }

  /** The next reply, or null when the worker exited or the timeout passed. */
  private next(timeoutMs: number): Promise<Reply | null> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.exited) return Promise.resolve(null);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting = null;
        resolve(null);
      }, timeoutMs);
      this.waiting = (r) => {
        clearTimeout(timer);
        resolve(r);
      };
    });
  }

  private describeExit(): string {
    if (!this.exited) return 'still running';
    return this.exited.signal
      ? `killed by ${this.exited.signal}`
      : `exit status ${this.exited.code}`;
  }

  private send(req: Request): void {
    this.child.stdin!.write(`${JSON.stringify(req)}\n`);
  }

  /**
   * Run cases in order. `timeoutMs` bounds the whole batch; on a crash or timeout
   * the worker is gone and the caller starts another one for what remains.
   */
  async run(cases: readonly RealCase[], timeoutMs: number): Promise<BatchOutcome> {
    if (!this.alive)
      return { cases: cases.map((c) => ({ id: c.id, status: 'not-run' })), completions: [] };
    const id = this.nextBatch++;
    const started = Date.now();
    this.send({ type: 'batch', id, cases });
    const done: CaseOutcome[] = [];
    for (;;) {
      const left = timeoutMs - (Date.now() - started);
      const reply = await this.next(Math.max(left, 0));
      if (reply?.type === 'case') {
        done.push({ id: reply.id, status: 'ok', results: reply.results });
        continue;
      }
      if (reply?.type === 'batch-done') return { cases: done, completions: reply.completions };
      if (reply?.type === 'fatal') this.stderr += `\n${reply.message}`;
      // Crashed, timed out, or broke protocol: the worker must go.
      const timedOut = reply === null && this.alive;
      if (this.alive) {
        this.child.kill('SIGKILL');
        await this.waitExit();
      }
      // Results are sent per batch, so which case failed is known only when the batch had one case left.
      const rest = cases.slice(done.length);
      const failedCase = rest[0]!;
      const blamed: CaseOutcome =
        rest.length > 1
          ? { id: failedCase.id, status: 'not-run' }
          : timedOut
            ? { id: failedCase.id, status: 'timeout', afterMs: Date.now() - started }
            : {
                id: failedCase.id,
                status: 'crashed',
                signal: this.exited?.signal ?? null,
                code: this.exited?.code ?? null,
                stderr: this.stderr.trim(),
              };
      return {
        cases: [
          ...done,
          blamed,
          ...rest.slice(1).map((c) => ({ id: c.id, status: 'not-run' as const })),
        ],
        completions: [],
      };
    }
  }

  /** Wait for every io_destroy still running on the worker's threads; their return values. */
  async drain(timeoutMs = 30_000): Promise<readonly Completion[]> {
    if (!this.alive) return [];
    const id = this.nextBatch++;
    this.send({ type: 'drain', id });
    const reply = await this.next(timeoutMs);
    if (reply?.type !== 'drained')
      throw new Error(`drain failed: ${reply ? reply.type : this.describeExit()}`);
    return reply.completions;
  }

  private waitExit(): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((r) => this.child.once('exit', () => r()));
  }

  /** Ask the worker to exit (its contexts go with it) and wait; kill it if it does not. */
  async close(graceMs = 5000): Promise<void> {
    if (!this.alive) return;
    this.send({ type: 'exit' });
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.waitExit();
    clearTimeout(timer);
  }

  kill(): void {
    if (this.alive) this.child.kill('SIGKILL');
  }
}
