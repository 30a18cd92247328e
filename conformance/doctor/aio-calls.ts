/**
 * The six AIO calls the doctor makes, each once and harmlessly
 * (real/aio-call-probe.ts), and what each returns once it is past seccomp:
 * an error from the call's own first checks, so that nothing is created.
 * Sources: fs/aio.c (K618), /work/shared/notes/aio-family.md §2.1, §3, §4, §5
 * and §8 (gVisor).
 */
import type { ErrnoName } from '../../model/index.js';

export type AioCall =
  | 'io_setup'
  | 'io_destroy'
  | 'io_submit'
  | 'io_getevents'
  | 'io_pgetevents'
  | 'io_cancel';

export interface HarmlessCall {
  readonly call: AioCall;
  /** The call as made, C-like (io_setup's nr_events is the request's, else 1). */
  readonly shown: (nrEvents: number) => string;
  /** What a kernel that lets the call through returns: an errno name, or 0 (returned 0). */
  readonly reached: readonly (ErrnoName | 0)[];
  /** Why that answer, and why it creates nothing (the check in fs/aio.c). */
  readonly why: string;
  /** The Linux release that added the call (null: as old as AIO itself). */
  readonly since: readonly [number, number] | null;
  /** gVisor answers ENOSYS whatever the arguments: it does not implement the call (sys_aio.go). */
  readonly gvisorEnosys: boolean;
}

export const AIO_CALLS: readonly HarmlessCall[] = [
  {
    call: 'io_setup',
    shown: (n) => `io_setup(${n}, &ctx)`,
    reached: ['EINVAL'],
    why: '*ctx is nonzero: io_setup refuses it before allocating anything',
    since: null,
    gvisorEnosys: false,
  },
  {
    call: 'io_destroy',
    shown: () => 'io_destroy(0)',
    reached: ['EINVAL'],
    why: 'no context has handle 0 (lookup_ioctx)',
    since: null,
    gvisorEnosys: false,
  },
  {
    call: 'io_submit',
    shown: () => 'io_submit(0, 0, NULL)',
    // gVisor looks the context up per iocb: with nr 0 it returns 0 for any handle (§8).
    reached: ['EINVAL', 0],
    why: 'no context has handle 0 (lookup_ioctx); gVisor returns 0 for nr 0',
    since: null,
    gvisorEnosys: false,
  },
  {
    call: 'io_getevents',
    shown: () => 'io_getevents(0, 0, 0, NULL, NULL)',
    reached: ['EINVAL'],
    why: 'no context has handle 0 (lookup_ioctx)',
    since: null,
    gvisorEnosys: false,
  },
  {
    call: 'io_pgetevents',
    shown: () => 'io_pgetevents(0, 0, 0, NULL, NULL, NULL)',
    reached: ['EINVAL'],
    why: 'no signal mask to set, and no context has handle 0 (lookup_ioctx)',
    since: [4, 18],
    gvisorEnosys: true,
  },
  {
    call: 'io_cancel',
    shown: () => 'io_cancel(0, NULL, NULL)',
    reached: ['EFAULT'],
    why: "the iocb's aio_key is read first, from NULL",
    since: null,
    gvisorEnosys: true,
  },
];

export function harmlessCall(call: AioCall): HarmlessCall {
  return AIO_CALLS.find((c) => c.call === call)!;
}
