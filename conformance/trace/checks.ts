/**
 * Small checks of JSON values, combined into tables that describe every field
 * of a trace line (line-checks.ts). A check returns the first problem it finds,
 * with the path of the field it is in (`report.results[0].ring.magic`), so that
 * an error names the field as well as the line.
 */
import { addressProblem, u64Problem } from './u64.js';

export interface Problem {
  /** Where in the value: "" for the value itself, else a path such as `ring.magic` or `[2].errno`. */
  readonly at: string;
  readonly what: string;
}

/** What a check may need to know beyond the value: the page size of the line's worker. */
export interface LineContext {
  readonly pageSize: number | null;
}

export type Check = (v: unknown, ctx: LineContext) => Problem | undefined;

/** A value for an error message: short, and never more than one line. */
export function shown(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A check of one value from what `why` says is wrong with it ("is not a u32",
 * or undefined when nothing is); the message puts the value in front.
 */
export function leaf(why: (v: unknown, ctx: LineContext) => string | undefined): Check {
  return (v, ctx) => {
    if (v === undefined) return { at: '', what: 'missing' };
    const w = why(v, ctx);
    return w === undefined ? undefined : { at: '', what: `${shown(v)} ${w}` };
  };
}

/** A value that passes `test`, described as `expected` when it does not. */
export function is(test: (v: unknown) => boolean, expected: string): Check {
  return leaf((v) => (test(v) ? undefined : `is not ${expected}`));
}

export const string = is((v) => typeof v === 'string', 'a string');
export const boolean = is((v) => typeof v === 'boolean', 'true or false');
export const u64 = leaf(u64Problem);
export const address = leaf(addressProblem);

/** An integer in [min, max], described as `what` (the bounds are added). */
export function intIn(min: number, max: number, what: string): Check {
  return is(
    (v) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max,
    `${what} (an integer from ${min} to ${max})`,
  );
}

/** One of a few values; `expected` describes them when listing them would not help. */
export function oneOf(values: readonly unknown[], expected?: string): Check {
  return is(
    (v) => values.includes(v),
    expected ?? `one of ${values.map((x) => JSON.stringify(x)).join(', ')}`,
  );
}

export function nullable(c: Check): Check {
  return (v, ctx) => (v === null ? undefined : c(v, ctx));
}

/** A field the writer leaves out when it has nothing to say. */
export function optional(c: Check): Check {
  return (v, ctx) => (v === undefined ? undefined : c(v, ctx));
}

function within(key: string | number, p: Problem): Problem {
  const head = typeof key === 'number' ? `[${key}]` : key;
  const at = p.at === '' ? head : p.at.startsWith('[') ? `${head}${p.at}` : `${head}.${p.at}`;
  return { at, what: p.what };
}

/** An object whose fields pass their checks, in the table's order (other fields are ignored). */
export function fields(shape: Readonly<Record<string, Check>>): Check {
  return (v, ctx) => {
    if (!isObject(v)) return v === undefined ? { at: '', what: 'missing' } : notAnObject(v);
    for (const [key, check] of Object.entries(shape)) {
      const p = check(v[key], ctx);
      if (p) return within(key, p);
    }
    return undefined;
  };
}

/** An array whose every element passes `c`. */
export function listOf(c: Check): Check {
  return (v, ctx) => {
    if (!Array.isArray(v))
      return { at: '', what: v === undefined ? 'missing' : `${shown(v)} is not a list` };
    for (const [i, x] of v.entries()) {
      const p = c(x, ctx);
      if (p) return within(i, p);
    }
    return undefined;
  };
}

/** An object whose `tag` field picks the table its other fields are checked against. */
export function tagged(tag: string, variants: Readonly<Record<string, Check>>): Check {
  const names = Object.keys(variants);
  return (v, ctx) => {
    if (!isObject(v)) return v === undefined ? { at: '', what: 'missing' } : notAnObject(v);
    const t = v[tag];
    if (typeof t !== 'string' || !Object.hasOwn(variants, t))
      return within(tag, {
        at: '',
        what:
          t === undefined
            ? 'missing'
            : `${shown(t)} is not one of ${names.map((n) => `"${n}"`).join(', ')}`,
      });
    return variants[t]!(v, ctx);
  };
}

function notAnObject(v: unknown): Problem {
  return { at: '', what: `${shown(v)} is not an object` };
}
