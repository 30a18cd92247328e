/**
 * What `aiospec explain` is asked: the call and its environment, from flag
 * values. Node-free, so that the playground reads its URL's query parameters
 * (named after these flags) with the same checks, and `explain --link` writes
 * them back: a link reproduces exactly the case the command line describes.
 */
import {
  CTX_KIND_NAMES,
  type CtxKind,
  decideIoSetup,
  type Environment,
  envProblem,
  isCtxKind,
  newProcessState,
  type SetupOutcome,
} from '../../model/index.js';
import { envFromValues, type FlagValues } from './env-values.js';
import { parseU32 } from './numbers.js';
import { UsageError } from './usage-error.js';

export interface ExplainInput {
  readonly env: Environment;
  readonly call: { readonly nrEvents: number; readonly ctx: CtxKind };
}

/** explain's flags that describe the case, in the order a link lists them. */
export const CASE_FLAGS = [
  'nr-events',
  'ctx',
  'profile',
  'cpus',
  'page-size',
  'aio-max-nr',
  'aio-nr',
  'as-headroom',
  'seccomp',
  'no-aio',
  'fail-alloc',
] as const;

export function explainInput(values: FlagValues): ExplainInput {
  const nrText = values['nr-events'];
  if (typeof nrText !== 'string')
    throw new UsageError(
      '--nr-events: missing (explain needs the nr_events to call io_setup with)',
    );
  const nrEvents = parseU32('--nr-events', nrText);
  const ctx = typeof values.ctx === 'string' ? values.ctx : 'zero';
  if (!isCtxKind(ctx))
    throw new UsageError(`--ctx: unknown kind "${ctx}" (one of ${CTX_KIND_NAMES.join(', ')})`);
  const env = envFromValues(values);
  const problem = envProblem(env);
  if (problem) throw new UsageError(problem);
  return { env, call: { nrEvents, ctx } };
}

/** The one call explain shows, in a process that has made no context yet. */
export function explainOutcome(input: ExplainInput): SetupOutcome {
  return decideIoSetup(input.env, newProcessState(input.env), input.call);
}

/** The query string (`?nr-events=…&ctx=…`) of the given case flags, as the values were written. */
export function caseQuery(values: FlagValues): string {
  const q = new URLSearchParams();
  for (const name of CASE_FLAGS) {
    const v = values[name];
    if (typeof v === 'string') q.set(name, v);
    else if (v === true) q.set(name, '');
  }
  const text = q.toString();
  return text === '' ? '' : `?${text}`;
}

/** Flag values from a query string: a parameter given without a value is a boolean flag set. */
export function valuesFromQuery(search: string): Record<string, string | boolean> {
  const values: Record<string, string | boolean> = {};
  for (const [name, v] of new URLSearchParams(search)) {
    if (!(CASE_FLAGS as readonly string[]).includes(name)) continue;
    values[name] = name === 'no-aio' ? v !== '0' && v !== 'false' : v;
  }
  return values;
}
