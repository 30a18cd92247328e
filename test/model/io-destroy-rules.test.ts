/**
 * One table per io_destroy rule. Each row builds a process (contexts created,
 * some destroyed or clobbered) and names the argument, as LTP io_destroy01/02,
 * libaio's harness and gVisor's aio.cc do.
 */
import { describe, expect, it } from 'vitest';
import {
  clobberRingId,
  commitIoDestroy,
  commitIoSetup,
  DESTROY_RULES,
  type DestroyCall,
  type DestroyRuleId,
  decideIoDestroy,
  decideIoSetup,
  type Environment,
  type ErrnoName,
  type LiveContext,
  makeEnv,
  newProcessState,
  PROFILE_NAMES,
  PROFILES,
  type ProcessState,
} from '../../model/index.js';
import { aioProfile } from './seccomp-helpers.js';

interface World {
  readonly env: Environment;
  readonly state: ProcessState;
  readonly live: LiveContext[];
}

function world(envOver: Partial<Environment>, contexts: number): World {
  const env = makeEnv(envOver);
  const state = newProcessState(env);
  const live: LiveContext[] = [];
  for (let i = 0; i < contexts; i++) {
    const o = decideIoSetup(env, state, { nrEvents: 1 + i, ctx: 'zero' });
    live.push(commitIoSetup(state, o)!);
  }
  return { env, state, live };
}

function destroyHandle(w: World, handle: bigint) {
  const o = decideIoDestroy(w.env, w.state, { handle });
  commitIoDestroy(w.state, o);
  return o;
}

interface Row {
  readonly why: string;
  readonly env?: Partial<Environment>;
  readonly contexts: number;
  /** Prepare the process and return the argument. */
  readonly arg: (w: World) => DestroyCall;
  readonly errno: ErrnoName | null;
}

const EINVAL = 'EINVAL';

/** A destroy of the process's one live context, under a profile giving io_destroy this action. */
const filtered = (action: Record<string, unknown>, errno: ErrnoName | null): Row => ({
  why: `a profile answers io_destroy with ${JSON.stringify(action)}`,
  env: { seccompFilters: [aioProfile(null, action)] },
  contexts: 1,
  arg: (w) => ({ handle: w.live[0]!.handle }),
  errno,
});

const TABLE: Readonly<Record<DestroyRuleId, readonly Row[]>> = {
  'seccomp.destroy-kill-process': [filtered({ action: 'SCMP_ACT_KILL_PROCESS' }, null)],
  'seccomp.destroy-kill-thread': [filtered({ action: 'SCMP_ACT_KILL_THREAD' }, null)],
  'seccomp.destroy-trap': [filtered({ action: 'SCMP_ACT_TRAP' }, null)],
  'seccomp.destroy-errno': [
    filtered({ action: 'SCMP_ACT_ERRNO' }, 'EPERM'),
    {
      why: 'a handle compared with the ctx argument: only this one is denied',
      env: {
        seccompFilters: [
          aioProfile(null, {
            action: 'SCMP_ACT_ERRNO',
            errnoRet: 38,
            args: [{ index: 0, value: 0, op: 'SCMP_CMP_NE' }],
          }),
        ],
      },
      contexts: 1,
      arg: (w) => ({ handle: w.live[0]!.handle }),
      errno: 'ENOSYS',
    },
  ],
  'seccomp.destroy-user-notif': [filtered({ action: 'SCMP_ACT_NOTIFY' }, 'ENOSYS')],
  'seccomp.destroy-trace': [filtered({ action: 'SCMP_ACT_TRACE' }, 'ENOSYS')],
  'kernel.no-aio-destroy': [
    {
      why: 'io_destroy(2) ENOSYS: CONFIG_AIO=n',
      env: { aioCompiled: false },
      contexts: 0,
      arg: () => ({ handle: 0n }),
      errno: 'ENOSYS',
    },
  ],
  'destroy.id-fault': [
    {
      why: 'LTP io_destroy01/02: ctx memset to 0xff (a kernel address)',
      contexts: 0,
      arg: () => ({ handle: 0xffff_ffff_ffff_ffffn }),
      errno: EINVAL,
    },
    { why: 'handle 0', contexts: 1, arg: () => ({ handle: 0n }), errno: EINVAL },
    {
      why: 'a destroyed handle: its ring is unmapped',
      contexts: 2,
      arg: (w) => {
        destroyHandle(w, w.live[0]!.handle);
        return { handle: w.live[0]!.handle };
      },
      errno: EINVAL,
    },
  ],
  'destroy.no-table': [
    {
      why: 'a readable address in a process that never created a context',
      contexts: 0,
      arg: () => ({ handle: 0x10000n, memory: { readable: true, u32: 0 } }),
      errno: EINVAL,
    },
  ],
  'destroy.id-out-of-range': [
    {
      why: 'ring->id clobbered to 4 in a 4-slot table',
      contexts: 1,
      arg: (w) => {
        clobberRingId(w.state, w.live[0]!.handle, 4);
        return { handle: w.live[0]!.handle };
      },
      errno: EINVAL,
    },
    {
      why: 'a bogus address holding 1000',
      contexts: 2,
      arg: () => ({ handle: 0x10000n, memory: { readable: true, u32: 1000 } }),
      errno: EINVAL,
    },
    {
      why: 'handle + 0x10 reads the magic, 0xa10a10a1, as the id',
      contexts: 1,
      arg: (w) => ({ handle: w.live[0]!.handle + 0x10n }),
      errno: EINVAL,
    },
  ],
  'destroy.slot-empty': [
    {
      why: 'a bogus address holding 2 while only slots 0 and 1 are used',
      contexts: 2,
      arg: () => ({ handle: 0x10000n, memory: { readable: true, u32: 2 } }),
      errno: EINVAL,
    },
    {
      why: 'ring->id clobbered to the slot of a destroyed context',
      contexts: 2,
      arg: (w) => {
        destroyHandle(w, w.live[0]!.handle);
        clobberRingId(w.state, w.live[1]!.handle, 0);
        return { handle: w.live[1]!.handle };
      },
      errno: EINVAL,
    },
  ],
  'destroy.handle-mismatch': [
    {
      why: 'a bogus address holding 0 while slot 0 is live',
      contexts: 1,
      arg: () => ({ handle: 0x10000n, memory: { readable: true, u32: 0 } }),
      errno: EINVAL,
    },
    {
      why: "ring->id clobbered to another live context's slot",
      contexts: 2,
      arg: (w) => {
        clobberRingId(w.state, w.live[1]!.handle, 0);
        return { handle: w.live[1]!.handle };
      },
      errno: EINVAL,
    },
    {
      why: 'handle + 8 reads head = 0, slot 0 is another handle',
      contexts: 1,
      arg: (w) => ({ handle: w.live[0]!.handle + 8n }),
      errno: EINVAL,
    },
  ],
  'gvisor.destroy-unreadable': [
    {
      why: 'gVisor: isValidAddr fails for 0',
      env: { profile: 'gvisor' },
      contexts: 1,
      arg: () => ({ handle: 0n }),
      errno: EINVAL,
    },
  ],
  'gvisor.destroy-not-context': [
    {
      why: 'gVisor: a readable page that is no context (and gets unmapped)',
      env: { profile: 'gvisor' },
      contexts: 1,
      arg: () => ({ handle: 0x10000n, memory: { readable: true, u32: 7 } }),
      errno: EINVAL,
    },
  ],
  'destroy.ok': [
    {
      why: 'LTP io_setup01: io_destroy(ctx) after a successful io_setup',
      contexts: 1,
      arg: (w) => ({ handle: w.live[0]!.handle }),
      errno: null,
    },
    {
      why: 'a clobbered ring->id written back to its own slot',
      contexts: 2,
      arg: (w) => {
        clobberRingId(w.state, w.live[1]!.handle, 9);
        clobberRingId(w.state, w.live[1]!.handle, 1);
        return { handle: w.live[1]!.handle };
      },
      errno: null,
    },
    {
      why: 'a stale handle reused by a newer context (same address, same slot) names the new one',
      contexts: 1,
      arg: (w) => {
        const old = w.live[0]!;
        destroyHandle(w, old.handle);
        const again = decideIoSetup(w.env, w.state, { nrEvents: 1, ctx: 'zero' });
        commitIoSetup(w.state, again, old.handle);
        return { handle: old.handle };
      },
      errno: null,
    },
    {
      why: 'gVisor: a live context',
      env: { profile: 'gvisor' },
      contexts: 2,
      arg: (w) => ({ handle: w.live[1]!.handle }),
      errno: null,
    },
  ],
};

describe('io_destroy rules', () => {
  for (const id of Object.keys(TABLE) as DestroyRuleId[]) {
    describe(id, () => {
      it.each(TABLE[id].map((r) => [r.why, r] as const))('%s', (_why, row) => {
        const w = world(row.env ?? {}, row.contexts);
        const o = decideIoDestroy(w.env, w.state, row.arg(w));
        expect({ rule: o.rule, errno: o.errno }).toEqual({ rule: id, errno: row.errno });
      });
    });
  }
});

describe('io_destroy effects', () => {
  it('frees the slot for the next io_setup and gives the charge back to aio-nr', () => {
    const w = world({}, 3);
    expect(w.state.aioNr).toBe(1n + 2n + 3n);
    const o = destroyHandle(w, w.live[1]!.handle);
    expect(o.destroyed?.slot).toBe(1);
    expect(w.state.aioNr).toBe(1n + 3n);
    const next = decideIoSetup(w.env, w.state, { nrEvents: 5, ctx: 'zero' });
    expect(next.slot).toBe(1);
  });

  it('destroying twice fails the second time', () => {
    const w = world({}, 1);
    expect(destroyHandle(w, w.live[0]!.handle).errno).toBeNull();
    expect(destroyHandle(w, w.live[0]!.handle).errno).toBe('EINVAL');
  });

  it('gVisor unmaps a page at a readable page-aligned argument even when it is not a context', () => {
    const w = world({ profile: 'gvisor' }, 1);
    expect(
      decideIoDestroy(w.env, w.state, { handle: 0x10000n, memory: { readable: true, u32: 0 } })
        .unmapsPage,
    ).toBe(true);
    expect(
      decideIoDestroy(w.env, w.state, { handle: 0x10004n, memory: { readable: true, u32: 0 } })
        .unmapsPage,
    ).toBe(false);
    expect(decideIoDestroy(w.env, w.state, { handle: 0x10000n }).unmapsPage).toBe(false);
  });

  it("cannot clobber gVisor's read-only ring", () => {
    const w = world({ profile: 'gvisor' }, 1);
    expect(clobberRingId(w.state, w.live[0]!.handle, 5)).toBe(false);
    expect(destroyHandle(w, w.live[0]!.handle).errno).toBeNull();
  });

  it('every profile ends its io_destroy order with success', () => {
    for (const name of PROFILE_NAMES) {
      const order = PROFILES[name].destroyRules;
      expect(order.at(-1)).toBe('destroy.ok');
      for (const id of order) expect(DESTROY_RULES[id].id).toBe(id);
    }
    const used = new Set(PROFILE_NAMES.flatMap((n) => PROFILES[n].destroyRules));
    expect([...used].sort()).toEqual(Object.keys(DESTROY_RULES).sort());
  });
});
