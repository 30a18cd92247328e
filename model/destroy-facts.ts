/**
 * Everything an io_destroy rule may look at, computed once per call: what the
 * kernel reads at the handle, the table slot it names, the context there.
 */
import type { Environment } from './env.js';
import { readU32, type U32Read } from './memory.js';
import { type Profile, profile } from './profiles.js';
import { type SeccompVerdict, seccompVerdict } from './seccomp-eval.js';
import { contextAt, type LiveContext, type ProcessState } from './state.js';

export interface DestroyCall {
  /** The aio_context_t passed to io_destroy. */
  readonly handle: bigint;
  /** What a read at `handle` sees when no live ring covers it (default: unreadable). */
  readonly memory?: U32Read;
}

export interface DestroyFacts {
  readonly env: Environment;
  readonly profile: Profile;
  readonly handle: bigint;
  /** What the process's seccomp filters do with this call, and which profile rule says so. */
  readonly seccomp: SeccompVerdict;
  /** What get_user(id, &ring->id) reads (Linux) / isValidAddr reads (gVisor). */
  readonly read: U32Read;
  readonly tableSize: number;
  /** table[id] when the id read is a slot of the table. */
  readonly slotContext: LiveContext | undefined;
  /** The live context whose handle is exactly the argument. */
  readonly target: LiveContext | undefined;
}

export function destroyFacts(
  env: Environment,
  state: ProcessState,
  call: DestroyCall,
): DestroyFacts {
  const read = readU32(state, call.handle, call.memory);
  const slotContext =
    read.readable && read.u32 < state.tableSize ? state.slots[read.u32] : undefined;
  return {
    env,
    profile: profile(env.profile),
    handle: call.handle,
    seccomp: seccompVerdict(env, 'io_destroy', [call.handle]),
    read,
    tableSize: state.tableSize,
    slotContext,
    target: contextAt(state, call.handle),
  };
}
