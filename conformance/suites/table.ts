/**
 * The `table` suite: named cases, each a row as LTP and libaio's harness write
 * them, covering every io_setup/io_destroy case of LTP io_setup01/02 and
 * io_destroy01/02, libaio's harness 2.t, 12.t, 17.t and 20.t, gVisor's aio.cc
 * where it concerns io_setup/io_destroy, and at least one case for each model
 * rule reachable on a Linux kernel. The expected result of every row is the
 * model's; the row only says what to do.
 */
import { INTERNAL_LIMIT_NR, linuxRingFor, type PageSize } from '../../model/index.js';
import type { Case, Step } from '../cases.js';

export interface TableHost {
  readonly possibleCpus: number;
  readonly pageSize: PageSize;
  readonly aioMaxNr: bigint;
  /** aio-max-nr minus aio-nr when the run starts. */
  readonly available: bigint;
}

/** A row: a case to run, or one that cannot run here, with the reason. */
export type TableRow =
  | { readonly case: Case; readonly skip?: undefined }
  | { readonly case: Case; readonly skip: string };

const setup = (
  nr: number,
  ctx: Extract<Step, { op: 'setup' }>['ctx'] = 'zero',
  asHeadroom?: bigint,
): Step =>
  asHeadroom === undefined ? { op: 'setup', nr, ctx } : { op: 'setup', nr, ctx, asHeadroom };
const destroy = (target: Extract<Step, { op: 'destroy' }>['target']): Step => ({
  op: 'destroy',
  target,
});
const clobber = (step: number, id: number): Step => ({ op: 'clobber', setup: step, id });

const NEG_1000 = 0xffff_fc18;
const ALL_ONES = '0xffffffffffffffff';

export function tableRows(host: TableHost): TableRow[] {
  const run = (
    name: string,
    source: string,
    steps: Step[],
    extra: Partial<Case> = {},
  ): TableRow => ({ case: { name, source, steps, ...extra } });
  const skip = (name: string, source: string, why: string): TableRow => ({
    case: { name, source, steps: [setup(1)] },
    skip: why,
  });
  const max = host.aioMaxNr;
  const ring1 = BigInt(linuxRingFor(1, host.possibleCpus, host.pageSize).bytes);
  const limit = BigInt(INTERNAL_LIMIT_NR);
  const all = host.available < limit ? host.available : limit;
  const WRAP = 0x8000_0001;

  return [
    run('io_setup(1, &ctx) succeeds', 'LTP io_setup01, io_setup02', [setup(1)]),
    run('ctx not initialised to 0: EINVAL', 'LTP io_setup01, io_setup02 (memset 1)', [
      setup(1, 'nonzero'),
    ]),
    run('nr_events -1: EINVAL', 'LTP io_setup01, io_setup02', [setup(0xffff_ffff)]),
    run('ctxp NULL: EFAULT', 'LTP io_setup01, io_setup02', [setup(1, 'null')]),
    max + 1n <= 0xffff_ffffn
      ? run(
          'nr_events = aio-max-nr + 1: EAGAIN (EINVAL past the internal limit)',
          'LTP io_setup01, io_setup02',
          [setup(Number(max + 1n))],
        )
      : skip(
          'nr_events = aio-max-nr + 1',
          'LTP io_setup01, io_setup02',
          'aio-max-nr + 1 does not fit in nr_events (u32)',
        ),
    run('io_destroy(0xff..ff): EINVAL', 'LTP io_destroy01, io_destroy02', [
      destroy({ address: ALL_ONES }),
    ]),

    run('io_setup(-1000, KERNEL_RW_POINTER): EFAULT', 'libaio harness 2.t', [
      setup(NEG_1000, 'kernel'),
    ]),
    run('io_setup(1000, KERNEL_RW_POINTER): EFAULT', 'libaio harness 2.t', [setup(1000, 'kernel')]),
    run('io_setup(0, KERNEL_RW_POINTER): EFAULT before EINVAL', 'libaio harness 2.t', [
      setup(0, 'kernel'),
    ]),
    run('io_setup(-1000, &ctx): EINVAL, ctx unchanged', 'libaio harness 2.t', [setup(NEG_1000)]),
    run('io_setup(-1, &ctx): EINVAL, ctx unchanged', 'libaio harness 2.t', [setup(0xffff_ffff)]),
    run('io_setup(0, &ctx): EINVAL, ctx unchanged', 'libaio harness 2.t', [setup(0)]),
    run('io_setup(1, &ctx) twice on the same variable: 0, then EINVAL', 'libaio harness 2.t', [
      setup(1),
      setup(1, 'nonzero'),
    ]),
    skip(
      'the child of fork() has none of the parent’s contexts',
      'libaio harness 12.t',
      'fork() from a Node worker cannot be done safely: V8 marks its heap MADV_DONTFORK, so the child dies (SEGV) at its first return into JavaScript; the model covers it (a child is a fresh process: io_destroy of the parent’s handle finds no table)',
    ),
    run('ring->nr of io_setup(32) fills whole pages', 'libaio harness 17.t', [setup(32)]),
    all > 0n
      ? run(
          'all of aio-max-nr is allocatable; one more event is not',
          'libaio harness 20.t',
          [setup(Number(all)), setup(1)],
          { headroom: all },
        )
      : skip(
          'all of aio-max-nr is allocatable',
          'libaio harness 20.t',
          'other processes hold all of aio-max-nr',
        ),
    skip(
      'a ring moved with mremap keeps its context',
      'libaio harness 19.t; gVisor aio.cc Mremap',
      'the model has no mremap step yet',
    ),

    run('io_setup(128): ring magic 0xa10a10a1 (gVisor: 0)', 'gVisor aio.cc BasicWrite', [
      setup(128),
      destroy({ handle: 0 }),
    ]),
    skip(
      'a PROT_NONE ring cannot be destroyed: EINVAL',
      'gVisor aio.cc Mprotect',
      'the model has no mprotect step yet',
    ),
    skip(
      'a ring cannot grow with mremap: EFAULT',
      'gVisor aio.cc MremapExpansion',
      'mremap is not an io_setup/io_destroy observable',
    ),
    skip(
      'a CLONE_VM child shares the contexts',
      'gVisor aio.cc CloneVm',
      'needs io_submit/io_getevents and a CLONE_VM child',
    ),

    run(
      'a seccomp filter answers EPERM (as container runtimes do)',
      'rule seccomp.errno',
      [setup(1)],
      { seccomp: 'EPERM' },
    ),
    run(
      'a seccomp filter answers ENOSYS, before the pointer is read',
      'rule seccomp.errno',
      [setup(1, 'null')],
      { seccomp: 'ENOSYS' },
    ),
    run('an unmapped ctx_idp: EFAULT', 'rule setup.ctx-fault', [setup(1, 'unmapped')]),
    run('an 8-byte ctx straddling into an inaccessible page: EFAULT', 'rule setup.ctx-fault', [
      setup(1, 'straddle'),
    ]),
    run('a read-only page holding a non-zero value: EINVAL', 'rule setup.ctx-nonzero', [
      setup(1, 'readonly-nonzero'),
    ]),
    run('first nr_events past the internal limit: EINVAL', 'rule setup.internal-limit', [
      setup(INTERNAL_LIMIT_NR + 1),
    ]),
    run('last nr_events under the internal limit: EAGAIN, not EINVAL', 'rule setup.over-max', [
      setup(INTERNAL_LIMIT_NR),
    ]),
    run('0x80400001 doubles to 0x800002: over the internal limit', 'rule setup.internal-limit', [
      setup(0x8040_0001),
    ]),
    run('0x80000000 doubles to 0 (u32 wrap): EAGAIN', 'rule setup.ne-wrapped-zero', [
      setup(0x8000_0000),
    ]),
    run(
      '0x80000001 doubles to 2: passes the internal limit, EAGAIN over aio-max-nr',
      'rule setup.over-max',
      [setup(WRAP)],
    ),
    max >= BigInt(WRAP)
      ? run(
          '0x80000001 succeeds with a one-page ring once aio-max-nr allows it',
          'rule setup.ok (u32 wrap)',
          [setup(WRAP)],
          { headroom: BigInt(WRAP) },
        )
      : skip(
          '0x80000001 succeeds with a one-page ring',
          'rule setup.ok (u32 wrap)',
          `needs aio-max-nr >= ${WRAP} (it is ${max}): run with --set-aio-max-nr ${WRAP} as root`,
        ),
    run('RLIMIT_AS one byte short of the ring: ENOMEM', 'rule setup.ring-mmap', [
      setup(1, 'zero', ring1 - 1n),
    ]),
    run('RLIMIT_AS exactly the ring: success', 'rule setup.ok', [setup(1, 'zero', ring1)]),
    run('aio-nr at aio-max-nr: EAGAIN for one event', 'rule setup.over-available', [setup(1)], {
      headroom: 0n,
    }),
    run(
      'five events left: six refused, five taken, then one refused',
      'rule setup.over-available',
      [setup(6), setup(5), setup(1)],
      { headroom: 5n },
    ),
    run(
      'a read-only ctx holding 0: EFAULT after a full creation, aio-nr given back',
      'rule setup.ctx-write-fault',
      [setup(64, 'readonly'), setup(1)],
    ),
    run('slots are given lowest first and reused', 'rule setup.ok (ioctx_add_table)', [
      setup(1),
      setup(1),
      setup(1),
      destroy({ handle: 1 }),
      setup(1),
    ]),
    run('io_destroy(0): EINVAL', 'rule destroy.id-fault', [setup(1), destroy({ address: '0' })]),
    run(
      'io_destroy of a destroyed handle: EINVAL (or the new context, if a new ring took the address)',
      'rule destroy.id-fault',
      [setup(1), destroy({ handle: 0 }), destroy({ handle: 0 })],
    ),
    run('io_destroy of an unmapped address: EINVAL', 'rule destroy.id-fault', [
      destroy({ unmapped: true }),
    ]),
    run(
      'a process that never made a context: EINVAL',
      'rule destroy.no-table',
      [destroy({ bogus: { u32: 0, offset: 0 } })],
      { freshProcess: true },
    ),
    run('ring->id clobbered past the table: EINVAL', 'rule destroy.id-out-of-range', [
      setup(1),
      clobber(0, 64),
      destroy({ handle: 0 }),
    ]),
    run('a readable page holding 1000: EINVAL', 'rule destroy.id-out-of-range', [
      setup(1),
      destroy({ bogus: { u32: 1000, offset: 0 } }),
    ]),
    run('ring->id clobbered to a free slot: EINVAL', 'rule destroy.slot-empty', [
      setup(1),
      setup(1),
      destroy({ handle: 0 }),
      clobber(1, 0),
      destroy({ handle: 1 }),
    ]),
    run('a readable page naming a live slot: EINVAL', 'rule destroy.handle-mismatch', [
      setup(1),
      destroy({ bogus: { u32: 0, offset: 0 } }),
    ]),
    run(
      'ring->id clobbered to another live slot: EINVAL; repaired: destroyed',
      'rule destroy.handle-mismatch',
      [
        setup(1),
        setup(1),
        clobber(1, 0),
        destroy({ handle: 1 }),
        clobber(1, 1),
        destroy({ handle: 1 }),
      ],
    ),
    run('io_destroy of a live context: 0, slot and aio-nr given back', 'rule destroy.ok', [
      setup(1000),
      destroy({ handle: 0 }),
      setup(1),
    ]),
  ];
}
