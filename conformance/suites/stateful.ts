/**
 * The `stateful` suite: fast-check model-based testing of setup, destroy and
 * clobber sequences. The commands check and update a small plain model (which
 * contexts the sequence has made, which are gone, which rings were clobbered)
 * and append their step to a case; the case then runs on the kernel and every
 * step — aio-nr and slot ids included — is judged against the reference model.
 * fast-check shrinks a failing sequence to a minimal one.
 */
import fc from 'fast-check';
import type { CtxKind } from '../../model/index.js';
import type { Case, DestroyTarget, Step } from '../cases.js';
import { nrEventsArb } from '../gen/nr-events.js';
import { ctxArb } from '../gen/props.js';

/** Let a drawn value shrink across the alternatives, toward the first (the simplest). */
const CROSS = { withCrossShrink: true } as const;

/** What the commands know: enough to pick meaningful targets. */
export interface SequenceModel {
  /** Index (in `steps`) of every setup that made a context, still alive. */
  live: number[];
  /** Setups whose context is gone: their handles are stale. */
  dead: number[];
  readonly steps: Step[];
}

type Cmd = fc.Command<SequenceModel, SequenceModel>;

/**
 * Whether a setup makes a context is the kernel's call, not the command's; the
 * sequence model tracks the intent (a zero ctx with a modest nr_events), and the
 * engine judges what really happened.
 */
function likelyMakesContext(nr: number, ctx: CtxKind): boolean {
  return ctx === 'zero' && nr > 0 && nr <= 4096;
}

class SetupCmd implements Cmd {
  constructor(
    readonly nr: number,
    readonly ctx: CtxKind,
  ) {}
  check = () => true;
  run(m: SequenceModel): void {
    if (likelyMakesContext(this.nr, this.ctx)) m.live.push(m.steps.length);
    m.steps.push({ op: 'setup', nr: this.nr, ctx: this.ctx });
  }
  toString = () => `io_setup(${this.nr}, ${this.ctx})`;
}

type Pick = 'live' | 'stale' | 'zero' | 'ones' | 'bogus' | 'bogus-unaligned' | 'unmapped';

class DestroyCmd implements Cmd {
  constructor(
    readonly pick: Pick,
    readonly which: number,
    readonly u32: number,
  ) {}
  check = (m: Readonly<SequenceModel>) =>
    this.pick === 'live' ? m.live.length > 0 : this.pick === 'stale' ? m.dead.length > 0 : true;
  run(m: SequenceModel): void {
    let target: DestroyTarget;
    if (this.pick === 'live') {
      const [setup] = m.live.splice(this.which % m.live.length, 1);
      m.dead.push(setup!);
      target = { handle: setup! };
    } else if (this.pick === 'stale') target = { handle: m.dead[this.which % m.dead.length]! };
    else if (this.pick === 'zero') target = { address: '0' };
    else if (this.pick === 'ones') target = { address: '0xffffffffffffffff' };
    else if (this.pick === 'unmapped') target = { unmapped: true };
    else target = { bogus: { u32: this.u32, offset: this.pick === 'bogus' ? 0 : 8 } };
    m.steps.push({ op: 'destroy', target });
  }
  toString = () =>
    `io_destroy(${this.pick}${this.pick === 'live' || this.pick === 'stale' ? ` #${this.which}` : ''})`;
}

class ClobberCmd implements Cmd {
  constructor(
    readonly which: number,
    readonly id: number,
  ) {}
  check = (m: Readonly<SequenceModel>) => m.live.length > 0;
  run(m: SequenceModel): void {
    m.steps.push({ op: 'clobber', setup: m.live[this.which % m.live.length]!, id: this.id });
  }
  toString = () => `clobber(#${this.which}, ${this.id})`;
}

export function commandArbs(cpus: number, pageSize: number): fc.Arbitrary<Cmd>[] {
  const smallNr = fc.oneof(
    CROSS,
    fc.integer({ min: 1, max: 64 }),
    fc.constantFrom(4 * cpus, 127, 128, 4095, 4096),
  );
  return [
    fc
      .tuple(
        fc.oneof(
          CROSS,
          { weight: 4, arbitrary: smallNr },
          { weight: 1, arbitrary: nrEventsArb(cpus, pageSize) },
        ),
        fc.oneof(
          CROSS,
          { weight: 6, arbitrary: fc.constant<CtxKind>('zero') },
          { weight: 1, arbitrary: ctxArb() },
        ),
      )
      .map(([nr, ctx]) => new SetupCmd(nr, ctx)),
    fc
      .tuple(
        fc.constantFrom<Pick>(
          'live',
          'live',
          'live',
          'stale',
          'zero',
          'ones',
          'bogus',
          'bogus-unaligned',
          'unmapped',
        ),
        fc.nat(),
        fc.constantFrom(0, 1, 2, 3, 1000, 0xa10a10a1),
      )
      .map(([pick, which, u32]) => new DestroyCmd(pick, which, u32)),
    fc
      .tuple(fc.nat(), fc.constantFrom(0, 1, 2, 3, 4, 15, 16, 64, 0xffff_ffff))
      .map(([which, id]) => new ClobberCmd(which, id)),
  ];
}

export function sequenceArb(
  cpus: number,
  pageSize: number,
  maxCommands = 24,
): fc.Arbitrary<Iterable<Cmd>> {
  return fc.commands(commandArbs(cpus, pageSize), { maxCommands });
}

/** The case a command sequence describes (commands whose check fails are left out, as fast-check does). */
export function sequenceCase(cmds: Iterable<Cmd>): Case {
  const model: SequenceModel = { live: [], dead: [], steps: [] };
  fc.modelRun(() => ({ model, real: model }), cmds);
  return { steps: model.steps.length > 0 ? model.steps : [{ op: 'setup', nr: 1, ctx: 'zero' }] };
}
