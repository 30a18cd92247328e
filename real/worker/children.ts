/**
 * Child workers: the worker starts other workers in the same kernel when the
 * runner asks (a seccomp sandbox, a process that never made a context) and
 * passes lines to and from them. Their replies go out on this worker's stdout
 * inside {"type":"child"} lines, built without re-parsing the child's JSON.
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
    if (config.seccompErrno !== undefined) env.AIOSPEC_SECCOMP_ERRNO = String(config.seccompErrno);
    const child = spawn(process.execPath, [process.argv[1]!], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env,
    });
    this.live.set(key, child);
    const k = JSON.stringify(key);
    let buffered = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      buffered += chunk;
      let nl = buffered.indexOf('\n');
      while (nl >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.startsWith('{')) this.out(`{"type":"child","key":${k},"reply":${line}}`);
        nl = buffered.indexOf('\n');
      }
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    child.stdin!.on('error', () => {});
    child.on('exit', (code, signal) => {
      this.live.delete(key);
      this.out(JSON.stringify({ type: 'child-exit', key, code, signal, stderr: stderr.trim() }));
    });
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
