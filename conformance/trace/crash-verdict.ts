/**
 * A case whose worker crashed or hung, as a replay judges it. The worker's
 * death says nothing about whether the kernel agreed with the model, so it is
 * never a divergence: the case is inconclusive, and the reason names the trace
 * line that recorded it, so that a reader can go and look.
 */
import type { CaseReport } from '../engine/judge.js';
import type { CaseVerdict } from '../engine/verdict.js';

/** Enough of a crashed worker's stderr to recognise it; the whole of it stays in the trace. */
const STDERR_SHOWN = 400;

/** Why a report holds no results, in words; null when it holds them (or the case never ran). */
export function workerDeath(report: CaseReport): string | null {
  switch (report.status) {
    case 'crashed': {
      const how = report.signal ?? `exit ${report.code}`;
      // By code point, so that a cut never splits a surrogate pair.
      const stderr = [...report.stderr.trim()];
      const shown =
        stderr.length > STDERR_SHOWN
          ? `${stderr.slice(0, STDERR_SHOWN).join('')}... (${stderr.length - STDERR_SHOWN} more characters in the trace)`
          : stderr.join('');
      return `the worker died: ${how}${shown ? ` ${shown}` : ''}`;
    }
    case 'timeout':
      return `the worker hung for ${report.afterMs} ms`;
    default:
      return null;
  }
}

/** Make the verdict of a crashed or hung case inconclusive, blamed on trace line `line`. */
export function blameOnLine(v: CaseVerdict, report: CaseReport, line: number): void {
  const death = workerDeath(report);
  if (death === null) return;
  v.status = 'inconclusive';
  v.reason = `line ${line}: ${death}`;
}
