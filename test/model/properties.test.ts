/**
 * Properties of the model over the whole input space: u32 nr_events weighted to
 * the edges, u64 aio-max-nr/aio-nr, every ctx kind, profile, CPU count and page size.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nrEventsArb, u64Arb } from '../../conformance/gen/nr-events.js';
import {
  CTX_KIND_NAMES,
  commitIoDestroy,
  commitIoSetup,
  decideIoDestroy,
  decideIoSetup,
  type Environment,
  makeEnv,
  newProcessState,
  PAGE_SIZES,
  PROFILE_NAMES,
} from '../../model/index.js';

const envArb: fc.Arbitrary<Environment> = fc
  .record({
    profile: fc.constantFrom(...PROFILE_NAMES),
    aioMaxNr: u64Arb(),
    aioNr: u64Arb(),
    possibleCpus: fc.oneof(fc.constantFrom(1, 2, 4, 64, 8192), fc.integer({ min: 1, max: 8192 })),
    pageSize: fc.constantFrom(...PAGE_SIZES),
    asHeadroom: fc.option(u64Arb(), { nil: null }),
    aioCompiled: fc.constantFrom(true, true, true, false),
    seccomp: fc.constantFrom<Environment['seccomp']>(
      { action: 'allow' },
      { action: 'allow' },
      { action: 'errno', errno: 'EPERM' },
    ),
    failAlloc: fc.constantFrom(
      null,
      null,
      null,
      'ioctx' as const,
      'ring' as const,
      'table' as const,
    ),
  })
  .map((e) => makeEnv(e));

const callArb = (env: Environment) =>
  fc.record({
    nrEvents: nrEventsArb(env.possibleCpus, env.pageSize),
    ctx: fc.constantFrom(...CTX_KIND_NAMES),
  });

describe('model properties', () => {
  it('never throws, over any u32 nr_events and any u64 aio-max-nr/aio-nr', () => {
    fc.assert(
      fc.property(
        envArb.chain((env) => fc.tuple(fc.constant(env), callArb(env))),
        ([env, call]) => {
          const o = decideIoSetup(env, newProcessState(env), call);
          expect(o.trail.at(-1)).toBe(o.rule);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('maps a ring of whole pages with ring->nr >= ne + 2 (and >= 2*max(nr, 4C) + 2 unless ne wrapped)', () => {
    const linux = envArb.filter((e) => e.profile !== 'gvisor');
    fc.assert(
      fc.property(
        linux.chain((env) =>
          fc.tuple(fc.constant(env), nrEventsArb(env.possibleCpus, env.pageSize)),
        ),
        ([env, nrEvents]) => {
          const o = decideIoSetup(env, newProcessState(env), { nrEvents, ctx: 'zero' });
          if (o.ring === null) return;
          const S = env.pageSize;
          const { ne } = o.facts;
          expect(o.ring.bytes).toBe(o.ring.pages * S);
          expect((o.ring.nr + 1) * 32).toBe(o.ring.bytes);
          expect(o.ring.nr).toBeGreaterThanOrEqual(ne + 2);
          expect((o.ring.pages - 1) * S).toBeLessThan(32 * (ne + 3)); // no spare page
          if (!o.facts.neWrapped)
            expect(o.ring.nr).toBeGreaterThanOrEqual(
              2 * Math.max(nrEvents, 4 * env.possibleCpus) + 2,
            );
          expect(o.ring.header.magic).toBe(0xa10a10a1);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('writes *ctx_idp and maps a ring exactly when it returns 0', () => {
    fc.assert(
      fc.property(
        envArb.chain((env) => fc.tuple(fc.constant(env), callArb(env))),
        ([env, call]) => {
          const o = decideIoSetup(env, newProcessState(env), call);
          expect(o.ctxWritten).toBe(o.ret === 0);
          expect(o.ring !== null).toBe(o.ret === 0);
          if (o.ret !== 0) expect(o.aioNrAfter).toBe(o.aioNrBefore);
        },
      ),
      { numRuns: 2000 },
    );
  });

  const stepsArb = (env: Environment) =>
    fc.array(
      fc.oneof(
        {
          weight: 3,
          arbitrary: fc.record({
            op: fc.constant('setup' as const),
            nr: nrEventsArb(env.possibleCpus, env.pageSize),
            ctx: fc.constantFrom(...CTX_KIND_NAMES),
          }),
        },
        {
          weight: 2,
          arbitrary: fc.record({ op: fc.constant('destroy' as const), pick: fc.nat() }),
        },
      ),
      { maxLength: 60 },
    );

  it('conserves aio-nr over any setup/destroy sequence and gives out the lowest free slot', () => {
    const env0 = fc.record({
      profile: fc.constantFrom('linux' as const, 'linux-3.12' as const),
      aioMaxNr: fc.oneof(fc.constant(65536n), u64Arb()),
      aioNr: fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 1n << 40n })),
      possibleCpus: fc.constantFrom(1, 2, 4, 16),
    });
    fc.assert(
      fc.property(
        env0.map((e) => makeEnv(e)).chain((env) => fc.tuple(fc.constant(env), stepsArb(env))),
        ([env, steps]) => {
          const state = newProcessState(env);
          const taken: boolean[] = []; // a naive table, independent of the model's free-slot search
          const handles: bigint[] = [];
          let tableSize = 0;
          const firstFree = () => {
            for (let i = 0; i < tableSize; i++) if (!taken[i]) return i;
            return -1;
          };
          for (const step of steps) {
            if (step.op === 'setup') {
              const o = decideIoSetup(env, state, { nrEvents: step.nr, ctx: step.ctx });
              if (o.ret === 0) {
                const lowest = firstFree();
                const expected = lowest >= 0 ? lowest : tableSize;
                expect(o.slot).toBe(expected);
                if (expected === tableSize) tableSize = tableSize === 0 ? 4 : tableSize * 4;
                taken[expected] = true;
              } else if (o.rule === 'setup.ctx-write-fault' && firstFree() < 0) {
                tableSize = tableSize === 0 ? 4 : tableSize * 4;
              }
              const ctx = commitIoSetup(state, o);
              if (ctx) handles.push(ctx.handle);
              expect(state.tableSize).toBe(tableSize);
            } else if (handles.length > 0) {
              const handle = handles.splice(step.pick % handles.length, 1)[0]!;
              const o = decideIoDestroy(env, state, { handle });
              expect(o.errno).toBeNull();
              taken[o.destroyed!.slot] = false;
              commitIoDestroy(state, o);
            }
            let held = 0n;
            for (const c of state.contexts.values()) held += c.charge;
            expect(state.aioNr).toBe((env.aioNr + held) & ((1n << 64n) - 1n));
          }
          for (const handle of handles)
            commitIoDestroy(state, decideIoDestroy(env, state, { handle }));
          expect(state.aioNr).toBe(env.aioNr);
          expect(state.contexts.size).toBe(0);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('accepts a request after a failure for lack of room once others release enough (EAGAIN is transient there)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 65536 }),
        fc.bigInt({ min: 0n, max: 65536n }),
        (nr, aioNr) => {
          const env = makeEnv({ aioNr });
          const o = decideIoSetup(env, newProcessState(env), { nrEvents: nr, ctx: 'zero' });
          const fits = aioNr + BigInt(nr) <= 65536n;
          expect(o.rule).toBe(fits ? 'setup.ok' : 'setup.over-available');
          const later = makeEnv({ aioNr: 0n });
          expect(
            decideIoSetup(later, newProcessState(later), { nrEvents: nr, ctx: 'zero' }).ret,
          ).toBe(0);
        },
      ),
    );
  });
});
