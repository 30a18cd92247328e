/**
 * The `family-stateful` suite: fast-check command sequences over contexts,
 * submissions, completions and the ring: setup, submit, getevents, reap,
 * cancel, a write to the case's pipe or eventfd, destroy. Each command
 * appends its step to a case; a small plain model of what the sequence did
 * (live contexts, the pipe's level, POLLs left pending, completions still to
 * come) only keeps the case meaningful and cheap: it never waits for events
 * that cannot come, never reads an empty blocking file (the case's pipe and
 * eventfd are non-blocking), and keeps the iocbs in flight well under any
 * context's capacity. The engine judges every step against the model.
 */
import fc from 'fast-check';
import { IOCB_CMD, POLL } from '../../model/abi/iocb.js';
import type { FileSpec, IocbSpec } from '../../model/family/steps.js';
import type { Case, Step } from '../cases.js';
import {
  BAD_FD,
  cancel,
  collect,
  eventfd,
  FILE_RW,
  fdwrite,
  fsync,
  getevents,
  ONE_SECOND,
  pipe,
  poll,
  pread,
  pwrite,
  reap,
  resfd,
  setup,
  submit,
} from '../family/build.js';

const CROSS = { withCrossShrink: true } as const;

/** f0: a tmpfs file; f1: a non-blocking pipe; f2: a non-blocking eventfd (RESFD and POLL). */
export const FAMILY_FILES: readonly FileSpec[] = [FILE_RW, pipe(0, true), eventfd(0, true)];
const FILE = { file: 0 };
const PIPE_R = { file: 1, end: 'read' as const };
const PIPE_W = { file: 1, end: 'write' as const };
const EVENTFD = { file: 2 };

/** At most this many iocbs per sequence: below every context's capacity (aio-family.md §6.3 bound L). */
const MOST_IOCBS = 64;

interface PendingPoll {
  readonly setup: number;
  readonly step: number;
  readonly index: number;
}

export interface FamilySequenceModel {
  readonly steps: Step[];
  /** Setup steps whose context is alive. */
  live: number[];
  /** Setup steps whose context was destroyed. */
  dead: number[];
  /** Bytes in the pipe (every write and read of it is known: nothing else touches it). */
  pipe: number;
  /** POLLs on the pipe's read end still pending. */
  polls: PendingPoll[];
  /** Per context: completions that will come later (FSYNC, woken or cancelled POLLs) not yet waited for. */
  later: Map<number, number>;
  /** Submit steps and how many iocbs each listed (io_cancel targets). */
  submits: { step: number; n: number }[];
  iocbs: number;
}

type Cmd = fc.Command<FamilySequenceModel, FamilySequenceModel>;

const addLater = (m: FamilySequenceModel, setupStep: number, n: number) =>
  m.later.set(setupStep, (m.later.get(setupStep) ?? 0) + n);

/** A write to the pipe completes every POLL pending on its read end (aio-family.md §2.5). */
function pipeWritten(m: FamilySequenceModel, bytes: number): void {
  if (bytes <= 0) return;
  m.pipe += bytes;
  for (const p of m.polls) addLater(m, p.setup, 1);
  m.polls = [];
}

class SetupCmd implements Cmd {
  constructor(readonly nr: number) {}
  check = () => true;
  run(m: FamilySequenceModel): void {
    m.live.push(m.steps.length);
    m.steps.push(setup(this.nr));
  }
  toString = () => `io_setup(${this.nr})`;
}

type IocbKind = 'pread' | 'pwrite' | 'pipe-read' | 'pipe-write' | 'poll' | 'fsync' | 'resfd';

class SubmitCmd implements Cmd {
  constructor(
    readonly which: number,
    readonly kinds: readonly IocbKind[],
    readonly bad: boolean,
  ) {}
  check = (m: Readonly<FamilySequenceModel>) =>
    m.live.length > 0 && m.iocbs + this.kinds.length + 1 <= MOST_IOCBS;
  run(m: FamilySequenceModel): void {
    const ctx = m.live[this.which % m.live.length]!;
    const step = m.steps.length;
    const iocbs: IocbSpec[] = [];
    const data = (k: number) => BigInt(step * 100 + k);
    for (const kind of this.kinds) {
      const k = iocbs.length;
      if (kind === 'pread') iocbs.push(pread(FILE, 512, BigInt(k * 512), { data: data(k) }));
      else if (kind === 'pwrite') iocbs.push(pwrite(FILE, 512, BigInt(k * 512), { data: data(k) }));
      else if (kind === 'pipe-read') {
        iocbs.push(pread(PIPE_R, 8, 0n, { data: data(k) }));
        m.pipe = Math.max(0, m.pipe - 8);
      } else if (kind === 'pipe-write') {
        iocbs.push(pwrite(PIPE_W, 8, 0n, { data: data(k) }));
        pipeWritten(m, 8);
      } else if (kind === 'poll') {
        iocbs.push(poll(PIPE_R, POLL.IN, { data: data(k) }));
        if (m.pipe === 0) m.polls.push({ setup: ctx, step, index: k });
      } else if (kind === 'fsync') {
        iocbs.push(fsync(FILE, { data: data(k) }));
        addLater(m, ctx, 1);
      } else iocbs.push(resfd(pwrite(FILE, 64, 0n, { data: data(k) }), EVENTFD));
    }
    // A failing iocb only last: io_submit stops there, and everything before it is as planned.
    if (this.bad) iocbs.push(pread(BAD_FD, 8, 0n, { key: 0xdead_beef }));
    m.iocbs += iocbs.length;
    m.submits.push({ step, n: iocbs.length });
    m.steps.push(submit(ctx, iocbs));
  }
  toString = () =>
    `io_submit(#${this.which}, [${this.kinds.join(', ')}${this.bad ? ', bad' : ''}])`;
}

class GetCmd implements Cmd {
  constructor(
    readonly which: number,
    readonly nr: number,
    readonly stale: boolean,
  ) {}
  check = (m: Readonly<FamilySequenceModel>) => (this.stale ? m.dead : m.live).length > 0;
  run(m: FamilySequenceModel): void {
    const pool = this.stale ? m.dead : m.live;
    const ctx = pool[this.which % pool.length]!;
    const later = this.stale ? 0 : (m.later.get(ctx) ?? 0);
    // Completions still to come are waited for (min_nr = their count), then forgotten: never waited for twice.
    if (later > 0) {
      m.steps.push(getevents(ctx, later, Math.max(later, 64), ONE_SECOND));
      m.later.delete(ctx);
    } else m.steps.push(collect(ctx, this.nr));
  }
  toString = () => `io_getevents(${this.stale ? 'stale' : 'live'} #${this.which}, nr ${this.nr})`;
}

class ReapCmd implements Cmd {
  constructor(
    readonly which: number,
    readonly max: number,
  ) {}
  // Reaping could take a completion a later wait counts on: only where none is to come.
  check = (m: Readonly<FamilySequenceModel>) => m.live.some((s) => (m.later.get(s) ?? 0) === 0);
  run(m: FamilySequenceModel): void {
    const quiet = m.live.filter((s) => (m.later.get(s) ?? 0) === 0);
    m.steps.push(reap(quiet[this.which % quiet.length]!, this.max));
  }
  toString = () => `reap(#${this.which}, ${this.max})`;
}

type CancelPick = 'pending' | 'done' | 'null' | 'fresh';

class CancelCmd implements Cmd {
  constructor(
    readonly pick: CancelPick,
    readonly which: number,
  ) {}
  check = (m: Readonly<FamilySequenceModel>) =>
    m.live.length > 0 &&
    (this.pick === 'pending'
      ? m.polls.some((p) => m.live.includes(p.setup))
      : this.pick === 'done'
        ? m.submits.length > 0
        : true);
  run(m: FamilySequenceModel): void {
    if (this.pick === 'pending') {
      const open = m.polls.filter((p) => m.live.includes(p.setup));
      const p = open[this.which % open.length]!;
      m.polls = m.polls.filter((x) => x !== p);
      addLater(m, p.setup, 1); // cancelled: its event (res 0) comes from the workqueue
      m.steps.push(cancel(p.setup, { submitted: p.step, index: p.index }));
      return;
    }
    const ctx = m.live[this.which % m.live.length]!;
    if (this.pick === 'done') {
      const s = m.submits[this.which % m.submits.length]!;
      const index = this.which % s.n;
      // A POLL of that submit still pending would be cancelled by this: follow it.
      const p = m.polls.find((x) => x.step === s.step && x.index === index);
      if (p && p.setup === ctx) {
        m.polls = m.polls.filter((x) => x !== p);
        addLater(m, ctx, 1);
      }
      m.steps.push(cancel(ctx, { submitted: s.step, index }));
    } else if (this.pick === 'null') m.steps.push(cancel(ctx, { null: true }));
    else m.steps.push(cancel(ctx, { fresh: { ...pread(FILE, 8), key: 0 } }));
  }
  toString = () => `io_cancel(${this.pick} #${this.which})`;
}

class WriteCmd implements Cmd {
  constructor(
    readonly toPipe: boolean,
    readonly bytes: number,
  ) {}
  check = () => true;
  run(m: FamilySequenceModel): void {
    if (this.toPipe) {
      m.steps.push(fdwrite(PIPE_W, this.bytes));
      pipeWritten(m, this.bytes);
    } else m.steps.push(fdwrite(EVENTFD, 8));
  }
  toString = () => (this.toPipe ? `write(pipe, ${this.bytes})` : 'write(eventfd, 1)');
}

class DestroyCmd implements Cmd {
  constructor(readonly which: number) {}
  check = (m: Readonly<FamilySequenceModel>) => m.live.length > 0;
  run(m: FamilySequenceModel): void {
    const [ctx] = m.live.splice(this.which % m.live.length, 1);
    m.dead.push(ctx!);
    // io_destroy cancels what is pending and waits for it: nothing of this context is to come.
    m.polls = m.polls.filter((p) => p.setup !== ctx);
    m.later.delete(ctx!);
    m.steps.push({ op: 'destroy', target: { handle: ctx! } });
  }
  toString = () => `io_destroy(#${this.which})`;
}

export function familyCommandArbs(): fc.Arbitrary<Cmd>[] {
  const kind = fc.constantFrom<IocbKind>(
    'pread',
    'pwrite',
    'pipe-read',
    'pipe-write',
    'poll',
    'fsync',
    'resfd',
  );
  return [
    fc.constantFrom(1, 2, 8, 128).map((nr) => new SetupCmd(nr)),
    fc
      .tuple(
        fc.nat(),
        fc.array(kind, { minLength: 1, maxLength: 4 }),
        fc.oneof(CROSS, fc.constant(false), fc.constant(true)),
      )
      .map(([w, kinds, bad]) => new SubmitCmd(w, kinds, bad)),
    fc
      .tuple(
        fc.nat(),
        fc.constantFrom(16, 1, 2),
        fc.oneof(CROSS, fc.constant(false), fc.constant(true)),
      )
      .map(([w, nr, stale]) => new GetCmd(w, nr, stale)),
    fc.tuple(fc.nat(), fc.integer({ min: 1, max: 8 })).map(([w, max]) => new ReapCmd(w, max)),
    fc
      .tuple(fc.constantFrom<CancelPick>('pending', 'pending', 'done', 'null', 'fresh'), fc.nat())
      .map(([pick, w]) => new CancelCmd(pick, w)),
    fc
      .tuple(fc.boolean(), fc.integer({ min: 1, max: 64 }))
      .map(([toPipe, bytes]) => new WriteCmd(toPipe, bytes)),
    fc.nat().map((w) => new DestroyCmd(w)),
  ];
}

export function familySequenceArb(maxCommands = 16): fc.Arbitrary<Iterable<Cmd>> {
  return fc.commands(familyCommandArbs(), { maxCommands });
}

/** The case a command sequence describes: it always begins with a setup (commands failing their check are left out). */
export function familySequenceCase(cmds: Iterable<Cmd>): Case {
  const model: FamilySequenceModel = {
    steps: [],
    live: [],
    dead: [],
    pipe: 0,
    polls: [],
    later: new Map(),
    submits: [],
    iocbs: 0,
  };
  new SetupCmd(8).run(model);
  fc.modelRun(() => ({ model, real: model }), cmds);
  return { files: FAMILY_FILES, steps: model.steps };
}

/** The iocb opcodes the sequences use (documentation and tests). */
export const FAMILY_SEQUENCE_OPCODES = [
  IOCB_CMD.PREAD,
  IOCB_CMD.PWRITE,
  IOCB_CMD.POLL,
  IOCB_CMD.FSYNC,
] as const;
