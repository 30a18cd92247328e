import {
  type CtxKind,
  commitIoSetup,
  decideIoSetup,
  type Environment,
  makeEnv,
  newProcessState,
  type ProcessState,
  type SetupOutcome,
} from '../../model/index.js';

/** One io_setup from a fresh process in an environment differing from the default as given. */
export function setup(
  nrEvents: number,
  ctx: CtxKind = 'zero',
  env: Partial<Environment> = {},
): SetupOutcome {
  const e = makeEnv(env);
  return decideIoSetup(e, newProcessState(e), { nrEvents, ctx });
}

/** A process with `n` contexts of `nr` events already created. */
export function processWith(env: Environment, n: number, nr = 1): ProcessState {
  const state = newProcessState(env);
  for (let i = 0; i < n; i++) {
    const o = decideIoSetup(env, state, { nrEvents: nr, ctx: 'zero' });
    if (o.errno) throw new Error(`setup ${i} failed: ${o.errno}`);
    commitIoSetup(state, o);
  }
  return state;
}
