/**
 * The family steps' results in a trace (real/family-protocol.ts
 * FamilyStepResult), as checks: a raw return value (a count, 0 or -1), an
 * errno, aio_key values, events with u64/s64 fields, the ring's ends.
 */
import { MAX_ERRNO } from './bounds.js';
import {
  boolean,
  type Check,
  fields,
  intIn,
  is,
  isObject,
  listOf,
  nullable,
  optional,
  u64,
} from './checks.js';

const u32 = intIn(0, 0xffff_ffff, 'a u32');
const count = intIn(0, Number.MAX_SAFE_INTEGER, 'a count');
const errno = intIn(0, MAX_ERRNO, 'an errno');
/** The raw syscall return: a count, 0, or -1 with errno. */
const ret = intIn(-1, Number.MAX_SAFE_INTEGER, 'a return value (a count, 0 or -1)');

const S64_MIN = -(1n << 63n);
const S64_MAX = (1n << 63n) - 1n;

/** An s64 as the wire carries it: a number while exact, a decimal string (maybe negative) beyond. */
const s64 = is((v) => {
  if (typeof v === 'number') return Number.isSafeInteger(v);
  if (typeof v !== 'string' || !/^-?(0|[1-9][0-9]*)$/.test(v)) return false;
  const n = BigInt(v);
  return n >= S64_MIN && n <= S64_MAX;
}, 'an s64 (a number, or a decimal string)');

const named = fields({ submitted: count, index: count });
const raw = fields({ raw: u64 });
const obj: Check = (v, ctx) => (isObject(v) && 'raw' in v ? raw(v, ctx) : named(v, ctx));

const event = fields({ data: u64, obj, res: s64, res2: s64 });
const ring = nullable(fields({ head: u32, tail: u32 }));

export const FAMILY_STEP_RESULTS: Readonly<Record<string, Check>> = {
  submit: fields({ ret, errno, keys: listOf(nullable(u32)), ring }),
  getevents: fields({ ret, errno, events: listOf(event), ring, usr1: optional(count) }),
  pgetevents: fields({ ret, errno, events: listOf(event), ring, usr1: optional(count) }),
  cancel: fields({ ret, errno, resultUntouched: optional(boolean), ring }),
  reap: fields({ events: listOf(event), ring }),
  fdwrite: fields({ ret, errno, value: optional(u64) }),
  fdread: fields({ ret, errno, value: optional(u64) }),
};
