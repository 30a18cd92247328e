/**
 * One table per io_setup rule: the inputs for which that rule decides the call.
 * The table is a Record over every rule id, so a rule without cases does not compile.
 * Rows cite their origin: the man page, LTP io_setup01/02, libaio's harness 2.t,
 * gVisor, or the kernel source (fs/aio.c).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nrEventsArb, u64Arb } from '../../conformance/gen/nr-events.js';
import {
  CTX_KIND_NAMES,
  type CtxKind,
  decideIoSetup,
  type Environment,
  type ErrnoName,
  makeEnv,
  PROFILE_NAMES,
  PROFILES,
  SETUP_RULES,
  type SetupRuleId,
} from '../../model/index.js';
import { processWith, setup } from './helpers.js';
import { aioProfile, filterOf } from './seccomp-helpers.js';

interface Row {
  readonly why: string;
  readonly nr: number;
  readonly ctx?: CtxKind;
  readonly env?: Partial<Environment>;
  /** Contexts of 1 event the process already holds. */
  readonly holding?: number;
  readonly errno: ErrnoName | null;
  /** The raw result when it is neither 0 nor -errno (a TRAP's rolled-back register). */
  readonly ret?: number;
}

const EINVAL = 'EINVAL';
const EAGAIN = 'EAGAIN';

type Table = Readonly<Record<SetupRuleId, readonly Row[] | 'never decides'>>;

const TABLE: Table = {
  'seccomp.kill-process': [
    {
      why: 'a profile rule SCMP_ACT_KILL_PROCESS for io_setup: killed before any argument is read',
      nr: 1,
      ctx: 'null',
      env: { seccompFilters: [aioProfile({ action: 'SCMP_ACT_KILL_PROCESS' })] },
      errno: null,
    },
    {
      why: 'KILL_PROCESS outranks an ERRNO of a newer filter (seccomp_run_filters: the smallest action wins)',
      nr: 1,
      env: {
        seccomp: { action: 'errno', errno: 'EPERM' },
        seccompFilters: [aioProfile({ action: 'SCMP_ACT_KILL_PROCESS' })],
      },
      errno: null,
    },
  ],
  'seccomp.kill-thread': [
    {
      why: "libseccomp's SCMP_ACT_KILL is KILL_THREAD",
      nr: 1,
      env: { seccompFilters: [aioProfile({ action: 'SCMP_ACT_KILL' })] },
      errno: null,
    },
  ],
  'seccomp.trap': [
    {
      why: 'SCMP_ACT_TRAP: SIGSYS, and the call returns the rolled-back register, no errno',
      nr: 1,
      env: { seccompFilters: [aioProfile({ action: 'SCMP_ACT_TRAP' })] },
      errno: null,
      // x86_64's io_setup number (syscall_64.tbl): syscall_rollback() restores orig_ax.
      ret: 206,
    },
  ],
  'seccomp.user-notif': [
    {
      why: 'SCMP_ACT_NOTIFY with nobody listening: ENOSYS',
      nr: 1,
      env: { seccompFilters: [aioProfile({ action: 'SCMP_ACT_NOTIFY' })] },
      errno: 'ENOSYS',
    },
  ],
  'seccomp.trace': [
    {
      why: 'SCMP_ACT_TRACE without a tracer: ENOSYS whatever errnoRet says (that is the message to a tracer)',
      nr: 1,
      env: { seccompFilters: [aioProfile({ action: 'SCMP_ACT_TRACE', errnoRet: 1 })] },
      errno: 'ENOSYS',
    },
  ],
  'seccomp.errno': [
    {
      why: "a Docker-style profile's defaultAction SCMP_ACT_ERRNO reaches io_setup when no rule allows it (moby#38894)",
      nr: 1,
      env: {
        seccompFilters: [
          filterOf({
            defaultAction: 'SCMP_ACT_ERRNO',
            defaultErrnoRet: 1,
            syscalls: [{ names: ['io_destroy', 'io_submit'], action: 'SCMP_ACT_ALLOW' }],
          }),
        ],
      },
      errno: 'EPERM',
    },
    {
      why: 'errnoRet 38 (ENOSYS): the answer runtimes give for syscalls they do not know',
      nr: 1,
      env: { seccompFilters: [aioProfile({ action: 'SCMP_ACT_ERRNO', errnoRet: 38 })] },
      errno: 'ENOSYS',
    },
    {
      why: 'an argument filter allowing nr_events up to 128 only: 129 is denied',
      nr: 129,
      env: {
        seccompFilters: [
          aioProfile({
            action: 'SCMP_ACT_ERRNO',
            errnoRet: 1,
            args: [{ index: 0, value: 128, op: 'SCMP_CMP_GT' }],
          }),
        ],
      },
      errno: 'EPERM',
    },
    {
      why: 'seccomp(2): a container profile denies io_setup with EPERM',
      nr: 1,
      env: { seccomp: { action: 'errno', errno: 'EPERM' } },
      errno: 'EPERM',
    },
    {
      why: 'the filter runs before the syscall: even NULL ctx_idp gets the filter errno',
      nr: 1,
      ctx: 'null',
      env: { seccomp: { action: 'errno', errno: 'ENOSYS' } },
      errno: 'ENOSYS',
    },
    {
      why: 'the filter answers before CONFIG_AIO=n would',
      nr: 1,
      env: { aioCompiled: false, seccomp: { action: 'errno', errno: 'EPERM' } },
      errno: 'EPERM',
    },
    {
      why: 'gVisor applies seccomp filters too',
      nr: 1,
      env: { profile: 'gvisor', seccomp: { action: 'errno', errno: 'EPERM' } },
      errno: 'EPERM',
    },
  ],
  'kernel.no-aio': [
    {
      why: 'io_setup(2) ENOSYS: CONFIG_AIO=n',
      nr: 1,
      env: { aioCompiled: false },
      errno: 'ENOSYS',
    },
    {
      why: 'sys_ni_syscall never looks at its arguments',
      nr: 0,
      ctx: 'null',
      env: { aioCompiled: false },
      errno: 'ENOSYS',
    },
  ],
  'setup.ctx-fault': [
    { why: 'LTP io_setup01/02: ctxp is NULL', nr: 1, ctx: 'null', errno: 'EFAULT' },
    {
      why: 'libaio 2.t: io_setup(-1000, KERNEL_RW_POINTER)',
      nr: 0xffff_fc18,
      ctx: 'kernel',
      errno: 'EFAULT',
    },
    {
      why: 'libaio 2.t: io_setup(1000, KERNEL_RW_POINTER)',
      nr: 1000,
      ctx: 'kernel',
      errno: 'EFAULT',
    },
    {
      why: 'libaio 2.t: io_setup(0, KERNEL_RW_POINTER): the read comes before the nr_events check',
      nr: 0,
      ctx: 'kernel',
      errno: 'EFAULT',
    },
    { why: 'an unmapped address', nr: 1, ctx: 'unmapped', errno: 'EFAULT' },
    {
      why: 'an 8-byte value straddling into an inaccessible page',
      nr: 1,
      ctx: 'straddle',
      errno: 'EFAULT',
    },
    { why: 'EFAULT comes before EAGAIN as well', nr: 0x8000_0000, ctx: 'null', errno: 'EFAULT' },
    {
      why: 'gVisor: CopyUint64In fails',
      nr: 0,
      ctx: 'null',
      env: { profile: 'gvisor' },
      errno: 'EFAULT',
    },
  ],
  'setup.ctx-nonzero': [
    { why: 'LTP io_setup01/02: ctx memset to 1', nr: 1, ctx: 'nonzero', errno: EINVAL },
    {
      why: 'libaio 2.t: a second io_setup on the same variable (it now holds a handle)',
      nr: 1,
      ctx: 'nonzero',
      holding: 1,
      errno: EINVAL,
    },
    {
      why: 'a read-only page holding a handle: EINVAL, nothing is written',
      nr: 1,
      ctx: 'readonly-nonzero',
      errno: EINVAL,
    },
    {
      why: 'ctx is checked with nr_events in one test; ctx comes first in the trail',
      nr: 0,
      ctx: 'nonzero',
      errno: EINVAL,
    },
    { why: 'gVisor: idIn != 0', nr: 1, ctx: 'nonzero', env: { profile: 'gvisor' }, errno: EINVAL },
  ],
  'setup.nr-zero': [
    {
      why: 'man page: nr_events should be greater than 0; libaio 2.t io_setup(0, &ctx)',
      nr: 0,
      errno: EINVAL,
    },
    {
      why: 'checked before the write, so a read-only zero ctx still gets EINVAL',
      nr: 0,
      ctx: 'readonly',
      errno: EINVAL,
    },
    { why: 'even with aio-max-nr exhausted', nr: 0, env: { aioNr: 65536n }, errno: EINVAL },
  ],
  'setup.internal-limit': [
    { why: 'LTP io_setup01/02: nr_events -1', nr: 0xffff_ffff, errno: EINVAL },
    { why: 'libaio 2.t: nr_events -1000', nr: 0xffff_fc18, errno: EINVAL },
    {
      why: 'first value over the limit: ne = 8388610',
      nr: 4_194_305,
      env: { aioMaxNr: 1n << 40n },
      errno: EINVAL,
    },
    {
      why: 'checked before aio-max-nr: EINVAL, not EAGAIN, with aio-max-nr 1',
      nr: 5_000_000,
      env: { aioMaxNr: 1n },
      errno: EINVAL,
    },
    {
      why: 'just past the wrap window: ne = 0x800002',
      nr: 0x8040_0001,
      env: { aioMaxNr: 1n << 40n },
      errno: EINVAL,
    },
    { why: '0x7fffffff doubles to 0xfffffffe', nr: 0x7fff_ffff, errno: EINVAL },
  ],
  'setup.ne-wrapped-zero': [
    { why: 'nr_events 0x80000000: 2*2^31 wraps to 0', nr: 0x8000_0000, errno: EAGAIN },
    {
      why: 'even with an unlimited aio-max-nr',
      nr: 0x8000_0000,
      env: { aioMaxNr: (1n << 64n) - 1n },
      errno: EAGAIN,
    },
  ],
  'setup.over-max': [
    { why: 'LTP io_setup01/02: aio-max-nr + 1', nr: 65537, errno: EAGAIN },
    {
      why: 'the limit is exactly 4,194,304 = the largest nr under the internal limit',
      nr: 4_194_304,
      errno: EAGAIN,
    },
    { why: 'aio-max-nr 0 refuses everything', nr: 1, env: { aioMaxNr: 0n }, errno: EAGAIN },
    {
      why: 'the wrap window: ne = 2 passes the internal limit, nr_events still exceeds aio-max-nr',
      nr: 0x8000_0001,
      errno: EAGAIN,
    },
    {
      why: 'v3.12..v4.13: ne = 32 for one event on 4 CPUs exceeds 2*15',
      nr: 1,
      env: { profile: 'linux-3.12', aioMaxNr: 15n },
      errno: EAGAIN,
    },
  ],
  'setup.kmem': [
    {
      why: 'fault injection into kmem_cache_zalloc()',
      nr: 1,
      env: { failAlloc: 'ioctx' },
      errno: 'ENOMEM',
    },
  ],
  'setup.ring-pages': [
    {
      why: 'fault injection into the ring pages',
      nr: 1,
      env: { failAlloc: 'ring' },
      errno: 'ENOMEM',
    },
  ],
  'setup.mmap-lock-killed': 'never decides',
  'setup.ring-mmap': [
    {
      why: 'RLIMIT_AS leaves less than the one-page ring',
      nr: 1,
      env: { asHeadroom: 4095n },
      errno: 'ENOMEM',
    },
    {
      why: '4096 events on 4 CPUs: ne 8192 -> 65 pages = 266240 bytes',
      nr: 4096,
      env: { asHeadroom: 266_239n },
      errno: 'ENOMEM',
    },
    {
      why: 'live rings use up the headroom: the fifth one-page ring does not fit in 4 pages',
      nr: 1,
      holding: 4,
      env: { asHeadroom: 16_384n },
      errno: 'ENOMEM',
    },
    {
      why: 'gVisor maps one page and honours RLIMIT_AS',
      nr: 1,
      env: { profile: 'gvisor', asHeadroom: 0n },
      errno: 'ENOMEM',
    },
  ],
  'setup.over-available': [
    {
      why: 'others hold all of aio-max-nr: transient EAGAIN',
      nr: 1,
      env: { aioNr: 65536n },
      errno: EAGAIN,
    },
    { why: 'one event too many', nr: 1000, env: { aioNr: 64537n }, errno: EAGAIN },
    {
      why: 'the u64 sum wraps: aio_nr + nr < aio_nr',
      nr: 1,
      env: { aioMaxNr: (1n << 64n) - 1n, aioNr: (1n << 64n) - 1n },
      errno: EAGAIN,
    },
    {
      why: 'v3.12..v4.13: 131041 + 32 > 2*65536',
      nr: 1,
      env: { profile: 'linux-3.12', aioNr: 131_041n },
      errno: EAGAIN,
    },
  ],
  'setup.table-grow': [
    {
      why: 'the first context needs the first table',
      nr: 1,
      env: { failAlloc: 'table' },
      errno: 'ENOMEM',
    },
    {
      why: 'slots 0..3 are taken: the table must grow from 4 to 16',
      nr: 1,
      holding: 4,
      env: { failAlloc: 'table' },
      errno: 'ENOMEM',
    },
  ],
  'gvisor.id-collision': 'never decides',
  'setup.ctx-write-fault': [
    {
      why: 'a read-only page holding 0: the context is created, then torn down',
      nr: 1,
      ctx: 'readonly',
      errno: 'EFAULT',
    },
    { why: 'also with the largest accepted request', nr: 65536, ctx: 'readonly', errno: 'EFAULT' },
    {
      why: 'gVisor: CopyUint64Out fails',
      nr: 1,
      ctx: 'readonly',
      env: { profile: 'gvisor' },
      errno: 'EFAULT',
    },
  ],
  'setup.ok': [
    { why: 'LTP io_setup01/02 and libaio 2.t: io_setup(1, &ctx) with ctx = 0', nr: 1, errno: null },
    {
      why: 'equality is allowed: aio-nr reaches aio-max-nr exactly',
      nr: 1,
      env: { aioNr: 65535n },
      errno: null,
    },
    { why: 'aio-max-nr itself is allocatable (libaio 20.t)', nr: 65536, errno: null },
    {
      why: 'the wrap: 0x80000001 succeeds with a one-page ring once aio-max-nr allows it',
      nr: 0x8000_0001,
      env: { aioMaxNr: 0x8000_0001n },
      errno: null,
    },
    {
      why: 'a table slot is free: no growth needed, so a failing allocation is never tried',
      nr: 1,
      holding: 1,
      env: { failAlloc: 'table' },
      errno: null,
    },
    {
      why: 'v3.12..v4.13: 131040 + 32 = 2*65536 exactly',
      nr: 1,
      env: { profile: 'linux-3.12', aioNr: 131_040n },
      errno: null,
    },
    { why: 'gVisor accepts nr_events 0', nr: 0, env: { profile: 'gvisor' }, errno: null },
    {
      why: 'SCMP_ACT_LOG lets the call run (it is only logged)',
      nr: 1,
      env: { seccompFilters: [aioProfile({ action: 'SCMP_ACT_LOG' })] },
      errno: null,
    },
    {
      why: 'an argument filter denying nr_events > 128 lets 128 through',
      nr: 128,
      env: {
        seccompFilters: [
          aioProfile({
            action: 'SCMP_ACT_ERRNO',
            args: [{ index: 0, value: 128, op: 'SCMP_CMP_GT' }],
          }),
        ],
      },
      errno: null,
    },
    {
      why: 'gVisor has no internal limit and no aio-max-nr',
      nr: 0xffff_ffff,
      env: { profile: 'gvisor' },
      errno: null,
    },
  ],
};

function run(row: Row) {
  const env = makeEnv(row.env);
  if (row.holding) {
    const state = processWith(makeEnv({ ...row.env, failAlloc: null }), row.holding);
    return decideIoSetup(env, state, { nrEvents: row.nr, ctx: row.ctx ?? 'zero' });
  }
  return setup(row.nr, row.ctx, row.env);
}

describe('io_setup rules', () => {
  for (const id of Object.keys(TABLE) as SetupRuleId[]) {
    const rows = TABLE[id];
    describe(id, () => {
      if (rows === 'never decides') {
        it(`is unobservable (${SETUP_RULES[id].unobservable}) and no input makes it decide`, () => {
          expect(SETUP_RULES[id].unobservable).toBeTruthy();
          fc.assert(
            fc.property(
              nrEventsArb(4, 4096),
              fc.constantFrom(...CTX_KIND_NAMES),
              fc.constantFrom(...PROFILE_NAMES),
              (nr, ctx, profile) => setup(nr, ctx, { profile }).rule !== id,
            ),
          );
        });
        return;
      }
      it.each(rows.map((r) => [r.why, r] as const))('%s', (_why, row) => {
        const o = run(row);
        expect({ rule: o.rule, errno: o.errno }).toEqual({ rule: id, errno: row.errno });
        expect(o.ret).toBe(row.ret ?? (row.errno === null ? 0 : -errnoNumberOf(row.errno)));
      });
    });
  }
});

/** asm-generic/errno-base.h and errno.h, written out independently of the model's table. */
const ERRNO_NUMBERS: Partial<Record<ErrnoName, number>> = {
  EPERM: 1,
  EAGAIN: 11,
  ENOMEM: 12,
  EFAULT: 14,
  EINVAL: 22,
  ENOSYS: 38,
};

function errnoNumberOf(name: ErrnoName): number {
  const n = ERRNO_NUMBERS[name];
  if (n === undefined) throw new Error(`no errno number written down for ${name}`);
  return n;
}

describe('the rule table', () => {
  it('gives every profile an order of known rules, without repeats, ending with success', () => {
    for (const name of PROFILE_NAMES) {
      const order = PROFILES[name].setupRules;
      expect(new Set(order).size).toBe(order.length);
      for (const id of order) expect(SETUP_RULES[id]).toBeDefined();
      expect(order.at(-1)).toBe('setup.ok');
    }
  });

  it('uses every rule in some profile', () => {
    const used = new Set(PROFILE_NAMES.flatMap((name) => PROFILES[name].setupRules));
    expect([...used].sort()).toEqual(Object.keys(SETUP_RULES).sort());
  });

  it('gives every rule an id equal to its key, a condition in words and a source', () => {
    for (const [key, rule] of Object.entries(SETUP_RULES)) {
      expect(rule.id).toBe(key);
      expect(rule.when.length).toBeGreaterThan(10);
      expect(rule.source.man.length).toBeGreaterThan(3);
      expect(rule.source.linux ?? rule.source.gvisor).toBeTruthy();
    }
  });

  it("reports the deciding rule's errno (the filter's own for seccomp)", () => {
    fc.assert(
      fc.property(
        nrEventsArb(4, 4096),
        fc.constantFrom(...CTX_KIND_NAMES),
        fc.constantFrom(...PROFILE_NAMES),
        u64Arb(),
        u64Arb(),
        fc.constantFrom<Environment['seccomp']>(
          { action: 'allow' },
          { action: 'errno', errno: 'EPERM' },
        ),
        (nr, ctx, profile, aioMaxNr, aioNr, seccomp) => {
          const o = setup(nr, ctx, { profile, aioMaxNr, aioNr, seccomp });
          const ruleErrno = SETUP_RULES[o.rule].errno;
          return ruleErrno === 'filter' ? o.errno === 'EPERM' : o.errno === ruleErrno;
        },
      ),
    );
  });
});
