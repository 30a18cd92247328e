/**
 * Can this process call io_setup at all, and if not, who says no: the kernel
 * (CONFIG_AIO=n: the /proc/sys/fs/aio-* files are absent and the call is
 * ENOSYS), a seccomp filter (Seccomp: 2 in /proc/self/status; Docker's and
 * containerd's profiles answer EPERM), or a sandbox without accounting (gVisor).
 */
import { type ErrnoName, errnoName, type SeccompAction } from '../../model/index.js';

export type AioState =
  /** io_setup reaches the kernel and the kernel keeps aio-nr. */
  | 'available'
  /** gVisor: io_setup works, but there is no aio-nr/aio-max-nr and never EAGAIN. */
  | 'gvisor'
  /** The kernel was built without CONFIG_AIO. */
  | 'no-aio'
  /** A seccomp filter answers io_setup with an errno before the kernel sees it. */
  | 'filtered'
  /** The call fails in a way neither explains (e.g. EPERM with no filter: a security module?). */
  | 'blocked';

export interface Availability {
  readonly state: AioState;
  /** What the probe's io_setup(1) returned: null on success, undefined when it could not run. */
  readonly probeErrno: ErrnoName | number | null | undefined;
  readonly seccompMode: number | null;
  readonly text: string;
}

export interface AvailabilityInput {
  /** /proc/sys/fs/aio-nr exists. */
  readonly sysctls: boolean;
  readonly gvisor: boolean;
  /** errno of the probe's io_setup(1): null on success, undefined when the probe did not run. */
  readonly probeErrno: number | null | undefined;
  readonly seccompMode: number | null;
}

/** Errnos that mean the call reached the kernel's own checks (out of room or memory). */
const KERNEL_ANSWERS: readonly (ErrnoName | null)[] = [null, 'EAGAIN', 'ENOMEM'];

const SECCOMP_MODES: Readonly<Record<number, string>> = { 0: 'none', 1: 'strict', 2: 'filter' };

export function seccompText(mode: number | null): string {
  return mode === null ? 'not shown' : `${mode} (${SECCOMP_MODES[mode] ?? 'unknown'})`;
}

export function availability(input: AvailabilityInput): Availability {
  const { sysctls, gvisor, probeErrno, seccompMode } = input;
  const name = typeof probeErrno === 'number' ? (errnoName(probeErrno) ?? probeErrno) : probeErrno;
  const filter = seccompMode === 2;
  const base = { probeErrno: name, seccompMode };
  const said =
    name === undefined ? 'not probed' : `io_setup(1) = ${name === null ? 0 : `-1 ${name}`}`;
  if (gvisor)
    return {
      ...base,
      state: 'gvisor',
      text: `gVisor (runsc): no aio-nr or aio-max-nr, io_setup never fails with EAGAIN (${said})`,
    };
  if (!sysctls)
    return {
      ...base,
      state: 'no-aio',
      text: `no: the kernel was built without CONFIG_AIO (/proc/sys/fs/aio-nr is absent; ${said})${filter ? '; a seccomp filter is active as well' : ''}`,
    };
  if (name === undefined || KERNEL_ANSWERS.includes(name as ErrnoName | null))
    return {
      ...base,
      state: 'available',
      text: `yes (${said}; seccomp ${seccompText(seccompMode)})`,
    };
  if (filter)
    return {
      ...base,
      state: 'filtered',
      text: `no: a seccomp filter answers io_setup with ${name}, not the kernel (${said}; seccomp ${seccompText(seccompMode)})`,
    };
  return {
    ...base,
    state: 'blocked',
    text: `no: ${said} although the kernel has AIO and no seccomp filter is active (a security module?)`,
  };
}

/** How the model should see the filter, if there is one it can express. */
export function seccompAction(a: Availability): SeccompAction {
  return a.state === 'filtered' && typeof a.probeErrno === 'string'
    ? { action: 'errno', errno: a.probeErrno }
    : { action: 'allow' };
}
