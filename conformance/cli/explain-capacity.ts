/**
 * `aiospec explain capacity --nr-events N`: how many requests a context of
 * io_setup(N) holds before io_submit answers EAGAIN (aio-family.md §6.2,
 * §6.3), from familyCapacity, with the arithmetic written out.
 */
import {
  decideIoSetup,
  envProblem,
  type FamilyCapacity,
  familyCapacity,
  linuxRingGeometry,
  newProcessState,
} from '../../model/index.js';
import { boolFlag, parseFlags } from './args.js';
import { ENV_FLAGS } from './env-flags.js';
import { envFromValues } from './env-values.js';
import { parseU32 } from './numbers.js';
import { UsageError } from './usage-error.js';

export interface CapacityJson extends FamilyCapacity {
  nrEvents: number;
  possibleCpus: number;
  pageSize: number;
  ne: number;
  pages: number;
}

export function explainCapacityCommand(argv: readonly string[]): { out: string; code: number } {
  const parsed = parseFlags(argv, {
    'nr-events': { type: 'string' },
    cpus: ENV_FLAGS.cpus!,
    'page-size': ENV_FLAGS['page-size']!,
    'aio-max-nr': ENV_FLAGS['aio-max-nr']!,
    'aio-nr': ENV_FLAGS['aio-nr']!,
    json: { type: 'boolean' },
  });
  const text = parsed.values['nr-events'];
  if (typeof text !== 'string')
    throw new UsageError('--nr-events: missing (capacity needs the nr_events io_setup is given)');
  const nrEvents = parseU32('--nr-events', text);
  const env = envFromValues(parsed.values);
  const problem = envProblem(env);
  if (problem) throw new UsageError(problem);
  const setup = decideIoSetup(env, newProcessState(env), { nrEvents, ctx: 'zero' });
  if (setup.errno !== null)
    throw new UsageError(
      `--nr-events ${nrEvents}: io_setup(${nrEvents}) fails here (${setup.errno}, rule ${setup.rule}): no context, no capacity`,
    );
  const c = env.possibleCpus;
  const ne = 2 * Math.max(nrEvents, 4 * c);
  const cap = familyCapacity(nrEvents, c, env.pageSize);
  const pages = linuxRingGeometry(ne, env.pageSize).pages;
  const json: CapacityJson = {
    nrEvents,
    possibleCpus: c,
    pageSize: env.pageSize,
    ne,
    pages,
    ...cap,
  };
  if (boolFlag(parsed, 'json')) return { out: JSON.stringify(json), code: 0 };
  return { out: capacityText(json), code: 0 };
}

function capacityText(j: CapacityJson): string {
  const { ringNr: n, batch: b, pinned: k, lowerBound: l, possibleCpus: c } = j;
  const pool = n - 1;
  return [
    `capacity of io_setup(${j.nrEvents}) with ${c} possible CPU(s) and ${j.pageSize}-byte pages (Linux; aio-family.md §6.2, §6.3)`,
    `  ne = 2 × max(nr_events ${j.nrEvents}, 4×${c} CPUs = ${4 * c}) = ${j.ne}`,
    `  ring: 32 + 32 × (ne + 2) bytes → ${j.pages} page(s) → ring->nr N = ${n} (io_submit clamps nr to it)`,
    `  slot pool: N − 1 = ${pool} (at most ${pool} events in the ring at once)`,
    `  req_batch B = max(1, floor((N − 1) / (4 × ${c}))) = ${b}`,
    `  K = (N − 1) − ((N − 1) mod B) = ${pool} − ${pool % b} = ${k}: successful submissions from one pinned CPU, nothing reaped, then EAGAIN`,
    c === 1
      ? `  L = K = ${l}: one CPU, no other cache to strand slots in`
      : `  L = (N − 1) − (C − 1)(2B − 1) − (B − 1) = ${pool} − ${(c - 1) * (2 * b - 1)} − ${b - 1} = ${l}: the fewest submitted-and-unreaped requests before EAGAIN wherever completions run`,
    '  (gVisor: exactly nr_events requests outstanding)',
  ].join('\n');
}
