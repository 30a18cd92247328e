/**
 * The worker process: real io_setup/io_destroy calls happen here, never in the
 * runner. Reads requests (JSON lines) on stdin, answers on stdout, exits on EOF,
 * and dies with its parent (PR_SET_PDEATHSIG), so that a killed run leaves no
 * contexts behind: the kernel releases them when the process exits. The same
 * program runs as the runner's worker and as that worker's children (sandboxes,
 * fresh processes: children.ts), whose parent is the worker.
 */
import { writeSync } from 'node:fs';
import { RealUnavailable } from '../arch.js';
import { detectHost, seccompMode } from '../host.js';
import { libc, PR_SET_NO_NEW_PRIVS, PR_SET_PDEATHSIG, SIGKILL } from '../libc.js';
import type { Reply, Request } from '../protocol.js';
import {
  encodeProgram,
  errnoFilter,
  SECCOMP_FILTER_FLAG_TSYNC,
  SECCOMP_SET_MODE_FILTER,
} from '../seccomp-bpf.js';
import { SECCOMP_BPF_ENV } from '../seccomp-launch.js';
import { Children } from './children.js';
import { Executor } from './executor.js';
import { SigsysWatch } from './sigsys.js';

function send(reply: Reply): void {
  sendLine(JSON.stringify(reply));
}

/** One line to the runner, written synchronously (so that it is out before any crash). */
function sendLine(json: string): void {
  const line = `${json}\n`;
  let off = 0;
  const buf = Buffer.from(line);
  while (off < buf.length) {
    try {
      off += writeSync(1, buf, off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
    }
  }
}

function fatal(message: string): never {
  send({ type: 'fatal', message });
  process.exit(70);
}

function dieWithParent(c: ReturnType<typeof libc>): void {
  c.prctl(PR_SET_PDEATHSIG, BigInt(SIGKILL), 0n, 0n, 0n);
  // The parent may have died before prctl took effect.
  const expected = Number(process.env.AIOSPEC_PARENT_PID ?? 0);
  if (expected && c.getppid() !== expected) process.exit(0);
}

/** Install a classic BPF program (struct sock_filter[] bytes) as this process's seccomp filter, on every thread. */
function installSeccomp(c: ReturnType<typeof libc>, program: Uint8Array): void {
  const filterMem = Buffer.alloc(program.length);
  filterMem.set(program);
  // struct sock_fprog { unsigned short len; struct sock_filter *filter; } (16 bytes on LP64).
  const fprog = Buffer.alloc(16);
  fprog.writeUInt16LE(program.length / 8, 0);
  fprog.writeBigUInt64LE(c.addressOf(filterMem), 8);
  if (c.prctl(PR_SET_NO_NEW_PRIVS, 1n, 0n, 0n, 0n) !== 0)
    fatal(`prctl(PR_SET_NO_NEW_PRIVS) failed: errno ${c.errno()}`);
  const r = c.syscall3(
    c.arch.syscalls.seccomp,
    SECCOMP_SET_MODE_FILTER,
    SECCOMP_FILTER_FLAG_TSYNC,
    c.addressOf(fprog),
  );
  if (r !== 0) fatal(`seccomp(SECCOMP_SET_MODE_FILTER) failed: ret ${r} errno ${c.errno()}`);
  keepAlive.push(filterMem, fprog);
}

/**
 * io_setup(0, &ctx) with ctx 0: EINVAL from a kernel with AIO before it
 * allocates anything (nr_events == 0), ENOSYS from one without; never a context.
 */
function ioSetupProbe(c: ReturnType<typeof libc>): number | null | undefined {
  // Under a filter already (runc's profile, a sandbox's inherited one) the probe could be
  // trapped or kill the worker before it starts: not probed, and a filtered process's ENOSYS
  // would say nothing about the kernel anyway (kernelFeatures assumes AIO under a filter).
  if (seccompMode() === 2) return undefined;
  const ctx = Buffer.alloc(8);
  const r = c.syscallU32Ptr(c.arch.syscalls.io_setup, 0, c.addressOf(ctx));
  return r === 0 ? null : c.errno();
}

/** The filter and its descriptor must outlive the call that installs them. */
const keepAlive: Buffer[] = [];

async function main(): Promise<void> {
  let c: ReturnType<typeof libc>;
  try {
    c = libc();
  } catch (e) {
    fatal(
      e instanceof RealUnavailable ? e.message : `worker start failed: ${(e as Error).message}`,
    );
  }
  dieWithParent(c);
  const pageSize = c.pageSize();
  const exec = new Executor(c, pageSize);
  // Before any filter of our own: whether the kernel itself has io_setup.
  const probeErrno = ioSetupProbe(c);
  const seccomp = process.env.AIOSPEC_SECCOMP_ERRNO;
  if (seccomp)
    installSeccomp(
      c,
      encodeProgram(errnoFilter(c.arch.auditArch, c.arch.syscalls.io_setup, Number(seccomp))),
    );
  await exec.warmUp();
  // A profile's filter (--seccomp-profile on the host), after the warm-up so that Node's own
  // start-up never runs under it; TSYNC puts it on the thread pool's threads too.
  const profile = process.env[SECCOMP_BPF_ENV];
  if (profile) installSeccomp(c, Buffer.from(profile, 'hex'));
  const host = detectHost(pageSize, process.pid, probeErrno);
  // Under any filter (ours, runc's, an inherited one), a TRAP must not kill the worker.
  if (host.seccompMode === 2) exec.watchSigsys(new SigsysWatch());
  send({ type: 'ready', host });

  const children = new Children(sendLine);
  process.on('exit', () => children.killAll());
  const queue: Request[] = [];
  let wake: (() => void) | null = null;
  let ended = false;
  let pending = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk: string) => {
    pending += chunk;
    let nl = pending.indexOf('\n');
    while (nl >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (line.trim()) {
        const req = JSON.parse(line) as Request;
        // Requests about child workers are handled at once, even while a batch runs here.
        if (req.type === 'spawn') children.spawn(req.key, req.config);
        else if (req.type === 'child') children.forward(req.key, req.request);
        else if (req.type === 'kill-child') children.kill(req.key);
        else queue.push(req);
      }
      nl = pending.indexOf('\n');
    }
    wake?.();
  });
  process.stdin.on('end', () => {
    ended = true;
    wake?.();
  });

  for (;;) {
    const req = queue.shift();
    if (!req) {
      if (ended) break;
      await new Promise<void>((r) => {
        wake = r;
      });
      wake = null;
      continue;
    }
    if (req.type === 'exit') break;
    if (req.type === 'drain') {
      send({ type: 'drained', id: req.id, completions: await exec.drain() });
      continue;
    }
    if (req.type === 'batch') send(await exec.batch(req));
  }
  // Exiting releases every context at once (exit_aio); no need to wait for io_destroy.
  process.exit(0);
}

main().catch((e) => fatal(`worker failed: ${(e as Error).stack ?? e}`));
