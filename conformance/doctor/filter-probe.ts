/**
 * What a seccomp filter on this process (or the kernel, or the sandbox) does
 * to each AIO call. /proc/self/status says whether there is a filter
 * (Seccomp: 2, and how many: Seccomp_filters); what it does is seen by making
 * each call, harmlessly (real/aio-call-probe.ts, aio-calls.ts), in a child
 * process: children inherit the filters, and a KILL action then kills the
 * child, not the doctor (and the next child makes the calls after that one).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ErrnoName, errnoName } from '../../model/index.js';
import { AIO_CALLS, type AioCall, harmlessCall } from './aio-calls.js';

export type ProbedCall = AioCall;

export type ObservedKind =
  /** The kernel answered as it does for these harmless calls (aio-calls.ts): the filter lets the call through. */
  | 'kernel'
  /** An errno instead of the kernel's: a filter answered (ERRNO, or ENOSYS from TRACE/USER_NOTIF), or no AIO. */
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

const shownCall = (call: ProbedCall, nrEvents: number) => harmlessCall(call).shown(nrEvents);

/** What the probe child printed for one call. */
interface Seen {
  readonly ret: number;
  readonly errno: number;
  readonly sigsys: boolean;
}

/** What one call's line says about the filter. */
function classifySeen(call: ProbedCall, nrEvents: number, seen: Seen): CallObservation {
  const base = { call, shown: shownCall(call, nrEvents) };
  const errno = seen.ret === -1 ? (errnoName(seen.errno) ?? seen.errno) : null;
  if (seen.sigsys) return { ...base, kind: 'trap', errno, ret: seen.ret, note: null };
  const answer = seen.ret === 0 ? 0 : errno;
  if (harmlessCall(call).reached.includes(answer as ErrnoName | 0))
    return { ...base, kind: 'kernel', errno, ret: seen.ret, note: null };
  if (errno !== null) return { ...base, kind: 'errno', errno, ret: seen.ret, note: null };
  return {
    ...base,
    kind: 'unknown',
    errno,
    ret: seen.ret,
    note: `returned ${seen.ret}, which neither the kernel nor a filter gives here`,
  };
}

/**
 * A call the child gave no answer for: it was killed by SIGSYS making it (the first
 * unanswered one: `first`), or never made it, or the child could not run.
 */
function unanswered(
  call: ProbedCall,
  nrEvents: number,
  exit: ChildExit,
  first: boolean,
): CallObservation {
  const base = { call, shown: shownCall(call, nrEvents), errno: null, ret: null };
  if (exit.signal === 'SIGSYS')
    return first
      ? { ...base, kind: 'killed', note: 'killed by SIGSYS' }
      : { ...base, kind: 'unknown', note: 'not made: an earlier call killed the probe child' };
  const how = exit.signal ? `killed by ${exit.signal}` : `exit status ${exit.code}`;
  const why = exit.stderr.trim().split('\n').at(-1) ?? '';
  return { ...base, kind: 'unknown', note: `probe child ${how}${why ? `: ${why}` : ''}` };
}

/** The lines a probe child printed, one per call made (the last may be cut off by its death). */
function seenLines(stdout: string): Seen[] {
  const lines: Seen[] = [];
  for (const line of stdout.split('\n')) {
    try {
      if (line.trim()) lines.push(JSON.parse(line));
    } catch {}
  }
  return lines;
}

/** What one probe child's exit says about the filter, for the calls it was given, in order. */
export function classifyBatch(
  calls: readonly ProbedCall[],
  nrEvents: number,
  exit: ChildExit,
): CallObservation[] {
  // Lines count only from a child that finished, or died of SIGSYS (what it printed before is true).
  const lines = exit.code === 0 || exit.signal === 'SIGSYS' ? seenLines(exit.stdout) : [];
  return calls.map((call, i) =>
    lines[i]
      ? classifySeen(call, nrEvents, lines[i]!)
      : unanswered(call, nrEvents, exit, i === lines.length),
  );
}

/** What one probe child's exit says about the filter, for its one call. */
export function classifyProbe(
  call: ProbedCall,
  nrEvents: number,
  exit: ChildExit,
): CallObservation {
  return classifyBatch([call], nrEvents, exit)[0]!;
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

/** The probe child's arguments for these calls (io_setup takes nr_events after it). */
const childArgs = (calls: readonly ProbedCall[], nrEvents: number) =>
  calls.flatMap((c) => (c === 'io_setup' ? ['io_setup', String(nrEvents)] : [c]));

async function probeBatch(
  calls: readonly ProbedCall[],
  nrEvents: number,
): Promise<CallObservation[]> {
  try {
    return classifyBatch(calls, nrEvents, await runChild(childArgs(calls, nrEvents)));
  } catch (e) {
    return calls.map((call) => ({
      call,
      shown: shownCall(call, nrEvents),
      kind: 'unknown' as const,
      errno: null,
      ret: null,
      note: (e as Error).message,
    }));
  }
}

/**
 * The six calls (io_setup with nrEvents), in AIO_CALLS' order, made by one child in turn.
 * A KILL action takes the child with the call it was making: a new child then makes the
 * calls after that one, so each call is made once and a death hides no other answer.
 */
export async function probeCalls(nrEvents: number): Promise<readonly CallObservation[]> {
  const seen: CallObservation[] = [];
  let left: readonly ProbedCall[] = AIO_CALLS.map((c) => c.call);
  while (left.length > 0) {
    const batch = await probeBatch(left, nrEvents);
    const killed = batch.findIndex((o) => o.kind === 'killed');
    if (killed === -1) return [...seen, ...batch];
    seen.push(...batch.slice(0, killed + 1));
    left = left.slice(killed + 1);
  }
  return seen;
}
