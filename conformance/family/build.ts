/**
 * Small constructors for family cases, so a table row reads like the calls it
 * makes: `submit(0, [pread(f(0), 4096)])`, `wait(0, 1)`. Contexts are named by
 * the setup step that made them, files by their index in `Case.files`.
 */
import { IOCB_CMD, IOCB_FLAG_RESFD } from '../../model/abi/iocb.js';
import type {
  FamilyStep,
  FdRef,
  FileSpec,
  IocbEntry,
  IocbSpec,
  TimeoutSpec,
} from '../../model/family/steps.js';
import type { Step } from '../cases.js';

export const setup = (nr = 128): Step => ({ op: 'setup', nr, ctx: 'zero' });

/** File i of the case; for a pipe, one of its ends. */
export const f = (file: number, end?: 'read' | 'write'): FdRef =>
  end === undefined ? { file } : { file, end };
/** A literal fd nothing has open (negative as an int). */
export const BAD_FD: FdRef = { fd: 0xffff_ffff };

export const FILE_RW: FileSpec = { kind: 'file', mode: 'rw', size: 8192 };
export const FILE_R: FileSpec = { kind: 'file', mode: 'r', size: 8192 };
export const FILE_W: FileSpec = { kind: 'file', mode: 'w', size: 8192 };
export const DIR: FileSpec = { kind: 'dir' };
export const pipe = (fill = 0, nonblock = false): FileSpec => ({
  kind: 'pipe',
  ...(fill > 0 ? { fill } : {}),
  ...(nonblock ? { nonblock } : {}),
});
export const eventfd = (count = 0, nonblock = false): FileSpec => ({
  kind: 'eventfd',
  ...(count > 0 ? { count } : {}),
  ...(nonblock ? { nonblock } : {}),
});

type Extra = Partial<Omit<IocbSpec, 'opcode' | 'fd'>>;

const rw =
  (opcode: number) =>
  (fd: FdRef, bytes: number, offset = 0n, extra: Extra = {}): IocbSpec => ({
    opcode,
    fd,
    buf: { bytes },
    ...(offset === 0n ? {} : { offset }),
    ...extra,
  });
export const pread = rw(IOCB_CMD.PREAD);
export const pwrite = rw(IOCB_CMD.PWRITE);

const vec =
  (opcode: number) =>
  (fd: FdRef, sizes: readonly number[], offset = 0n, extra: Extra = {}): IocbSpec => ({
    opcode,
    fd,
    buf: { iov: sizes.map((bytes) => ({ bytes })) },
    ...(offset === 0n ? {} : { offset }),
    ...extra,
  });
export const preadv = vec(IOCB_CMD.PREADV);
export const pwritev = vec(IOCB_CMD.PWRITEV);

export const fsync = (fd: FdRef, extra: Extra = {}): IocbSpec => ({
  opcode: IOCB_CMD.FSYNC,
  fd,
  ...extra,
});
export const fdsync = (fd: FdRef, extra: Extra = {}): IocbSpec => ({
  opcode: IOCB_CMD.FDSYNC,
  fd,
  ...extra,
});
export const poll = (fd: FdRef, mask: number | bigint, extra: Extra = {}): IocbSpec => ({
  opcode: IOCB_CMD.POLL,
  fd,
  buf: { value: BigInt(mask) },
  ...extra,
});
export const op = (opcode: number, fd: FdRef, extra: Extra = {}): IocbSpec => ({
  opcode,
  fd,
  ...extra,
});
/** With IOCB_FLAG_RESFD: completion signals this eventfd. */
export const resfd = (i: IocbSpec, fd: FdRef): IocbSpec => ({
  ...i,
  flags: (i.flags ?? 0) | IOCB_FLAG_RESFD,
  resfd: fd,
});

export const NULL_ENTRY: IocbEntry = { null: true };
export const UNMAPPED_ENTRY: IocbEntry = { unmapped: true };

export const submit = (
  setupStep: number,
  iocbs: readonly IocbEntry[],
  extra: { nr?: number; array?: 'unmapped' } = {},
): FamilyStep => ({ op: 'submit', ctx: { setup: setupStep }, iocbs, ...extra });

export const ZERO: TimeoutSpec = { sec: 0n, nsec: 0n };
export const ONE_SECOND: TimeoutSpec = { sec: 1n, nsec: 0n };

export const getevents = (
  setupStep: number,
  minNr: number,
  nr: number,
  timeout: TimeoutSpec = ZERO,
  extra: { events?: 'buffer' | 'null' | 'unmapped' | 'readonly' } = {},
): FamilyStep => ({ op: 'getevents', ctx: { setup: setupStep }, minNr, nr, timeout, ...extra });

/** Take what is there now (never waits). */
export const collect = (setupStep: number, nr = 16): FamilyStep => getevents(setupStep, 0, nr);
/** Wait up to a second for `n` events (async completions: FSYNC, a POLL woken later, §9). */
export const wait = (setupStep: number, n: number): FamilyStep =>
  getevents(setupStep, n, Math.max(n, 16), ONE_SECOND);

export const cancel = (
  setupStep: number,
  iocb: Extract<FamilyStep, { op: 'cancel' }>['iocb'],
  result?: 'null',
): FamilyStep => ({
  op: 'cancel',
  ctx: { setup: setupStep },
  iocb,
  ...(result ? { result } : {}),
});

export const reap = (setupStep: number, max: number): FamilyStep => ({
  op: 'reap',
  ctx: { setup: setupStep },
  max,
});
export const fdwrite = (fd: FdRef, bytes: number): FamilyStep => ({ op: 'fdwrite', fd, bytes });
export const fdread = (fd: FdRef, bytes: number): FamilyStep => ({ op: 'fdread', fd, bytes });
