/**
 * The model's copy of one worker process. Every step the worker executes is
 * decided by the model first (from the state the worker is in) and then the
 * model follows what really happened, so that later steps are judged from the
 * real state even after a divergence.
 */
import {
  adoptContext,
  aioNrSub,
  type CtxKind,
  clobberRingId,
  commitIoDestroy,
  commitIoSetup,
  type DestroyOutcome,
  type DestroyRuleTable,
  decideIoDestroy,
  decideIoSetup,
  type Environment,
  faultEnvironments,
  newProcessState,
  type ProcessState,
  profile,
  RING_MAY_STAY,
  removeContext,
  type SetupOutcome,
  type SetupRuleId,
  type SetupRuleTable,
  type U32Read,
} from '../../model/index.js';
import { type DestroyResult, fromU64, type SetupResult } from '../../real/protocol.js';
import {
  type DestroyObs,
  type Difference,
  diffObs,
  modelDestroyObs,
  modelSetupObs,
  realDestroyObs,
  realSetupObs,
  type SetupObs,
} from '../observe.js';

export interface Judged<O> {
  readonly model: O;
  readonly real: O;
  readonly diffs: readonly Difference[];
  /**
   * aio-nr before the call minus what this process alone explains (the value
   * after its previous call): non-zero when another process changed it in
   * between. 0n where the kernel keeps no aio-nr.
   */
  readonly drift: bigint;
}

/** Rule tables the mirror decides with (the model's own unless replaced). */
export interface ModelRules {
  readonly setup?: SetupRuleTable;
  readonly destroy?: DestroyRuleTable;
}

export class Mirror {
  readonly state: ProcessState;
  /** Model handle of each worker ref (the real address; the model keeps the kernel's addresses). */
  private readonly refs = new Map<number, bigint>();

  private currentEnv: Environment;

  constructor(
    env: Environment,
    private readonly rules: ModelRules = {},
  ) {
    this.currentEnv = env;
    this.state = newProcessState(env);
  }

  /** The environment calls are decided in (aio-max-nr as last read). */
  get env(): Environment {
    return this.currentEnv;
  }

  /** aio-max-nr is a sysctl anyone with root may change: decide later calls with the value read now. */
  setAioMaxNr(limit: bigint): void {
    if (limit !== this.currentEnv.aioMaxNr)
      this.currentEnv = { ...this.currentEnv, aioMaxNr: limit };
  }

  /** Align the model's aio-nr with the kernel's before a call; how far it had drifted. */
  private sync(before: bigint | null): bigint {
    if (before === null || this.state.aioNr === null) return 0n;
    const drift = before - this.state.aioNr;
    this.state.aioNr = before;
    return drift;
  }

  predictSetup(nr: number, ctx: CtxKind, env: Environment = this.env): SetupOutcome {
    return decideIoSetup(env, this.state, { nrEvents: nr, ctx }, this.rules.setup);
  }

  /**
   * Judge a real io_setup against the model and follow it. `env` may differ per
   * step (RLIMIT_AS). With `failNth` (its K-th allocation made to fail), the
   * call may do what a failure at any site the model allows would do
   * (faultEnvironments): the first of those the kernel agrees with is the
   * model's prediction, and `consistent` names every rule that agreed.
   */
  setup(
    nr: number,
    ctx: CtxKind,
    real: SetupResult,
    env: Environment = this.env,
    failNth?: number,
  ): Judged<SetupObs> & { outcome: SetupOutcome; consistent: readonly SetupRuleId[] } {
    const drift = this.sync(fromU64(real.aioNrBefore));
    const realObs = realSetupObs(real, ctx, env.pageSize);
    const envs =
      failNth === undefined ? [env] : faultEnvironments(env, real.faultInjected === true);
    const tries = envs.flatMap((e) => {
      const outcome = this.predictSetup(nr, ctx, e);
      const model = modelSetupObs(outcome, failNth !== undefined);
      // A failure the call reached may also have left its ring mapped (RING_MAY_STAY).
      const ringStayed =
        real.faultInjected === true && RING_MAY_STAY.has(outcome.rule)
          ? [{ ...model, ringsAdded: 1 }]
          : [];
      return [model, ...ringStayed].map((m) => ({ outcome, model: m, diffs: diffObs(m, realObs) }));
    });
    const agreeing = tries.filter((t) => t.diffs.length === 0);
    const { outcome, model, diffs } = agreeing[0] ?? tries[0]!;
    this.follow(outcome, real);
    const consistent = [...new Set(agreeing.map((t) => t.outcome.rule))];
    return { model, real: realObs, diffs, drift, outcome, consistent };
  }

  private follow(outcome: SetupOutcome, real: SetupResult): void {
    const handle = real.handle === undefined ? undefined : BigInt(real.handle);
    const slotted = profile(this.env.profile).slotIds;
    const realSlot = slotted && real.ret === 0 ? real.ring?.id : undefined;
    if (realSlot !== undefined) this.evictFromSlot(realSlot);
    if (
      outcome.ret === 0 &&
      real.ret === 0 &&
      handle !== undefined &&
      (realSlot === undefined || realSlot === outcome.slot)
    )
      commitIoSetup(this.state, outcome, handle);
    else if (real.ret === 0 && handle !== undefined) {
      // A context the model did not expect: take it as the kernel made it.
      const before = fromU64(real.aioNrBefore);
      const after = fromU64(real.aioNrAfter);
      adoptContext(this.state, outcome, {
        handle,
        slot: real.ring?.id ?? 0,
        // Where the model expected this context too (only its slot differed), its charge is the model's.
        charge:
          outcome.ret === 0
            ? outcome.facts.charge
            : before !== null && after !== null
              ? after - before
              : 0n,
        header: real.ring ?? null,
      });
    } else if (outcome.ret !== 0) commitIoSetup(this.state, outcome); // both failed: only the table may have grown
    if (real.ref !== undefined && handle !== undefined) this.refs.set(real.ref, handle);
    const after = fromU64(real.aioNrAfter);
    if (after !== null && this.state.aioNr !== null) this.state.aioNr = after;
  }

  /**
   * ioctx_add_table() gives a new context the lowest free slot: whatever the
   * model still holds in the slot the kernel just used is not in the kernel's
   * table (a context whose end the model missed). It goes, so that later calls
   * are decided from the real table: the step that showed it still differs,
   * but a re-run no longer does, and the case ends inconclusive, not as a
   * confirmed divergence. (Seen after workers were killed mid-run: ring->id 1
   * where the model, holding such a context in slot 1, said 2, case after case.)
   */
  private evictFromSlot(slot: number): void {
    const held = this.state.slots[slot];
    if (held !== undefined) removeContext(this.state, held, true);
  }

  /** The handle of a worker ref whose context the model still holds (undefined once it is gone). */
  handleOf(ref: number): bigint | undefined {
    return this.refs.get(ref);
  }

  predictDestroy(handle: bigint, memory?: U32Read): DestroyOutcome {
    return decideIoDestroy(
      this.env,
      this.state,
      memory ? { handle, memory } : { handle },
      this.rules.destroy,
    );
  }

  destroy(
    handle: bigint,
    real: DestroyResult,
    memory?: U32Read,
  ): Judged<DestroyObs> & { outcome: DestroyOutcome } {
    const before = fromU64(real.aioNrBefore);
    const drift = this.sync(before);
    const outcome = this.predictDestroy(handle, memory);
    const model = modelDestroyObs(outcome, this.state.aioNr);
    const realObs = realDestroyObs(real);
    const diffs = diffObs(model, realObs);
    if (outcome.destroyed && real.ringGone) commitIoDestroy(this.state, outcome);
    else if (real.ringGone) {
      const ctx = this.state.contexts.get(handle);
      if (ctx) removeContext(this.state, ctx, profile(this.env.profile).slotIds);
    }
    // The worker's context at that address is gone: forget its ref (a run makes millions).
    if (real.ringGone && real.ref !== undefined) this.refs.delete(real.ref);
    const after = fromU64(real.aioNrAfter);
    if (after !== null && this.state.aioNr !== null) this.state.aioNr = after;
    return { model, real: realObs, diffs, drift, outcome };
  }

  clobber(ref: number, id: number): boolean {
    const handle = this.handleOf(ref);
    return handle !== undefined && clobberRingId(this.state, handle, id);
  }

  /** aio-nr once these refs are released: the model's count minus what they hold. */
  expectedAfterRelease(refs: readonly number[]): bigint | null {
    if (this.state.aioNr === null) return null;
    let held = 0n;
    for (const ref of refs) {
      const handle = this.handleOf(ref);
      held += (handle === undefined ? undefined : this.state.contexts.get(handle))?.charge ?? 0n;
    }
    return this.state.aioNr - held;
  }

  /** The worker released these refs (and every one was destroyed). */
  released(refs: readonly number[], aioNrAfter: bigint | null): void {
    const slotted = profile(this.env.profile).slotIds;
    for (const ref of refs) {
      const handle = this.handleOf(ref);
      this.refs.delete(ref);
      const ctx = handle === undefined ? undefined : this.state.contexts.get(handle);
      if (!ctx) continue;
      removeContext(this.state, ctx, slotted);
      // Give the charge back as kill_ioctx() does (where the kernel shows no aio-nr, this is all we know).
      if (this.state.aioNr !== null) this.state.aioNr = aioNrSub(this.state.aioNr, ctx.charge);
    }
    if (aioNrAfter !== null && this.state.aioNr !== null) this.state.aioNr = aioNrAfter;
  }
}
