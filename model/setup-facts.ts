/**
 * Everything an io_setup rule may look at, computed once per call with the
 * kernel's own integer widths. Rules are then one-line predicates over these.
 */
import { type CtxKind, type CtxTraits, ctxTraits } from './abi/ctx-kinds.js';
import type { Environment } from './env.js';
import { chargeOf, limitOf, type Profile, profile } from './profiles.js';
import { gvisorRingGeometry, linuxRingGeometry, type PageSize, type RingGeometry } from './ring.js';
import { type SeccompVerdict, seccompVerdict, typicalCtxAddress } from './seccomp-eval.js';
import { lowestFreeSlot, type ProcessState } from './state.js';
import { addU64, maxU32, mulU32 } from './u32.js';

/** ne = 2 * max(nr_events, 4*C) in u32, as ioctx_alloc() computes it; and whether it wrapped. */
export function doubledEvents(
  nrEvents: number,
  possibleCpus: number,
): { readonly ne: number; readonly wrapped: boolean } {
  const doubled = 2 * maxU32(nrEvents, mulU32(possibleCpus, 4));
  return { ne: doubled >>> 0, wrapped: doubled > 0xffff_ffff };
}

/** The ring a Linux io_setup(nr_events) maps (before any check says whether it may). */
export function linuxRingFor(
  nrEvents: number,
  possibleCpus: number,
  pageSize: PageSize,
): RingGeometry {
  return linuxRingGeometry(doubledEvents(nrEvents, possibleCpus).ne, pageSize);
}

export interface SetupCall {
  readonly nrEvents: number;
  readonly ctx: CtxKind;
  /** The address passed as ctx_idp (what a seccomp filter compares); absent: typicalCtxAddress(ctx). */
  readonly ctxAddress?: bigint;
}

export interface SetupFacts {
  readonly env: Environment;
  readonly profile: Profile;
  readonly call: SetupCall;
  readonly ctx: CtxTraits;
  /** What the process's seccomp filters do with this call, and which profile rule says so. */
  readonly seccomp: SeccompVerdict;
  /** num_possible_cpus() * 4 (u32). */
  readonly floor: number;
  /** ne = 2 * max(nr_events, 4*C), computed in u32 as the kernel does. */
  readonly ne: number;
  /** Whether the doubling passed 2^32 and wrapped. */
  readonly neWrapped: boolean;
  /** What a success adds to aio-nr (0 where the kernel keeps no aio-nr). */
  readonly charge: bigint;
  /** aio-max-nr times the profile's factor (u64); null without accounting. */
  readonly limit: bigint | null;
  /** aio-nr when the call starts. */
  readonly aioNr: bigint | null;
  /** aio_nr + charge in u64, and whether that addition wrapped. */
  readonly sum: bigint | null;
  readonly sumWrapped: boolean;
  /** The ring this call would map. */
  readonly ring: RingGeometry;
  /** Address space the process may still map, after its live rings; null = unlimited. */
  readonly asLeft: bigint | null;
  /** Every slot of the context table is taken, so ioctx_add_table() must allocate a bigger one. */
  readonly tableFull: boolean;
}

export function setupFacts(env: Environment, state: ProcessState, call: SetupCall): SetupFacts {
  const prof = profile(env.profile);
  const floor = mulU32(env.possibleCpus, 4);
  const { ne, wrapped } = doubledEvents(call.nrEvents, env.possibleCpus);
  const acct = prof.accounting;
  const charge = acct ? chargeOf(acct, call.nrEvents, ne) : 0n;
  const limit = acct ? limitOf(acct, env.aioMaxNr) : null;
  const aioNr = acct ? (state.aioNr ?? env.aioNr) : null;
  const sum = aioNr === null ? null : addU64(aioNr, charge);
  const ring =
    prof.ring === 'linux' ? linuxRingGeometry(ne, env.pageSize) : gvisorRingGeometry(env.pageSize);
  return {
    env,
    profile: prof,
    call,
    ctx: ctxTraits(call.ctx),
    // nr_events is an unsigned int the caller passes zero-extended in a 64-bit register.
    seccomp: seccompVerdict(env, 'io_setup', [
      BigInt(call.nrEvents >>> 0),
      call.ctxAddress ?? typicalCtxAddress(call.ctx),
    ]),
    floor,
    ne,
    neWrapped: wrapped,
    charge,
    limit,
    aioNr,
    sum,
    sumWrapped: sum !== null && aioNr !== null && sum < aioNr,
    ring,
    asLeft: env.asHeadroom === null ? null : env.asHeadroom - state.ringBytes,
    tableFull: lowestFreeSlot(state) < 0,
  };
}
