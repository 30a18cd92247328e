/**
 * The `family-table` suite: named cases for io_submit, io_getevents,
 * io_pgetevents and io_cancel, each a row as the anchor suites write them
 * (aio-family.md §10): every such case of LTP (io_submit01-04,
 * io_getevents01-02, io_pgetevents01-02, io_cancel01-02), libaio's harness
 * (3, 4, 7, 8, 15, 16, 17, 18, 19, 21, 22.t, as far as one process can run
 * them) and gVisor's aio.cc, then rows that make each check of the notes
 * decide (P1-P8, R1-R7, F1-F4, Q1-Q3, §3, §4, §5, §6). A row only says what
 * to do; the expected result is the model's. No row blocks inside io_submit
 * (§9): pipes read from hold data or are non-blocking, and async completions
 * (FSYNC, a POLL woken later) are waited for with min_nr = their count and a
 * one-second timeout.
 */
import { IOCB_CMD, IOCB_FLAG_IOPRIO, IOPRIO_CLASS_SHIFT, POLL, RWF } from '../../model/abi/iocb.js';
import type { FamilyStep, FdRef, FileSpec, IocbEntry, IocbSpec } from '../../model/family/steps.js';
import type { Case, Step } from '../cases.js';
import {
  BAD_FD,
  cancel,
  collect,
  DIR,
  eventfd,
  FILE_R,
  FILE_RW,
  FILE_W,
  f,
  fdread,
  fdsync,
  fdwrite,
  fsync,
  getevents,
  NULL_ENTRY,
  ONE_SECOND,
  op,
  pipe,
  poll,
  pread,
  preadv,
  pwrite,
  pwritev,
  reap,
  resfd,
  setup,
  submit,
  UNMAPPED_ENTRY,
  wait,
  ZERO,
} from '../family/build.js';
import type { TableRow } from './table.js';

/** An address above any user mapping on x86_64 and arm64: access_ok refuses it. */
const KERNEL_ADDR = 0xffff_ffff_0000_0000n;
/** A value io_submit overwrites with KIOCB_KEY (0) from check P7 on. */
const MARK = 0xdead_beef;
const S64_MAX = (1n << 63n) - 1n;
/** An aio_rw_flags bit no kernel defines (0x100 is RWF_NOSIGNAL since 6.16). */
const UNKNOWN_RWF = 0x8000_0000;
/** aio_reqprio (an s16) of an ioprio class and level: classes 4-7 set the sign bit. */
const ioprio = (cls: number, level: number) => {
  const v = (cls << IOPRIO_CLASS_SHIFT) | level;
  return v >= 0x8000 ? v - 0x1_0000 : v;
};

const at = (address: string) => ({ address });

/** A submit to a literal context address. */
const submitTo = (address: string, iocbs: Extract<FamilyStep, { op: 'submit' }>['iocbs']) =>
  ({ op: 'submit', ctx: at(address), iocbs }) as const;

/** Run io_submit of `iocbs` on a fresh context over `files`, then take the events there are. */
function submitted(
  name: string,
  source: string,
  files: readonly FileSpec[],
  iocbs: readonly IocbEntry[],
): TableRow {
  return row(name, source, files, [setup(), submit(0, iocbs), collect(0)]);
}

function row(
  name: string,
  source: string,
  files: readonly FileSpec[],
  steps: readonly Step[],
  extra: Partial<Case> = {},
): TableRow {
  return {
    case: {
      name,
      source,
      ...(files.length > 0 ? { files } : {}),
      steps,
      ...extra,
    },
  };
}

const skip = (name: string, source: string, why: string): TableRow => ({
  case: { name, source, steps: [setup()] },
  skip: why,
});

const marked = (i: IocbSpec): IocbSpec => ({ ...i, key: MARK });

function ltpRows(): TableRow[] {
  const R = [FILE_R];
  return [
    row('io_submit(0, 1, iocbs): EINVAL', 'LTP io_submit01, io_submit03 (invalid ctx)', R, [
      setup(),
      submitTo('0', [pread(f(0), 64)]),
    ]),
    row('io_submit(ctx, -1, iocbs): EINVAL', 'LTP io_submit01, io_submit03 (invalid nr)', R, [
      setup(),
      submit(0, [pread(f(0), 64)], { nr: -1 }),
    ]),
    row(
      'io_submit(ctx, 1, unreadable iocbpp): EFAULT',
      'LTP io_submit01, io_submit03 (iocbpp NULL and (void *)-1: an unreadable array)',
      R,
      [setup(), submit(0, [pread(f(0), 64)], { array: 'unmapped' })],
    ),
    row('io_submit with a NULL iocb pointer: EFAULT', 'LTP io_submit03 (NULL iocb)', R, [
      setup(),
      submit(0, [NULL_ENTRY]),
    ]),
    submitted('pread on fd -1: EBADF', 'LTP io_submit01, io_submit03 (invalid fd)', R, [
      pread(BAD_FD, 64),
    ]),
    submitted('pwrite on an O_RDONLY fd: EBADF', 'LTP io_submit01, io_submit03 (readonly fd)', R, [
      pwrite(f(0), 64),
    ]),
    submitted(
      'pread on an O_WRONLY fd: EBADF',
      'LTP io_submit01, io_submit03 (writeonly fd)',
      [FILE_W],
      [pread(f(0), 64)],
    ),
    row('io_submit(ctx, 0, iocbs): 0', 'LTP io_submit01, io_submit02 (zero nr)', R, [
      setup(),
      submit(0, [pread(f(0), 64)], { nr: 0 }),
    ]),
    submitted('a zero-length read is submitted: 1', 'LTP io_submit01 (zero buf size)', R, [
      pread(f(0), 0),
    ]),
    row(
      'one valid pwrite: 1, then its event',
      'LTP io_submit02 (valid)',
      [FILE_RW],
      [setup(), submit(0, [pwrite(f(0), 4096)]), getevents(0, 1, 1, ONE_SECOND)],
    ),
    submitted(
      'RWF_NOWAIT read of an empty pipe: event res -EAGAIN (EOPNOTSUPP where pipes lack FMODE_NOWAIT)',
      'LTP io_submit04',
      [pipe()],
      [pread(f(0, 'read'), 64, 0n, { rwFlags: RWF.NOWAIT })],
    ),
    row(
      'io_getevents(0, 1, 1, events, NULL): EINVAL',
      'LTP io_getevents01, io_getevents02 (invalid ctx)',
      [],
      [setup(), { op: 'getevents', ctx: at('0'), minNr: 1, nr: 1, timeout: 'null' }],
    ),
    row(
      'io_pgetevents returns the one event',
      'LTP io_pgetevents01',
      [FILE_RW],
      [
        setup(),
        submit(0, [pwrite(f(0), 4096)]),
        { op: 'pgetevents', ctx: { setup: 0 }, minNr: 1, nr: 1, timeout: ONE_SECOND },
      ],
    ),
    ...(
      [
        ['invalid ctx: EINVAL', { ctx: at('0') }],
        ['min_nr -1: EINVAL', { minNr: -1 }],
        ['max_nr -1: EINVAL', { nr: -1 }],
        ['events NULL with an event pending: EFAULT', { events: 'null' }],
        ['an unreadable timeout: EFAULT', { timeout: 'unmapped' }],
        ['an unreadable usig: EFAULT', { sig: 'unmapped' }],
      ] as const
    ).map(([what, change]) =>
      row(
        `io_pgetevents, ${what}`,
        'LTP io_pgetevents02',
        [FILE_RW],
        [
          setup(),
          submit(0, [pwrite(f(0), 512)]),
          { op: 'pgetevents', ctx: { setup: 0 }, minNr: 1, nr: 1, timeout: ZERO, ...change },
        ],
      ),
    ),
    row(
      'io_cancel(ctx, NULL, &ev): EFAULT',
      'LTP io_cancel01, io_cancel02',
      [],
      [setup(), cancel(0, { null: true })],
    ),
    row(
      'io_cancel(0, NULL, &ev): EFAULT before the context',
      'LTP io_cancel01',
      [],
      [setup(), { op: 'cancel', ctx: at('0'), iocb: { null: true } }],
    ),
  ];
}

function libaioRows(): TableRow[] {
  const RW = [FILE_RW];
  return [
    row('io_submit(BAD_CTX, 1, iocbs): EINVAL', 'libaio harness 3.t', RW, [
      setup(),
      submitTo('0xdeadbeef', [pread(f(0), 64)]),
    ]),
    row('io_submit(ctx, -1, iocbs): EINVAL', 'libaio harness 3.t', RW, [
      setup(),
      submit(0, [pread(f(0), 64)], { nr: -1 }),
    ]),
    row('io_submit(ctx, 0, iocbs): 0', 'libaio harness 3.t', RW, [
      setup(),
      submit(0, [pread(f(0), 64)], { nr: 0 }),
    ]),
    row('io_submit(ctx, 1, NULL/-1/kernel pointer): EFAULT', 'libaio harness 3.t', RW, [
      setup(),
      submit(0, [pread(f(0), 64)], { array: 'unmapped' }),
    ]),
    row(
      'io_submit with a NULL first entry: EFAULT, the second not read',
      'libaio harness 3.t',
      RW,
      [setup(), submit(0, [NULL_ENTRY, pread(f(0), 64)]), collect(0)],
    ),
    submitted('pread on a bad fd: EBADF', 'libaio harness 4.t', RW, [pread(BAD_FD, 64)]),
    submitted(
      'pwrite to an O_RDONLY fd: EBADF',
      'libaio harness 4.t',
      [FILE_R],
      [pwrite(f(0), 64)],
    ),
    submitted(
      'pread from an O_WRONLY fd: EBADF',
      'libaio harness 4.t',
      [FILE_W],
      [pread(f(0), 64)],
    ),
    submitted('pread at offset -1: EINVAL', 'libaio harness 4.t', RW, [pread(f(0), 64, -1n)]),
    submitted('pread into a kernel pointer: EFAULT', 'libaio harness 4.t', RW, [
      { ...pread(f(0), 64), buf: { value: KERNEL_ADDR }, nbytes: 64n },
    ]),
    submitted('pread into NULL: submitted, event res -EFAULT', 'libaio harness 4.t', RW, [
      { ...pread(f(0), 64), buf: { value: 0n }, nbytes: 64n },
    ]),
    skip(
      'pwrite past RLIMIT_FSIZE: event res -EFBIG',
      'libaio harness 7.t',
      'a case cannot set RLIMIT_FSIZE yet (no rlimit in the case vocabulary)',
    ),
    submitted('pwrite ending at the largest s64 offset', 'libaio harness 8.t', RW, [
      pwrite(f(0), 4096, S64_MAX - 4096n),
    ]),
    submitted('pwrite whose end overflows the s64 offset: EINVAL', 'libaio harness 8.t', RW, [
      pwrite(f(0), 4096, S64_MAX - 100n),
    ]),
    row('pwritev of three iovecs, then preadv of them back', 'libaio harness 15.t', RW, [
      setup(),
      submit(0, [pwritev(f(0), [512, 512, 1024])]),
      submit(0, [preadv(f(0), [1024, 1024])]),
      collect(0),
    ]),
    row(
      'RESFD: the eventfd counts one per completion',
      'libaio harness 16.t',
      [FILE_RW, eventfd(0, true)],
      [
        setup(),
        submit(0, [resfd(pwrite(f(0), 512), f(1)), resfd(pread(f(0), 512), f(1))]),
        collect(0),
        fdread(f(1), 8),
      ],
    ),
    row(
      'a full context refuses with EAGAIN; reaping from user space frees slots at the next refill',
      'libaio harness 17.t',
      RW,
      [
        setup(1),
        submit(
          0,
          Array.from({ length: 130 }, () => pread(f(0), 1)),
        ),
        reap(0, 200),
        submit(
          0,
          Array.from({ length: 8 }, () => pread(f(0), 1)),
        ),
        collect(0),
      ],
      { pin: true },
    ),
    row(
      'io_destroy with a POLL pending',
      'libaio harness 18.t',
      [pipe()],
      [setup(), submit(0, [poll(f(0, 'read'), POLL.IN)]), { op: 'destroy', target: { handle: 0 } }],
    ),
    skip(
      'reaping a ring moved with mremap',
      'libaio harness 19.t; gVisor aio.cc Mremap',
      'the case vocabulary has no mremap step',
    ),
    submitted(
      'RWF_NOWAIT pread of a tmpfs file (21.t uses O_DIRECT, which tmpfs may lack)',
      'libaio harness 21.t (adapted)',
      RW,
      [pread(f(0), 4096, 0n, { rwFlags: RWF.NOWAIT })],
    ),
    submitted(
      'POLLIN on a pipe holding data: the event reports POLLIN',
      'libaio harness 22.t',
      [pipe(16)],
      [poll(f(0, 'read'), POLL.IN)],
    ),
    row(
      'io_pgetevents unblocking a pending SIGUSR1: EINTR, then the POLL completes',
      'libaio harness 22.t',
      [pipe()],
      [
        setup(),
        submit(0, [poll(f(0, 'read'), POLL.IN)]),
        {
          op: 'pgetevents',
          ctx: { setup: 0 },
          minNr: 1,
          nr: 1,
          timeout: ZERO,
          sig: { mask: 'empty', size: 8n },
          pendingUsr1: true,
        },
        fdwrite(f(0, 'write'), 1),
        wait(0, 1),
      ],
    ),
  ];
}

function gvisorRows(): TableRow[] {
  const RW = [FILE_RW];
  return [
    row(
      'BasicWrite: one pwrite, its event with data, obj and res',
      'gVisor aio.cc BasicWrite',
      RW,
      [
        setup(128),
        submit(0, [pwrite(f(0), 4096, 0n, { data: 0x123n })]),
        getevents(0, 1, 1, ONE_SECOND),
      ],
    ),
    ...(
      [
        ['PREAD', pread],
        ['PWRITE', pwrite],
        ['PREADV', (fd: FdRef, n: number, o: bigint) => preadv(fd, [n], o)],
        ['PWRITEV', (fd: FdRef, n: number, o: bigint) => pwritev(fd, [n], o)],
      ] as const
    ).map(([name, make]) =>
      submitted(`BadOffset: ${name} at offset -1: EINVAL`, 'gVisor aio.cc BadOffset', RW, [
        make(f(0), 64, -1n),
      ]),
    ),
    submitted('BadIOVecs: an iov_base in kernel space: EFAULT', 'gVisor aio.cc BadIOVecs', RW, [
      { opcode: IOCB_CMD.PWRITEV, fd: f(0), buf: { iov: [{ base: KERNEL_ADDR, len: 1n }] } },
    ]),
    row(
      'Timeout: nothing to wait for, 10 ns: 0',
      'gVisor aio.cc Timeout',
      [],
      [setup(128), getevents(0, 1, 1, { sec: 0n, nsec: 10n })],
    ),
    submitted(
      'BadWrite: pwrite from unmapped memory: event res -EFAULT',
      'gVisor aio.cc BadWrite',
      RW,
      [{ ...pwrite(f(0), 4096), buf: { unmapped: true }, nbytes: 4096n }],
    ),
    skip(
      'ExitWithPendingIo, CloneVm, Mremap*, Mprotect',
      'gVisor aio.cc',
      'needs exit, CLONE_VM, mremap or mprotect steps',
    ),
  ];
}

/** Rows that make each ordered check of the notes decide (aio-family.md §2-§6). */
function ruleRows(): TableRow[] {
  const RW = [FILE_RW];
  const P = (n: string) => `aio-family.md §2.2 ${n}`;
  const Rr = (n: string) => `aio-family.md §2.3 ${n}`;
  const F = (n: string) => `aio-family.md §2.4 ${n}`;
  const Q = (n: string) => `aio-family.md §2.5 ${n}`;
  return [
    submitted('an unmapped iocb: EFAULT', P('P1'), RW, [UNMAPPED_ENTRY]),
    submitted('aio_reserved2 set: EINVAL, aio_key untouched', P('P2'), RW, [
      marked(pread(f(0), 64, 0n, { reserved2: 1n })),
    ]),
    submitted('aio_nbytes with the sign bit: EINVAL', P('P3'), RW, [
      { ...pread(f(0), 64), nbytes: 1n << 63n },
    ]),
    row(
      'a full context answers a bad fd with EAGAIN, not EBADF',
      P('P4 (slots before the fd)'),
      RW,
      [
        setup(1),
        submit(
          0,
          Array.from({ length: 126 }, () => pread(f(0), 1)),
        ),
        submit(0, [pread(BAD_FD, 1)]),
      ],
      { pin: true },
    ),
    submitted('fd 0xffffffff: EBADF, aio_key untouched', P('P5'), RW, [marked(pread(BAD_FD, 64))]),
    submitted('RESFD naming no open fd: EBADF', P('P6'), RW, [resfd(pread(f(0), 64), BAD_FD)]),
    submitted('RESFD naming a regular file: EINVAL', P('P6'), RW, [resfd(pread(f(0), 64), f(0))]),
    submitted('an iocb in a read-only page: EFAULT writing aio_key', P('P7'), RW, [
      { ...pread(f(0), 64), readonly: true },
    ]),
    ...[4, IOCB_CMD.NOOP, 9, 0xffff].map((opcode) =>
      submitted(`opcode ${opcode}: EINVAL, aio_key written 0`, P('P8 (gVisor accepts NOOP)'), RW, [
        marked(op(opcode, f(0))),
      ]),
    ),
    submitted(
      'the second of three iocbs fails: 1 submitted, the error lost',
      'aio-family.md §2.1 step 5',
      RW,
      [marked(pwrite(f(0), 64)), marked(pread(BAD_FD, 64)), marked(pread(f(0), 64))],
    ),
    ...(
      [
        ['RT class (needs CAP_SYS_ADMIN or CAP_SYS_NICE)', ioprio(1, 0)],
        ['BE class, level 8: EINVAL', ioprio(2, 8)],
        ['BE class with hint bits (6.1: EINVAL)', ioprio(2, 1 << 3)],
        ['NONE class, level 1: EINVAL', ioprio(0, 1)],
        ['class 4: EINVAL', ioprio(4, 0)],
        ['IDLE class, level 7: accepted', ioprio(3, 7)],
        ['a negative priority: EINVAL', -1],
      ] as const
    ).map(([what, reqprio]) =>
      submitted(`IOCB_FLAG_IOPRIO, ${what}`, Rr('R1'), RW, [
        pread(f(0), 64, 0n, { flags: IOCB_FLAG_IOPRIO, reqprio }),
      ]),
    ),
    submitted('aio_reqprio without IOCB_FLAG_IOPRIO is ignored', Rr('R1'), RW, [
      pread(f(0), 64, 0n, { reqprio: -1 }),
    ]),
    ...(
      [
        ['an unknown RWF bit: EOPNOTSUPP', UNKNOWN_RWF],
        // 0x100 is RWF_NOSIGNAL from 6.16 on: a 6.18 host accepted it (a 6.12 one should not).
        ['RWF_NOSIGNAL (0x100, 6.16+)', 0x100],
        ['RWF_DONTCACHE (6.14+)', RWF.DONTCACHE],
        ['RWF_ATOMIC (6.11+)', RWF.ATOMIC],
        ['RWF_NOAPPEND (6.9+)', RWF.NOAPPEND],
        ['RWF_APPEND | RWF_NOAPPEND', RWF.APPEND | RWF.NOAPPEND],
        ['RWF_HIPRI: accepted', RWF.HIPRI],
        ['RWF_DSYNC | RWF_SYNC', RWF.DSYNC | RWF.SYNC],
      ] as const
    ).map(([what, rwFlags]) =>
      submitted(`pwrite with ${what}`, Rr('R2'), RW, [pwrite(f(0), 64, 0n, { rwFlags })]),
    ),
    submitted(
      'RWF_NOWAIT write to a pipe with room',
      Rr('R2'),
      [pipe()],
      [pwrite(f(0, 'write'), 64, 0n, { rwFlags: RWF.NOWAIT })],
    ),
    submitted(
      'a read on an O_WRONLY fd with an unknown RWF bit: EOPNOTSUPP before EBADF',
      Rr('R2 before R3'),
      [FILE_W],
      [pread(f(0), 64, 0n, { rwFlags: UNKNOWN_RWF })],
    ),
    submitted('pread on a pipe’s write end: EBADF', Rr('R3'), [pipe()], [pread(f(0, 'write'), 64)]),
    submitted('pwritev to an O_RDONLY fd: EBADF', Rr('R3'), [FILE_R], [pwritev(f(0), [64])]),
    submitted('pread of a directory: EINVAL (no read_iter)', Rr('R4'), [DIR], [pread(f(0), 64)]),
    submitted('preadv of 1025 iovecs: EINVAL', Rr('R5'), RW, [preadv(f(0), Array(1025).fill(1))]),
    submitted('preadv of 1024 iovecs: accepted', Rr('R5'), RW, [preadv(f(0), Array(1024).fill(1))]),
    submitted('an iov_len with the sign bit: EINVAL', Rr('R5'), RW, [
      {
        opcode: IOCB_CMD.PREADV,
        fd: f(0),
        buf: { iov: [{ bytes: 16 }, { base: 0n, len: 1n << 63n }] },
      },
    ]),
    submitted('an unreadable iovec array: EFAULT', Rr('R5'), RW, [
      { opcode: IOCB_CMD.PREADV, fd: f(0), buf: { unmapped: true }, nbytes: 1n },
    ]),
    submitted('an iovec count of 2^32 + 1 is truncated to 1', Rr('R5 [inference]'), RW, [
      { ...preadv(f(0), [64]), nbytes: (1n << 32n) + 1n },
    ]),
    submitted(
      'a read of 2^31 bytes is accepted (clamped to MAX_RW_COUNT), at the end of an empty file: 0',
      Rr('R5'),
      [{ kind: 'file', mode: 'rw', size: 0 }],
      // An empty file: nothing is copied, so the 64-byte buffer is never overrun.
      [{ ...pread(f(0), 64), nbytes: 0x8000_0000n }],
    ),
    submitted(
      'pwrite at offset -1 on a pipe: EINVAL',
      Rr('R6 [inference]'),
      [pipe()],
      [pwrite(f(0, 'write'), 64, -1n)],
    ),
    submitted('pread at offset 2^63-1 of 2 bytes: EINVAL (pos + count overflows)', Rr('R6'), RW, [
      pread(f(0), 2, S64_MAX),
    ]),
    row('pwrite then pread: same bytes, events in submission order', Rr('R7, §2.6'), RW, [
      setup(),
      submit(0, [
        pwrite(f(0), 100, 8192n, { data: 1n }),
        pread(f(0), 4096, 4096n, { data: 2n }),
        pread(f(0), 64, 1n << 40n, { data: 3n }),
      ]),
      collect(0),
    ]),
    submitted(
      'pread of a pipe holding 10 bytes: 10',
      Rr('R7'),
      [pipe(10)],
      [pread(f(0, 'read'), 64)],
    ),
    submitted(
      'pread of a non-blocking empty pipe: event res -EAGAIN',
      Rr('R7'),
      [pipe(0, true)],
      [pread(f(0, 'read'), 64)],
    ),
    submitted('pread of an eventfd holding 3: 8 bytes', Rr('R7'), [eventfd(3)], [pread(f(0), 8)]),
    submitted(
      'pread of 4 bytes from an eventfd: event res -EINVAL',
      Rr('R7 [unverified]'),
      [eventfd(3)],
      [pread(f(0), 4)],
    ),
    ...(
      [
        ['aio_buf', { buf: { value: 1n } }],
        ['aio_offset', { offset: 1n }],
        ['aio_nbytes', { nbytes: 1n }],
        ['aio_rw_flags', { rwFlags: RWF.SYNC }],
      ] as const
    ).map(([field, change]) =>
      submitted(`FSYNC with ${field} set: EINVAL`, F('F1'), RW, [fsync(f(0), change)]),
    ),
    submitted('FSYNC of a pipe: EINVAL', F('F2'), [pipe()], [fsync(f(0, 'write'))]),
    submitted('FDSYNC of an eventfd: EINVAL', F('F2'), [eventfd()], [fdsync(f(0))]),
    row(
      'FSYNC and FDSYNC complete on the workqueue with res 0',
      F('F4'),
      [FILE_R, DIR],
      [setup(), submit(0, [fsync(f(0), { data: 1n }), fdsync(f(1), { data: 2n })]), wait(0, 2)],
    ),
    submitted(
      'POLL with a mask above 16 bits: EINVAL',
      Q('Q1'),
      [pipe(1)],
      [poll(f(0, 'read'), 0x1_0001)],
    ),
    ...(
      [
        ['aio_offset', { offset: 1n }],
        ['aio_nbytes', { nbytes: 1n }],
        ['aio_rw_flags', { rwFlags: RWF.HIPRI }],
      ] as const
    ).map(([field, change]) =>
      submitted(
        `POLL with ${field} set: EINVAL`,
        Q('Q2'),
        [pipe(1)],
        [poll(f(0, 'read'), POLL.IN, change)],
      ),
    ),
    submitted('POLLIN on a tmpfs file: completes at once', Q('(no ->poll)'), RW, [
      poll(f(0), POLL.IN),
    ]),
    submitted(
      'POLLPRI on a tmpfs file: the default mask lacks it, EINVAL',
      Q('Q3 (no ->poll, request unmet)'),
      RW,
      [poll(f(0), POLL.PRI)],
    ),
    submitted(
      'POLLOUT on a pipe’s write end: completes at once',
      Q('(ready)'),
      [pipe()],
      [poll(f(0, 'write'), POLL.OUT)],
    ),
    submitted(
      'POLLIN on an eventfd holding 1, with RESFD',
      Q('(ready), P6'),
      [eventfd(1), eventfd(0, true)],
      [resfd(poll(f(0), POLL.IN), f(1))],
    ),
    row(
      'POLLIN pending, then a write wakes it (res masked)',
      Q('(pending, woken)'),
      [pipe()],
      [
        setup(),
        submit(0, [poll(f(0, 'read'), POLL.IN)]),
        collect(0),
        fdwrite(f(0, 'write'), 1),
        wait(0, 1),
      ],
    ),
  ];
}

function getRows(): TableRow[] {
  const RW = [FILE_RW];
  const G = 'aio-family.md §3';
  const withEvent = (steps: readonly Step[]): Step[] => [
    setup(),
    submit(0, [pwrite(f(0), 64)]),
    ...steps,
  ];
  return [
    row('io_getevents min_nr > nr: EINVAL', G, RW, withEvent([getevents(0, 2, 1)])),
    row('io_getevents nr -1: EINVAL', G, RW, withEvent([getevents(0, 0, -1)])),
    row(
      'io_getevents min_nr 0, NULL timeout: returns at once',
      G,
      RW,
      withEvent([getevents(0, 0, 8, 'null')]),
    ),
    row(
      'io_getevents with an unreadable timeout: EFAULT',
      G,
      RW,
      withEvent([getevents(0, 1, 1, 'unmapped')]),
    ),
    row(
      'a bad ctx and an unreadable timeout: EFAULT first',
      G,
      [],
      [setup(), { op: 'getevents', ctx: at('0'), minNr: 1, nr: 1, timeout: 'unmapped' }],
    ),
    row(
      'events NULL with an empty ring: 0 (nothing copied)',
      G,
      [],
      [setup(), getevents(0, 0, 1, ZERO, { events: 'null' })],
    ),
    row(
      'events NULL with an event: EFAULT, the event stays in the ring',
      G,
      RW,
      withEvent([getevents(0, 1, 1, ZERO, { events: 'null' }), collect(0)]),
    ),
    row(
      'events read-only: EFAULT, the event stays',
      G,
      RW,
      withEvent([getevents(0, 1, 1, ZERO, { events: 'readonly' }), collect(0)]),
    ),
    row(
      'timeout {-1, 1e9} sums to 0: does not wait',
      G,
      [],
      [setup(), getevents(0, 1, 1, { sec: -1n, nsec: 1_000_000_000n })],
    ),
    // With nothing to take it would wait for ever (a negative relative expiry is clamped to KTIME_MAX).
    row(
      'timeout {0, -1}, min_nr 0: the first harvest returns the event there',
      G,
      RW,
      withEvent([getevents(0, 0, 1, { sec: 0n, nsec: -1n })]),
    ),
    row('two events, nr 1: one now, one later', G, RW, [
      setup(),
      submit(0, [pwrite(f(0), 64, 0n, { data: 1n }), pwrite(f(0), 64, 64n, { data: 2n })]),
      getevents(0, 1, 1),
      getevents(0, 1, 1),
      collect(0),
    ]),
    row(
      'io_getevents on a destroyed context: EINVAL',
      G,
      [],
      [setup(), { op: 'destroy', target: { handle: 0 } }, getevents(0, 0, 1)],
    ),
  ];
}

function pgetRows(): TableRow[] {
  const S = 'aio-family.md §4';
  const pg = (extra: Partial<Extract<FamilyStep, { op: 'pgetevents' }>>): FamilyStep => ({
    op: 'pgetevents',
    ctx: { setup: 0 },
    minNr: 1,
    nr: 1,
    timeout: ZERO,
    ...extra,
  });
  return [
    row(
      'sigsetsize 7 with a mask: EINVAL',
      S,
      [],
      [setup(), pg({ sig: { mask: 'empty', size: 7n } })],
    ),
    row(
      'sigsetsize 7 with a NULL mask: ignored',
      S,
      [],
      [setup(), pg({ sig: { mask: 'null', size: 7n } })],
    ),
    row(
      'an unreadable sigmask: EFAULT',
      S,
      [],
      [setup(), pg({ sig: { mask: 'unmapped', size: 8n } })],
    ),
    row(
      'a bad sigsetsize before a bad ctx: EINVAL either way',
      S,
      [],
      [setup(), pg({ ctx: at('0'), sig: { mask: 'empty', size: 7n } })],
    ),
    row(
      'an unreadable sigmask before a bad ctx: EFAULT',
      S,
      [],
      [setup(), pg({ ctx: at('0'), sig: { mask: 'unmapped', size: 8n } })],
    ),
    row(
      'a mask unblocking a pending SIGUSR1, ring empty: EINTR, the handler runs',
      S,
      [],
      [setup(), pg({ sig: { mask: 'empty', size: 8n }, pendingUsr1: true })],
    ),
    row(
      'a mask unblocking a pending SIGUSR1, one event: 1, the handler runs',
      S,
      [FILE_RW],
      [
        setup(),
        submit(0, [pwrite(f(0), 64)]),
        pg({ sig: { mask: 'empty', size: 8n }, pendingUsr1: true }),
      ],
    ),
    row(
      'a mask keeping SIGUSR1 blocked: 0, no handler',
      S,
      [],
      [setup(), pg({ sig: { mask: 'block-usr1', size: 8n }, pendingUsr1: true })],
    ),
  ];
}

function cancelRows(): TableRow[] {
  const S = 'aio-family.md §5';
  const pending = (): Step[] => [setup(), submit(0, [poll(f(0, 'read'), POLL.IN, { data: 7n })])];
  return [
    row(
      'io_cancel of a pending POLL: EINPROGRESS, then an event with res 0',
      S,
      [pipe()],
      [...pending(), cancel(0, { submitted: 1, index: 0 }), wait(0, 1)],
    ),
    row(
      'io_cancel twice: EINPROGRESS, then EINVAL',
      S,
      [pipe()],
      [
        ...pending(),
        cancel(0, { submitted: 1, index: 0 }, 'null'),
        cancel(0, { submitted: 1, index: 0 }),
        wait(0, 1),
      ],
    ),
    row(
      'io_cancel of a completed pread: EINVAL',
      S,
      [FILE_RW],
      [setup(), submit(0, [pread(f(0), 64)]), cancel(0, { submitted: 1, index: 0 }), collect(0)],
    ),
    row(
      'io_cancel of an iocb whose aio_key is not 0: EINVAL',
      S,
      [FILE_RW],
      [setup(), cancel(0, { fresh: marked(pread(f(0), 64)) })],
    ),
    row(
      'io_cancel of an iocb never submitted: EINVAL',
      S,
      [FILE_RW],
      [setup(), cancel(0, { fresh: { ...pread(f(0), 64), key: 0 } })],
    ),
    row('io_cancel of an unmapped iocb: EFAULT', S, [], [setup(), cancel(0, { unmapped: true })]),
    row(
      'io_cancel on a bad ctx with a zero key: EINVAL',
      S,
      [FILE_RW],
      [setup(), { op: 'cancel', ctx: at('0'), iocb: { fresh: { ...pread(f(0), 64), key: 0 } } }],
    ),
  ];
}

function ringRows(): TableRow[] {
  const S = 'aio-family.md §6';
  return [
    row(
      'reaping from user space moves ring->head',
      S,
      [FILE_RW],
      [
        setup(),
        submit(0, [
          pread(f(0), 64, 0n, { data: 1n }),
          pread(f(0), 64, 0n, { data: 2n }),
          pread(f(0), 64, 0n, { data: 3n }),
        ]),
        reap(0, 2),
        collect(0),
      ],
    ),
    row(
      'eventfd write and read',
      'aio-family.md §7.7',
      [eventfd(0, true)],
      [setup(), fdwrite(f(0), 8), fdwrite(f(0), 8), fdread(f(0), 8), fdread(f(0), 8)],
    ),
  ];
}

export function familyTableRows(): TableRow[] {
  return [
    ...ltpRows(),
    ...libaioRows(),
    ...gvisorRows(),
    ...ruleRows(),
    ...getRows(),
    ...pgetRows(),
    ...cancelRows(),
    ...ringRows(),
  ];
}
