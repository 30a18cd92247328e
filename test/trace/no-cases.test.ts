/**
 * No cases, no verdict: a trace with nothing to judge is refused (exit 2, one
 * line on stderr) by every reporter, instead of coming out CONFORMANT.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { TraceError } from '../../conformance/trace/format.js';
import { replayTrace } from '../../conformance/trace/replay.js';
import { aiospec, editLine, fixtureLines, REPORTERS, scratch, traceText } from './trace-edit.js';

const files = scratch();
afterAll(files.cleanup);

/** The fixture with every case line edited by `edit`. */
function everyCase(edit: (o: { rerun: boolean; report: unknown }) => void): string[] {
  const lines = fixtureLines();
  lines.forEach((l, i) => {
    if (l.startsWith('{"t":"case"')) editLine(lines, i, edit);
  });
  return lines;
}

/** The fixture's header and first worker line, then `body`, then an end line counting its cases. */
function around(body: readonly string[]): string[] {
  const [header, worker] = fixtureLines();
  const cases = body.filter((l) => l.startsWith('{"t":"case"')).length;
  return [header!, worker!, ...body, JSON.stringify({ t: 'end', cases })];
}

describe('a trace with nothing to judge', () => {
  it.each([
    ['no case lines at all', () => around([])],
    [
      'no case lines, only fillers and releases',
      () => around(fixtureLines().filter((l) => /^\{"t":"(fill|release)"/.test(l))),
    ],
    [
      'case lines that are all re-runs',
      () =>
        everyCase((o) => {
          o.rerun = true;
        }),
    ],
    [
      'case lines that all went unrun',
      () =>
        everyCase((o) => {
          o.report = { status: 'not-run' };
        }),
    ],
  ])('%s: not CONFORMANT, exit 2 with every reporter', async (what, make) => {
    const lines = make();
    await expect(replayTrace(traceText(lines))).rejects.toThrow(TraceError);
    await expect(replayTrace(traceText(lines))).rejects.toThrow(/nothing to judge$/);
    const file = files.file(`${what.replaceAll(' ', '-')}.jsonl`, lines);
    for (const reporter of REPORTERS) {
      const r = aiospec('replay', file, '--reporter', reporter);
      expect(r.code, reporter).toBe(2);
      expect(r.out, reporter).toBe('');
      expect(r.err.trimEnd().split('\n'), reporter).toHaveLength(1);
      expect(r.err, reporter).toMatch(/^aiospec replay: \S+\.jsonl: .*nothing to judge\n$/);
      expect(r.err, reporter).not.toMatch(/CONFORMANT/);
    }
  });

  it('says "no cases" when there are none', () => {
    const r = aiospec('replay', files.file('empty.jsonl', around([])));
    expect(r.err).toContain('the trace holds no cases: nothing to judge');
  });

  it('still judges a trace with a single case that ran', async () => {
    const first = fixtureLines().find((l) => l.startsWith('{"t":"case"'))!;
    const { summary } = await replayTrace(traceText(around([first])));
    expect(summary.cases).toBe(1);
    expect(summary.passed).toBe(1);
    const r = aiospec('replay', files.file('one.jsonl', around([first])));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^CONFORMANT {2}cases 1 · passed 1/m);
  });
});
