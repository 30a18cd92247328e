/**
 * Does a seccomp filter on this process block or change io_setup/io_destroy?
 * /proc/self/status says whether there is one (Seccomp: 2, and how many:
 * Seccomp_filters); what it does is seen by making each call, harmlessly
 * (real/aio-call-probe.ts), in a child process of its own: children inherit
 * the filters, and a KILL action then kills the child, not the doctor.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ErrnoName, errnoName } from '../../model/index.js';

export type ProbedCall = 'io_setup' | 'io_destroy';

export type ObservedKind =
  /** The kernel answered (EINVAL, as it does for these harmless calls): the filter lets the call through. */
  | 'kernel'
  /** An errno instead of the kernel's EINVAL: the filter answered (ERRNO, or ENOSYS from TRACE/USER_NOTIF). */
  | 'errno'
  /** SIGSYS came with the call and the process lived: a TRAP. */
  | 'trap'
  /** The process died of SIGSYS: a KILL action. */
  | 'killed'
  /** Nothing to conclude (the child could not start, or answered what no filter does). */
  | 'unknown';

export interface CallObservation {
  readonly call: ProbedCall;
  /** The call as made, C-like: `io_setup(1, &ctx)`, `io_destroy(0)`. */
  readonly shown: string;
  readonly kind: ObservedKind;
  readonly errno: ErrnoName | number | null;
  /** The raw return (a TRAP's is the rolled-back register), null when the process died. */
  readonly ret: number | null;
  readonly note: string | null;
}

export interface SeccompStatus {
  /** Seccomp: 0 none, 1 strict, 2 filter (null: not shown). */
  readonly mode: number | null;
  /** Seccomp_filters: how many filters are stacked (null: not shown, kernels before 5.9). */
  readonly filters: number | null;
}

export function seccompStatus(statusText: string | null): SeccompStatus {
  const field = (name: string) => {
    const m = new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(statusText ?? '');
    return m ? Number(m[1]) : null;
  };
  return { mode: field('Seccomp'), filters: field('Seccomp_filters') };
}

export function ownSeccompStatus(): SeccompStatus {
  try {
    return seccompStatus(readFileSync('/proc/self/status', 'utf8'));
  } catch {
    return { mode: null, filters: null };
  }
}

export interface ChildExit {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number | null;
  readonly signal: string | null;
}

const shownCall = (call: ProbedCall, nrEvents: number) =>
  call === 'io_setup' ? `io_setup(${nrEvents}, &ctx)` : 'io_destroy(0)';

/** What one probe child's exit says about the filter. */
export function classifyProbe(
  call: ProbedCall,
  nrEvents: number,
  exit: ChildExit,
): CallObservation {
  const base = { call, shown: shownCall(call, nrEvents) };
  if (exit.signal === 'SIGSYS')
    return { ...base, kind: 'killed', errno: null, ret: null, note: 'killed by SIGSYS' };
  let seen: { ret: number; errno: number; sigsys: boolean } | null = null;
  try {
    seen = exit.code === 0 ? JSON.parse(exit.stdout.trim()) : null;
  } catch {}
  if (seen === null) {
    const how = exit.signal ? `killed by ${exit.signal}` : `exit status ${exit.code}`;
    const why = exit.stderr.trim().split('\n').at(-1) ?? '';
    return {
      ...base,
      kind: 'unknown',
      errno: null,
      ret: null,
      note: `probe child ${how}${why ? `: ${why}` : ''}`,
    };
  }
  const errno = seen.ret === -1 ? (errnoName(seen.errno) ?? seen.errno) : null;
  if (seen.sigsys) return { ...base, kind: 'trap', errno, ret: seen.ret, note: null };
  if (errno === 'EINVAL') return { ...base, kind: 'kernel', errno, ret: seen.ret, note: null };
  if (errno !== null) return { ...base, kind: 'errno', errno, ret: seen.ret, note: null };
  return {
    ...base,
    kind: 'unknown',
    errno,
    ret: seen.ret,
    note: `returned ${seen.ret}, which neither the kernel nor a filter gives here`,
  };
}

/** The built probe (dist/real/aio-call-probe.js), also when running from TypeScript sources. */
function probeEntry(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [
    resolve(here, '../../real/aio-call-probe.js'),
    resolve(here, '../../dist/real/aio-call-probe.js'),
  ];
  const found = candidates.find((p) => existsSync(p));
  if (!found)
    throw new Error(`probe not built (looked for ${candidates.join(', ')}); run npm run build`);
  return found;
}

const PROBE_TIMEOUT_MS = 20_000;

function runChild(args: readonly string[]): Promise<ChildExit> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [probeEntry(), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), PROBE_TIMEOUT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      done({ stdout, stderr: e.message, code: null, signal: null });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      done({ stdout, stderr, code, signal });
    });
  });
}

/** io_setup(nrEvents, &ctx) and io_destroy(0), each in a child of its own, at once. */
export async function probeFilter(nrEvents: number): Promise<readonly CallObservation[]> {
  const calls: [ProbedCall, string[]][] = [
    ['io_setup', ['io_setup', String(nrEvents)]],
    ['io_destroy', ['io_destroy']],
  ];
  return Promise.all(
    calls.map(async ([call, args]) => {
      try {
        return classifyProbe(call, nrEvents, await runChild(args));
      } catch (e) {
        return {
          call,
          shown: shownCall(call, nrEvents),
          kind: 'unknown' as const,
          errno: null,
          ret: null,
          note: (e as Error).message,
        };
      }
    }),
  );
}
