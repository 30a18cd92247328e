/**
 * A conformance case: an environment request plus a sequence of steps, in the
 * model's vocabulary. Serialisable to JSON (u64 as decimal strings), so that a
 * divergence can be replayed exactly with `aiospec run --case '<json>'`.
 */

import type { FamilyStep, FileSpec } from '../model/family/steps.js';
import {
  CTX_KIND_NAMES,
  type CtxKind,
  type ErrnoName,
  isCtxKind,
  isErrnoName,
  PAGE_SIZES,
} from '../model/index.js';
import {
  describeFamilyStep,
  describeFile,
  type EarlierStep,
  isFamilyOp,
  parseFamilyStep,
  parseFiles,
} from './family/case-steps.js';

/** What io_destroy is given, named by intent; each side resolves it to an address of its own. */
export type DestroyTarget =
  /** The handle made by setup step `setup` of this case (live, or already destroyed: stale). */
  | { readonly handle: number }
  /** A literal address: "0", "0xffffffffffffffff". */
  | { readonly address: string }
  /** A readable page of the process's own holding `u32` at `offset` (0 = page-aligned). */
  | { readonly bogus: { readonly u32: number; readonly offset: number } }
  /** An address nothing is mapped at. */
  | { readonly unmapped: true };

export type Step =
  | {
      readonly op: 'setup';
      readonly nr: number;
      readonly ctx: CtxKind;
      readonly asHeadroom?: bigint;
      /** The call's K-th kernel allocation fails (fault injection: the faults suite). */
      readonly failNth?: number;
    }
  | { readonly op: 'destroy'; readonly target: DestroyTarget }
  /** Overwrite ring->id of the context made by setup step `setup`. */
  | { readonly op: 'clobber'; readonly setup: number; readonly id: number }
  /** io_submit, io_getevents, io_pgetevents, io_cancel, reaping, pipe/eventfd I/O (family/case-steps.ts). */
  | FamilyStep;

/** The steps of io_setup/io_destroy alone (the ones the original judge knows). */
export type ContextStep = Exclude<Step, FamilyStep>;

export function isContextStep(s: Step): s is ContextStep {
  return !isFamilyOp(s.op);
}

export interface Case {
  /** A name for table cases; generated cases have none. */
  readonly name?: string;
  /** Where a table case comes from (LTP, libaio, gVisor, a model rule). */
  readonly source?: string;
  /** aio-max-nr minus aio-nr before the steps, made real with filler contexts; absent = as found. */
  readonly headroom?: bigint;
  /** A seccomp filter answering io_setup with this errno (a sandboxed worker). */
  readonly seccomp?: ErrnoName;
  /** Run in a process that has never created a context (a fresh worker). */
  readonly freshProcess?: boolean;
  /** Files opened before the first step (family steps name them as f0, f1, ...), closed when the case ends. */
  readonly files?: readonly FileSpec[];
  /** Run with the worker pinned to one CPU (sched_setaffinity): the completion-slot count is then exact. */
  readonly pin?: boolean;
  readonly steps: readonly Step[];
}

export function caseToJson(c: Case): unknown {
  return JSON.parse(JSON.stringify(c, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
}

export function caseToString(c: Case): string {
  return JSON.stringify(caseToJson(c));
}

function fail(what: string): never {
  throw new Error(`case: ${what}`);
}

function u32(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffff_ffff)
    fail(`${what} must be a u32`);
  return v;
}

function u64(v: unknown, what: string): bigint {
  if (
    (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) ||
    (typeof v === 'string' && /^(0|[1-9][0-9]*)$/.test(v))
  ) {
    const n = BigInt(v);
    if (n < 1n << 64n) return n;
  }
  return fail(`${what} must be a u64 (number, or decimal string)`);
}

/** The u32 a bogus target holds is read where a ring's id would be: it must fit in the page. */
function bogusOffsetProblem(offset: number, pageSize: number, i: number): string | null {
  return offset > pageSize - 4
    ? `steps[${i}].target.bogus.offset ${offset} leaves the ${pageSize}-byte page (the u32 there must fit: at most ${pageSize - 4})`
    : null;
}

/** fail-nth counts from 1 (0 disarms it); the kernel takes an unsigned int. */
function failNth(v: unknown, i: number): number {
  const n = u32(v, `steps[${i}].failNth`);
  if (n === 0) fail(`steps[${i}].failNth must be at least 1 (the first allocation)`);
  return n;
}

/** The largest page size the model knows: parseCase cannot know the host's, so it bounds by this one. */
const LARGEST_PAGE = Math.max(...PAGE_SIZES);

function parseTarget(t: unknown, i: number): DestroyTarget {
  const o = (t ?? {}) as Record<string, unknown>;
  if ('handle' in o) return { handle: u32(o.handle, `steps[${i}].target.handle`) };
  if (
    'address' in o &&
    typeof o.address === 'string' &&
    /^(0x[0-9a-fA-F]+|[0-9]+)$/.test(o.address)
  ) {
    // An address is a u64 (io_destroy's aio_context_t): anything larger names no address.
    if (BigInt(o.address) > (1n << 64n) - 1n)
      fail(`steps[${i}].target.address ${o.address} is above 2^64-1`);
    return { address: o.address };
  }
  if ('bogus' in o) {
    const b = (o.bogus ?? {}) as Record<string, unknown>;
    const offset = u32(b.offset, `steps[${i}].target.bogus.offset`);
    const problem = bogusOffsetProblem(offset, LARGEST_PAGE, i);
    if (problem !== null) fail(problem);
    return { bogus: { u32: u32(b.u32, `steps[${i}].target.bogus.u32`), offset } };
  }
  if (o.unmapped === true) return { unmapped: true };
  return fail(
    `steps[${i}].target must be {handle}, {address}, {bogus:{u32,offset}} or {unmapped:true}`,
  );
}

/** One io_setup/io_destroy/clobber step (family steps: family/case-steps.ts). */
function parseContextStep(s: Record<string, unknown>, i: number): Step {
  if (s.op === 'setup') {
    if (typeof s.ctx !== 'string' || !isCtxKind(s.ctx))
      fail(`steps[${i}].ctx must be one of ${CTX_KIND_NAMES.join(', ')}`);
    const step = { op: 'setup' as const, nr: u32(s.nr, `steps[${i}].nr`), ctx: s.ctx as CtxKind };
    return {
      ...step,
      ...(s.asHeadroom === undefined
        ? {}
        : { asHeadroom: u64(s.asHeadroom, `steps[${i}].asHeadroom`) }),
      ...(s.failNth === undefined ? {} : { failNth: failNth(s.failNth, i) }),
    };
  }
  if (s.op === 'destroy') return { op: 'destroy', target: parseTarget(s.target, i) };
  if (s.op === 'clobber')
    return {
      op: 'clobber',
      setup: u32(s.setup, `steps[${i}].setup`),
      id: u32(s.id, `steps[${i}].id`),
    };
  return fail(
    `steps[${i}].op must be setup, destroy or clobber, or one of the family's: submit, getevents, pgetevents, cancel, reap, fdwrite, fdread`,
  );
}

/** Parse and validate a case from JSON (as printed in reports). */
export function parseCase(json: unknown): Case {
  const o = (json ?? {}) as Record<string, unknown>;
  if (!Array.isArray(o.steps) || o.steps.length === 0) fail('steps must be a non-empty array');
  const files = o.files === undefined ? undefined : parseFiles(o.files);
  const steps: Step[] = [];
  o.steps.forEach((raw: unknown, i: number) => {
    const s = (raw ?? {}) as Record<string, unknown>;
    steps.push(
      isFamilyOp(s.op)
        ? parseFamilyStep(s, i, files ?? [], steps as readonly EarlierStep[])
        : parseContextStep(s, i),
    );
  });
  steps.forEach((s, i) => {
    const ref =
      s.op === 'clobber'
        ? s.setup
        : s.op === 'destroy' && 'handle' in s.target
          ? s.target.handle
          : null;
    if (ref !== null && (ref >= i || steps[ref]!.op !== 'setup'))
      fail(`steps[${i}] refers to step ${ref}, which is not an earlier setup`);
  });
  const c: { -readonly [K in keyof Case]: Case[K] } = { steps };
  if (typeof o.name === 'string') c.name = o.name;
  if (typeof o.source === 'string') c.source = o.source;
  if (o.headroom !== undefined) c.headroom = u64(o.headroom, 'headroom');
  if (o.seccomp !== undefined) {
    if (typeof o.seccomp !== 'string' || !isErrnoName(o.seccomp))
      fail('seccomp must be an errno name');
    c.seccomp = o.seccomp as ErrnoName;
  }
  if (o.freshProcess === true) c.freshProcess = true;
  if (files !== undefined) c.files = files;
  if (o.pin !== undefined) {
    if (typeof o.pin !== 'boolean') fail('pin must be true or false');
    if (o.pin) c.pin = true;
  }
  return c;
}

/**
 * What is wrong with a case on a host with this page size, or null. parseCase
 * knows no host and bounds by the largest page size; call this once the
 * target's page size is known, before the case runs.
 */
export function caseProblem(c: Case, pageSize: number): string | null {
  for (const [i, s] of c.steps.entries()) {
    if (s.op !== 'destroy' || !('bogus' in s.target)) continue;
    const problem = bogusOffsetProblem(s.target.bogus.offset, pageSize, i);
    if (problem !== null) return `case: ${problem}`;
  }
  return null;
}

/** One line for a person: io_setup(1, zero); io_destroy(#0). */
export function describeCase(c: Case): string {
  const parts = c.steps.map((s) => {
    if (isFamilyOp(s.op)) return describeFamilyStep(s as FamilyStep);
    if (s.op === 'setup')
      return `io_setup(${s.nr > 0xffff ? `0x${s.nr.toString(16)}` : s.nr}, ${s.ctx}${s.asHeadroom === undefined ? '' : `, AS+${s.asHeadroom}`})${s.failNth === undefined ? '' : ` failing allocation #${s.failNth}`}`;
    if (s.op === 'clobber') return `ring#${s.setup}->id = ${s.id}`;
    const t = (s as Extract<Step, { op: 'destroy' }>).target;
    const arg =
      'handle' in t
        ? `#${t.handle}`
        : 'address' in t
          ? t.address
          : 'bogus' in t
            ? `bogus(u32 ${t.bogus.u32}, +${t.bogus.offset})`
            : 'unmapped';
    return `io_destroy(${arg})`;
  });
  const env = [
    c.headroom !== undefined ? `headroom ${c.headroom}` : '',
    c.seccomp ? `seccomp ${c.seccomp}` : '',
    c.freshProcess ? 'fresh process' : '',
    c.files && c.files.length > 0 ? `files ${c.files.map(describeFile).join(' ')}` : '',
    c.pin ? 'pinned' : '',
  ]
    .filter(Boolean)
    .join(', ');
  return `${env ? `[${env}] ` : ''}${parts.join('; ')}`;
}
