/**
 * The `family-props` suite: one io_submit of one iocb on a fresh context,
 * every field drawn (opcode including 4, 6 and ≥ 9; RWF bits; aio_reqprio
 * with and without IOCB_FLAG_IOPRIO; aio_nbytes with the sign bit; negative
 * offsets; aio_reserved2; RESFD and IOPRIO flags; each kind of fd and mode),
 * then an io_getevents that collects its event: at once for what completes
 * inside io_submit, with a one-second wait for FSYNC/FDSYNC and for a POLL
 * left pending (woken by a write, or cancelled). Never a call that blocks.
 */
import fc from 'fast-check';
import { IOCB_CMD, IOCB_FLAG_IOPRIO, IOCB_FLAG_RESFD, POLL, RWF } from '../../model/abi/iocb.js';
import type { BufSpec, FdRef, FileSpec, IocbSpec } from '../../model/family/steps.js';
import type { Case, Step } from '../cases.js';
import {
  BAD_FD,
  cancel,
  collect,
  eventfd,
  fdread,
  fdwrite,
  getevents,
  ONE_SECOND,
  setup,
  submit,
} from '../family/build.js';
import { completion } from '../family/expect.js';
import { wouldBlock } from '../family/would-block.js';
import type { PropsHost } from './props.js';

const CROSS = { withCrossShrink: true } as const;
const KERNEL_ADDR = 0xffff_ffff_0000_0000n;
const S64_MAX = (1n << 63n) - 1n;

/** Weighted alternatives, shrinking toward the first. */
function weighted<T>(...alts: [number, fc.Arbitrary<T>][]): fc.Arbitrary<T> {
  return fc.oneof(CROSS, ...alts.map(([weight, arbitrary]) => ({ weight, arbitrary })));
}

const sometimes = <T>(arb: fc.Arbitrary<T>, weight = 1, of = 6): fc.Arbitrary<T | undefined> =>
  weighted([of - weight, fc.constant(undefined)], [weight, arb]);

/** The file iocbs act on: every kind an unprivileged worker can make. */
export function targetFileArb(): fc.Arbitrary<FileSpec> {
  return weighted<FileSpec>(
    [
      5,
      fc.record(
        {
          kind: fc.constant('file' as const),
          mode: fc.constantFrom('rw' as const, 'r' as const, 'w' as const),
          size: fc.constantFrom(0, 1, 4096, 8192),
          append: fc.constant(true),
        },
        { requiredKeys: ['kind', 'mode'] },
      ),
    ],
    [
      3,
      fc.record(
        {
          kind: fc.constant('pipe' as const),
          nonblock: fc.constant(true),
          fill: fc.constantFrom(1, 16, 64),
        },
        { requiredKeys: ['kind'] },
      ),
    ],
    [
      2,
      fc.record(
        {
          kind: fc.constant('eventfd' as const),
          count: fc.constantFrom(1, 3),
          nonblock: fc.constant(true),
        },
        { requiredKeys: ['kind'] },
      ),
    ],
    [1, fc.constant<FileSpec>({ kind: 'dir' })],
  );
}

export function opcodeArb(): fc.Arbitrary<number> {
  return weighted(
    [10, fc.constantFrom(IOCB_CMD.PREAD, IOCB_CMD.PWRITE, IOCB_CMD.PREADV, IOCB_CMD.PWRITEV)],
    [4, fc.constantFrom(IOCB_CMD.FSYNC, IOCB_CMD.FDSYNC, IOCB_CMD.POLL)],
    [2, fc.constantFrom(4, IOCB_CMD.NOOP, 9, 0xffff)],
    [1, fc.integer({ min: 0, max: 0xffff })],
  );
}

const rwFlagsArb = weighted(
  [12, fc.constant(0)],
  [6, fc.constantFrom(...Object.values(RWF))],
  [2, fc.constantFrom(RWF.APPEND | RWF.NOAPPEND, RWF.DSYNC | RWF.SYNC, 0x100, 0x8000_0000)],
  [1, fc.integer({ min: 0, max: 0xffff_ffff })],
);

const reqprioArb = weighted(
  [
    4,
    fc
      .tuple(fc.integer({ min: 0, max: 7 }), fc.constantFrom(0, 1, 7, 8, 1 << 3))
      .map(([cls, lvl]) => ((cls << 13) | lvl) - (cls >= 4 ? 0x10000 : 0)),
  ],
  [1, fc.integer({ min: -0x8000, max: 0x7fff })],
);

const flagsArb = weighted(
  [10, fc.constant(0)],
  [3, fc.constant(IOCB_FLAG_RESFD)],
  [3, fc.constant(IOCB_FLAG_IOPRIO)],
  [1, fc.constant(IOCB_FLAG_RESFD | IOCB_FLAG_IOPRIO)],
  [1, fc.integer({ min: 0, max: 0xffff_ffff })],
);

const offsetArb = weighted(
  [10, fc.constant(0n)],
  [4, fc.constantFrom(1n, 512n, 4096n, 1n << 40n)],
  [2, fc.constantFrom(-1n, -(1n << 63n), S64_MAX, S64_MAX - 4095n)],
  [1, fc.bigInt({ min: -(1n << 63n), max: S64_MAX })],
);

const nbytesArb = weighted(
  [3, fc.constantFrom(1n << 63n, (1n << 64n) - 1n, (1n << 32n) + 1n, 0x8000_0000n, 0n)],
  [1, fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })],
);

const SIGN_BIT = 1n << 63n;

/**
 * aio_nbytes as drawn, unless it would let the kernel reach past the memory
 * the case gave it: a read longer than its fresh buffer would write over the
 * worker's heap, and an iovec count past the array would take iovecs from
 * whatever follows it (both depend on the worker's allocator, and a read could
 * corrupt it). Then the buffer's own size (absent).
 */
export function safeNbytes(opcode: number, buf: BufSpec | undefined, n: bigint | undefined) {
  if (n === undefined || n >= SIGN_BIT) return n; // the sign bit: EINVAL before any memory (P3)
  if ((opcode === IOCB_CMD.PREAD || opcode === IOCB_CMD.PWRITE) && buf && 'bytes' in buf)
    return n <= BigInt(buf.bytes) ? n : undefined;
  if ((opcode === IOCB_CMD.PREADV || opcode === IOCB_CMD.PWRITEV) && buf && 'iov' in buf) {
    const count = BigInt(buf.iov.length);
    // Linux may truncate the count to 32 bits, gVisor does not: safe when both readings are.
    const fits = (c: bigint) => c <= count || c > 1024n;
    return fits(n) && fits(n & 0xffff_ffffn) ? n : undefined;
  }
  if ((opcode === IOCB_CMD.PREADV || opcode === IOCB_CMD.PWRITEV) && buf && 'bytes' in buf)
    return undefined;
  return n;
}

function bufArb(opcode: number): fc.Arbitrary<BufSpec | undefined> {
  const odd = fc.constantFrom<BufSpec>({ value: 0n }, { value: KERNEL_ADDR }, { unmapped: true });
  if (opcode === IOCB_CMD.PREADV || opcode === IOCB_CMD.PWRITEV)
    return weighted<BufSpec | undefined>(
      [
        8,
        fc
          .array(fc.integer({ min: 0, max: 4096 }), { maxLength: 4 })
          .map((l) => ({ iov: l.map((bytes) => ({ bytes })) })),
      ],
      [
        1,
        fc.constantFrom<BufSpec>(
          { iov: [{ base: KERNEL_ADDR, len: 1n }] },
          { iov: [{ bytes: 8 }, { base: 0n, len: 1n << 63n }] },
          { iov: Array(1025).fill({ bytes: 1 }) },
        ),
      ],
      [1, odd],
    );
  if (opcode === IOCB_CMD.POLL)
    return weighted<BufSpec | undefined>(
      [
        8,
        fc
          .constantFrom(
            POLL.IN,
            POLL.OUT,
            POLL.IN | POLL.OUT,
            POLL.PRI,
            POLL.RDNORM,
            POLL.ERR | POLL.HUP,
          )
          .map((m) => ({ value: BigInt(m) })),
      ],
      [
        1,
        fc.constantFrom<BufSpec | undefined>(undefined, { value: 0x1_0001n }, { value: 0xffffn }),
      ],
    );
  if (opcode === IOCB_CMD.FSYNC || opcode === IOCB_CMD.FDSYNC)
    return weighted<BufSpec | undefined>(
      [8, fc.constant(undefined)],
      [1, fc.constant({ value: 1n })],
    );
  return weighted<BufSpec | undefined>(
    [8, fc.integer({ min: 0, max: 8192 }).map((bytes) => ({ bytes }))],
    [1, odd],
  );
}

/** Which fd of the case an iocb names (file 0 is the target, file 1 the RESFD eventfd). */
function fdFor(target: FileSpec, which: number, end: 'read' | 'write'): FdRef {
  if (which === 0) return BAD_FD;
  if (which === 1) return { file: 1 };
  return target.kind === 'pipe' ? { file: 0, end } : { file: 0 };
}

const defaultOffset = (opcode: number) =>
  opcode === IOCB_CMD.FSYNC || opcode === IOCB_CMD.FDSYNC || opcode === IOCB_CMD.POLL;

/** One iocb and the file it acts on. */
export function iocbArb(): fc.Arbitrary<{ file: FileSpec; iocb: IocbSpec }> {
  return fc.tuple(targetFileArb(), opcodeArb()).chain(([file, opcode]) =>
    fc
      .record({
        fdWhich: weighted([12, fc.constant(2)], [1, fc.constant(0)], [1, fc.constant(1)]),
        end: fc.constantFrom('read' as const, 'write' as const),
        buf: bufArb(opcode),
        data: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        key: sometimes(fc.constantFrom(0xdead_beef, 1)),
        rwFlags: rwFlagsArb,
        reqprio: sometimes(reqprioArb, 2),
        nbytes: sometimes(nbytesArb, 1, 10),
        offset: defaultOffset(opcode) ? sometimes(offsetArb, 1, 8) : offsetArb,
        reserved2: sometimes(fc.constantFrom(1n, 1n << 63n), 1, 12),
        flags: flagsArb,
        resfdWhich: fc.constantFrom(1, 1, 1, 0, 2),
        readonly: sometimes(fc.constant(true), 1, 24),
      })
      .map((r) => {
        const iocb: Record<string, unknown> = {
          opcode,
          fd: fdFor(file, r.fdWhich, r.end),
          data: r.data,
          buf: r.buf,
          key: r.key,
          rwFlags: r.rwFlags === 0 ? undefined : r.rwFlags,
          reqprio: r.reqprio,
          nbytes: safeNbytes(opcode, r.buf, r.nbytes),
          offset: r.offset === 0n ? undefined : r.offset,
          reserved2: r.reserved2,
          flags: r.flags === 0 ? undefined : r.flags,
          resfd: r.flags & IOCB_FLAG_RESFD ? fdFor(file, r.resfdWhich, 'write') : undefined,
          readonly: r.readonly,
        };
        for (const k of Object.keys(iocb)) if (iocb[k] === undefined) delete iocb[k];
        return { file, iocb: iocb as unknown as IocbSpec };
      }),
  );
}

/** Make every pipe and eventfd non-blocking (what a case that could block becomes). */
function nonblocking(c: Case): Case {
  const files = c.files?.map((f) =>
    f.kind === 'pipe' || f.kind === 'eventfd' ? { ...f, nonblock: true } : f,
  );
  return files ? { ...c, files } : c;
}

/** The case: io_submit of the iocb, then what collects its event (and the RESFD count). */
export function familyPropsCase(file: FileSpec, iocb: IocbSpec): Case {
  const files = [file, eventfd(0, true)];
  const steps: Step[] = [setup(), submit(0, [iocb])];
  const will = completion(iocb, files);
  if (will === 'poll-wake') {
    // Wake the file the POLL waits on (the iocb may name the case's second file, its eventfd):
    // a pipe through its write end, an eventfd by adding 1.
    const polled = 'file' in iocb.fd ? iocb.fd.file : 0;
    const kind = files[polled]?.kind;
    const wakeFd: FdRef = kind === 'pipe' ? { file: polled, end: 'write' } : { file: polled };
    steps.push(fdwrite(wakeFd, kind === 'eventfd' ? 8 : 1));
  }
  if (will === 'poll-stuck') steps.push(cancel(0, { submitted: 1, index: 0 }));
  steps.push(will === 'now' ? collect(0) : getevents(0, 1, 16, ONE_SECOND));
  if ((iocb.flags ?? 0) & IOCB_FLAG_RESFD) steps.push(fdread({ file: 1 }, 8));
  const c: Case = { files, steps };
  return wouldBlock(c) === null ? c : nonblocking(c);
}

export function familyPropsArb(_host?: PropsHost): fc.Arbitrary<Case> {
  return iocbArb().map(({ file, iocb }) => familyPropsCase(file, iocb));
}

/** `n` family-props cases, deterministic for a seed. */
export function familyPropsCases(n: number, seed: number): Case[] {
  return n <= 0 ? [] : fc.sample(familyPropsArb(), { numRuns: n, seed });
}
