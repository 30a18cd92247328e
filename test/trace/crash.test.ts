/**
 * A worker that crashed or hung during a recording: the replay makes that case
 * inconclusive (never a divergence) and says which line of the trace holds it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../conformance/engine/summary.js';
import { replayTrace } from '../../conformance/trace/replay.js';
import {
  aiospec,
  editLine,
  findLine,
  fixtureLines,
  type Json,
  REPORTERS,
  scratch,
  traceText,
} from './trace-edit.js';

const files = scratch();
afterAll(files.cleanup);

/** The one inconclusive case of a replay. */
function theInconclusive(s: RunSummary) {
  const found = [...s.results].filter((x) => x.status === 'inconclusive');
  expect(found).toHaveLength(1);
  return found[0]!;
}

/** A fixture whose first recorded table row (its index: `row`) got `report` instead of its results. */
function withReport(report: Json): { lines: string[]; line: number; row: number } {
  const lines = fixtureLines();
  const i = findLine(lines, (o) => o.t === 'case' && o.suite === 'table' && !o.rerun);
  let row = -1;
  editLine(lines, i, (o) => {
    row = o.index;
    o.report = report;
  });
  return { lines, line: i + 1, row };
}

describe('a crashed or hung worker in a trace', () => {
  it.each([
    [
      'crashed',
      { status: 'crashed', signal: 'SIGSEGV', code: null, stderr: 'segfault at 0 ip 00007f' },
      /^the worker died\b.*\bSIGSEGV\b.*segfault at 0 ip 00007f$/,
    ],
    [
      'crashed by exiting',
      { status: 'crashed', signal: null, code: 3, stderr: '' },
      /^the worker died\b.*\bexit\b.*\b3\b/,
    ],
    ['hung', { status: 'timeout', afterMs: 61234 }, /^the worker hung for 61234 ms\b/],
  ])('%s: inconclusive, blamed on its line, not a divergence', async (_what, report, why) => {
    const { lines, line, row } = withReport(report);
    const untouched = await replayTrace(traceText(fixtureLines()));
    const { summary } = await replayTrace(traceText(lines));
    expect(summary.diverged).toBe(0);
    expect(summary.inconclusive).toBe(1);
    expect(summary.cases).toBe(untouched.summary.cases);
    const r = theInconclusive(summary);
    expect({ suite: r.suite, index: r.index }).toEqual({ suite: 'table', index: row });
    const prefix = `line ${line}: `;
    expect(r.reason?.startsWith(prefix)).toBe(true);
    expect(r.reason?.slice(prefix.length)).toMatch(why);
  });

  it('every reporter shows it and exits 0 (inconclusive never fails)', async () => {
    const { lines, line, row } = withReport({
      status: 'crashed',
      signal: 'SIGABRT',
      code: null,
      stderr: 'double free',
    });
    const reason = theInconclusive((await replayTrace(traceText(lines))).summary).reason!;
    expect(reason).toMatch(new RegExp(`^line ${line}: the worker died\\b.*SIGABRT.*double free$`));
    const file = files.file('crashed.jsonl', lines);
    const shown: Record<(typeof REPORTERS)[number], (out: string) => void> = {
      human: (out) => {
        // Grouped by reason: the reason, then the case.
        expect(out).toContain(`INCONCLUSIVE 1 case: ${reason}\n  table #${row}: `);
        expect(out).toMatch(/^CONFORMANT .*inconclusive 1/m);
      },
      tap: (out) => expect(out).toContain(`# TODO inconclusive: ${reason}\n`),
      junit: (out) => expect(out).toContain(`<skipped>inconclusive: ${reason}</skipped>`),
      json: (out) => {
        const s = JSON.parse(out);
        expect(s).toMatchObject({ inconclusive: 1, diverged: 0 });
        expect(s.nonPassing).toContainEqual(
          expect.objectContaining({ suite: 'table', index: row, verdict: 'inconclusive', reason }),
        );
      },
    };
    for (const reporter of REPORTERS) {
      const r = aiospec('replay', file, '--reporter', reporter);
      expect(r.code, `${reporter}: ${r.err}`).toBe(0);
      shown[reporter](r.out);
    }
  });

  it('a batch the crash cut short counts each case once, as it was run after', async () => {
    // As the engine records it: the batch's cases not-run, then each run again alone.
    const lines = fixtureLines();
    const batch = lines
      .map((l, i) => [JSON.parse(l), i] as const)
      // Table rows release their own contexts, so the replaced worker owes nothing to the batch.
      .filter(([o]) => o.t === 'case' && o.suite === 'table' && o.worker === 'main' && !o.rerun)
      .slice(0, 3);
    const first = batch[0]![1];
    const unrun = batch.map(([o]) => JSON.stringify({ ...o, report: { status: 'not-run' } }));
    lines.splice(first, 0, ...unrun);
    const crashed = first + unrun.length + 1; // the second case of the batch, now crashed
    editLine(lines, crashed, (o) => {
      o.report = { status: 'crashed', signal: 'SIGBUS', code: null, stderr: '' };
    });
    editLine(lines, lines.length - 1, (o) => {
      o.cases += unrun.length;
    });
    const untouched = (await replayTrace(traceText(fixtureLines()))).summary;
    const { summary } = await replayTrace(traceText(lines));
    expect(summary.cases).toBe(untouched.cases);
    expect(summary.skipped).toBe(untouched.skipped);
    expect(summary.inconclusive).toBe(1);
    expect(theInconclusive(summary).reason).toMatch(
      new RegExp(`^line ${crashed + 1}: the worker died\\b.*SIGBUS`),
    );
  });
});
