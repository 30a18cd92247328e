/**
 * Child workers: the worker starts other workers in its own kernel when the
 * runner asks (a seccomp sandbox, a process that never made a context) and
 * passes lines to and from them. Their replies go out on this worker's stdout
 * inside {"type":"child"} lines, built without re-parsing the child's JSON;
 * {"type":"child-exit"} says a child is gone, or could not be started at all.
 *
 * A child runs this same program (main.ts), so it sets PR_SET_PDEATHSIG and
 * checks that its parent (this worker, AIOSPEC_PARENT_PID) is still there:
 * it dies with this worker, SIGKILL included, as this worker dies with the runner.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { Request, WorkerConfig } from '../protocol.js';

export class Children {
  private readonly live = new Map<string, ChildProcess>();

  constructor(
    /** Write one line (a JSON object, without the newline) to the runner. */
    private readonly out: (line: string) => void,
  ) {}

  spawn(key: string, config: WorkerConfig): void {
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      AIOSPEC_PARENT_PID: String(process.pid),
    };
    delete env.AIOSPEC_SECCOMP_ERRNO;
    // The profile's filter, if any, is inherited: installing it again would stack it twice.
    delete env.AIOSPEC_SECCOMP_BPF;
    if (config.seccompErrno !== undefined) env.AIOSPEC_SECCOMP_ERRNO = String(config.seccompErrno);
    let child: ChildProcess | undefined;
    let ended = false;
    let stderr = '';
    const exit = (code: number | null, signal: string | null, spawnError?: string) => {
      if (ended) return;
      ended = true;
      if (this.live.get(key) === child) this.live.delete(key);
      this.out(
        JSON.stringify({
          type: 'child-exit',
          key,
          code,
          signal,
          stderr: stderr.trim(),
          ...(spawnError ? { spawnError } : {}),
        }),
      );
    };
    try {
      // With this worker's Node options (AIOSPEC_WORKER_PROF's --cpu-prof: children profile too).
      child = spawn(process.execPath, [...process.execArgv, process.argv[1]!], {
        stdio: ['pipe', 'pipe', 'pipe'],
        env,
      });
    } catch (e) {
      // Some spawn failures throw (E2BIG, ENOMEM...) rather than emit 'error'.
      stderr = `cannot start a child worker: ${(e as Error).message}`;
      exit(null, null, (e as NodeJS.ErrnoException).code ?? 'EUNKNOWN');
      return;
    }
    // Spawn failures (EMFILE, EAGAIN, ENOENT...) come as an 'error' event instead of 'exit',
    // and with EMFILE or ENFILE the child has no pipes at all.
    const started = child;
    started.on('error', (e: NodeJS.ErrnoException) => {
      if (started.pid !== undefined) return; // a failed kill(): the child's exit still comes
      stderr = `cannot start a child worker: ${e.message}`;
      exit(null, null, e.code ?? 'EUNKNOWN');
    });
    if (started.pid === undefined) return;
    this.live.set(key, started);
    const k = JSON.stringify(key);
    let buffered = '';
    started.stdout!.setEncoding('utf8');
    started.stdout!.on('data', (chunk: string) => {
      buffered += chunk;
      let nl = buffered.indexOf('\n');
      while (nl >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.startsWith('{')) this.out(`{"type":"child","key":${k},"reply":${line}}`);
        nl = buffered.indexOf('\n');
      }
    });
    started.stderr!.setEncoding('utf8');
    started.stderr!.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    started.stdin!.on('error', () => {}); // EPIPE when the child died; its exit is reported
    // 'close', not 'exit': its last stdout lines (a ready, a fatal) are passed on before it is declared gone.
    started.on('close', (code, signal) => exit(code, signal));
  }

  forward(key: string, request: Request): void {
    const child = this.live.get(key);
    if (!child) {
      this.out(
        JSON.stringify({
          type: 'child-exit',
          key,
          code: null,
          signal: null,
          stderr: `no child worker "${key}"`,
        }),
      );
      return;
    }
    child.stdin!.write(`${JSON.stringify(request)}\n`);
    if (request.type === 'exit') child.stdin!.end();
  }

  kill(key: string): void {
    this.live.get(key)?.kill('SIGKILL');
  }

  killAll(): void {
    for (const child of this.live.values()) child.kill('SIGKILL');
  }
}
