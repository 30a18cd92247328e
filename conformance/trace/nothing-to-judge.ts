/**
 * A replay needs cases to judge. A recording that stopped before its first
 * case, or whose case lines are all re-runs or all cases no worker got to,
 * would otherwise come out CONFORMANT with nothing behind the word: such a
 * trace is refused instead (exit 2), whatever the reporter.
 */
import { TraceError, type TraceLine } from './format.js';

type CaseLine = Extract<TraceLine, { t: 'case' }>;

interface Counts {
  /** Every case line. */
  readonly lines: number;
  /** Case lines that are not re-runs: the cases a replay reports on. */
  readonly firsts: number;
  /** Of those, the ones a worker ran (crashed and hung ones included: they ran). */
  readonly ran: number;
}

/** Why a trace holds nothing to judge, first match wins; none matching: it does. */
const EMPTY: readonly {
  readonly when: (c: Counts) => boolean;
  readonly why: (c: Counts) => string;
}[] = [
  { when: (c) => c.lines === 0, why: () => 'the trace holds no cases' },
  {
    when: (c) => c.firsts === 0,
    why: (c) => `the trace holds no cases, only re-runs (${c.lines} case lines)`,
  },
  {
    when: (c) => c.ran === 0,
    why: (c) => `the trace holds no cases that ran (${c.firsts} case lines, all not-run)`,
  },
];

/** Throws a TraceError ("...: nothing to judge") when the trace holds no case to judge. */
export function requireCases(lines: readonly TraceLine[]): void {
  const cases = lines.filter((l): l is CaseLine => l.t === 'case');
  const firsts = cases.filter((c) => !c.rerun);
  const counts: Counts = {
    lines: cases.length,
    firsts: firsts.length,
    ran: firsts.filter((c) => c.report.status !== 'not-run').length,
  };
  const empty = EMPTY.find((e) => e.when(counts));
  if (empty) throw new TraceError(`${empty.why(counts)}: nothing to judge`);
}
