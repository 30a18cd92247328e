/**
 * The faults suite: io_setup with its K-th kernel allocation made to fail
 * (/proc/thread-self/fail-nth), K walked from 1 until the call no longer
 * reaches it. Each family is a call in a state that allocates differently:
 * a process's first context (it allocates the context table), the call that
 * grows the table (the 5th and 17th context: 4 -> 16 -> 64 slots), small and
 * multi-page rings, and the final write that faults (the context is made,
 * then torn down). Each case ends with a plain io_setup, whose slot id says
 * the failed call left the table as the model says.
 *
 * Argument checks come before any allocation, so calls they refuse are run
 * with an allocation armed too: no failure may turn their EINVAL or EFAULT
 * into ENOMEM (the armed allocation is never reached).
 */
import type { CtxKind } from '../../model/index.js';
import type { Case, Step } from '../cases.js';

export interface FaultFamily {
  readonly name: string;
  /** Setups that bring the process to the state the call is made in. */
  readonly before: readonly number[];
  readonly nr: number;
  readonly ctx: CtxKind;
  /** Whether the call is a process's first context, or grows its table: a process of its own. */
  readonly fresh: boolean;
}

/** nr_events of the multi-page ring: 600 events need 10 pages of 4 KiB on 1 CPU, over aio_setup_ring()'s 8 inline pages (AIO_RING_PAGES), so its page array is allocated too. */
const MULTI_PAGE_NR = 600;

const ones = (n: number): number[] => Array.from({ length: n }, () => 1);

export const FAULT_FAMILIES: readonly FaultFamily[] = [
  { name: "a process's first context", before: [], nr: 1, ctx: 'zero', fresh: true },
  { name: 'a second context, one-page ring', before: [1], nr: 1, ctx: 'zero', fresh: false },
  {
    name: 'the 5th context: the table grows to 16',
    before: ones(4),
    nr: 1,
    ctx: 'zero',
    fresh: true,
  },
  {
    name: 'the 17th context: the table grows to 64',
    before: ones(16),
    nr: 1,
    ctx: 'zero',
    fresh: true,
  },
  { name: 'a multi-page ring', before: [1], nr: MULTI_PAGE_NR, ctx: 'zero', fresh: false },
  { name: 'the final write faults (EFAULT)', before: [1], nr: 1, ctx: 'readonly', fresh: false },
];

/** Calls refused before any allocation, each with its first allocation armed. */
export const REFUSED_FIRST: readonly {
  readonly name: string;
  readonly nr: number;
  readonly ctx: CtxKind;
}[] = [
  { name: 'nr_events 0 (EINVAL)', nr: 0, ctx: 'zero' },
  { name: '*ctx_idp not 0 (EINVAL)', nr: 1, ctx: 'nonzero' },
  { name: 'ctx_idp NULL (EFAULT)', nr: 1, ctx: 'null' },
  { name: 'past the internal limit (EINVAL)', nr: 0x40_0001, ctx: 'zero' },
];

const setup = (nr: number, ctx: CtxKind = 'zero', failNth?: number): Step =>
  failNth === undefined ? { op: 'setup', nr, ctx } : { op: 'setup', nr, ctx, failNth };

/** The case for step `nth` of a family's walk. */
export function faultCase(f: FaultFamily, nth: number): Case {
  return {
    name: `${f.name}: allocation #${nth} fails`,
    source: 'faults suite (fail-nth)',
    ...(f.fresh ? { freshProcess: true } : {}),
    steps: [...f.before.map((nr) => setup(nr)), setup(f.nr, f.ctx, nth), setup(1)],
  };
}

export function refusedCase(r: (typeof REFUSED_FIRST)[number]): Case {
  return {
    name: `${r.name}: allocation #1 armed, never reached`,
    source: 'faults suite (fail-nth)',
    steps: [setup(r.nr, r.ctx, 1), setup(1)],
  };
}

/** The step of a fault case that has an allocation armed. */
export function armedStep(c: Case): number {
  return c.steps.findIndex((s) => s.op === 'setup' && s.failNth !== undefined);
}
