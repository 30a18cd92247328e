/**
 * Traces: recorded runs replay against the model without a kernel; altered
 * observations replay as divergences; malformed and truncated traces are
 * refused with the line named.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTrace, TraceError } from '../../conformance/trace/format.js';
import { replayTrace } from '../../conformance/trace/replay.js';
import { refusedTraceLines as refusedLines, schemaValidator } from '../support/consumers.js';
import { REAL } from '../support/real.js';

const reportSchema = schemaValidator('report', { strict: true });

const BIN = resolve(import.meta.dirname, '../../bin/aiospec');
const dir = mkdtempSync(join(tmpdir(), 'aiospec-trace-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function aiospec(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A trace to play with: a fixture recorded on a real kernel (no kernel needed here). */
const FIXTURE = resolve(import.meta.dirname, '../../fixtures/host-linux.trace.jsonl');

describe('replaying a trace', () => {
  let text: string;
  beforeAll(() => {
    text = readFileSync(FIXTURE, 'utf8');
  });

  it('finds the recorded run conformant, with no kernel involved', async () => {
    const { header, summary } = await replayTrace(text);
    expect(header).toMatchObject({
      format: 'aiospec-trace',
      version: 1,
      target: { kind: 'host' },
      profile: 'linux',
    });
    expect(summary.cases).toBeGreaterThan(1000);
    expect(summary.diverged).toBe(0);
  });

  it('reports a divergence where an observation was altered', async () => {
    const lines = text.split('\n');
    const i = lines.findIndex((l) => l.includes('"t":"case"') && l.includes('"magic":2701791393'));
    expect(i).toBeGreaterThan(0);
    lines[i] = lines[i]!.replace('"magic":2701791393', '"magic":2701791392');
    const altered = join(dir, 'altered.jsonl');
    writeFileSync(altered, lines.join('\n'));
    const { summary } = await replayTrace(lines.join('\n'));
    expect(summary.diverged).toBe(1);
    expect(summary.divergences[0]!.differences[0]!.diffs).toContainEqual({
      field: 'ring.magic',
      model: 0xa10a10a1,
      real: 0xa10a10a0,
    });
    const r = aiospec('replay', altered, '--reporter', 'json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).diverged).toBe(1);
  });

  it('judges with another profile when asked (gVisor judging Linux diverges)', async () => {
    const { summary } = await replayTrace(text, { profile: 'gvisor' });
    expect(summary.diverged).toBeGreaterThan(0);
    expect(summary.profile).toBe('gvisor');
  });

  it.each([
    [
      'a line that is not JSON',
      (ls: string[]) => ls.splice(5, 1, '{"t":"case",'),
      /line 6: not JSON/,
    ],
    [
      'a truncated trace (no end line)',
      (ls: string[]) => ls.splice(ls.length - 1),
      /the trace stops here without its end line/,
    ],
    [
      'a case line cut in the middle',
      (ls: string[]) => ls.splice(ls.length - 5),
      /without its end line/,
    ],
    [
      'an unknown line type',
      (ls: string[]) => ls.splice(3, 0, '{"t":"wat","worker":"main"}'),
      /line 4: unknown line type "wat"/,
    ],
    [
      'a case whose results do not match its steps',
      (ls: string[]) => {
        const i = ls.findIndex((l) => l.includes('"t":"case"'));
        ls[i] = ls[i]!.replace('"op":"setup"', '"op":"destroy","target":{"address":"0"}');
      },
      /line \d+: report\.results\[0\]\.op: "setup", but step 0 is a destroy/,
    ],
    [
      'not a trace at all',
      (ls: string[]) => ls.splice(0, ls.length, '{"hello":1}'),
      /line 1: not an aiospec trace line/,
    ],
  ])('refuses %s, naming the line, exit 2', (_what, mutate, message) => {
    const lines = text.split('\n').filter(Boolean);
    mutate(lines);
    const body = `${lines.join('\n')}\n`;
    expect(() => parseTrace(body)).toThrow(TraceError);
    expect(() => parseTrace(body)).toThrow(message);
    const file = join(dir, 'bad.jsonl');
    writeFileSync(file, body);
    const r = aiospec('replay', file);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(message);
  });

  it('says which file is missing', () => {
    const r = aiospec('replay', join(dir, 'nope.jsonl'));
    expect(r.code).toBe(2);
    expect(r.err).toContain('no such file');
  });
});

describe.skipIf(REAL !== null)(
  `recording on this kernel${REAL ? ` (skipped: ${REAL})` : ''}`,
  () => {
    it('records a run that replays to the same counts', async () => {
      const file = join(dir, 'host.jsonl');
      const r = aiospec(
        'record',
        '--out',
        file,
        '--runs',
        '400',
        '--seed=11',
        '--reporter',
        'json',
      );
      expect(r.code, r.err).toBe(0);
      const live = JSON.parse(r.out);
      expect(reportSchema(live), JSON.stringify(reportSchema.errors)).toBe(true);
      const trace = readFileSync(file, 'utf8');
      // Every line of a trace as written now (version 2) is described by schema/trace.schema.json.
      expect(trace.startsWith('{"t":"header","format":"aiospec-trace","version":2,')).toBe(true);
      expect(refusedLines(trace).slice(0, 3)).toEqual([]);
      // The sandboxes and the fresh process have lines of their own, under their keys, as
      // child workers of the main worker (started together, in any order), each sandbox under its filter.
      const workers = trace
        .split('\n')
        .filter((l) => l.startsWith('{"t":"worker"'))
        .map(
          (l) => JSON.parse(l) as { worker: string; host: { pid: number; seccompMode: number } },
        );
      expect(workers[0]?.worker).toBe('main');
      expect(workers.map((w) => [w.worker, w.host.seccompMode]).sort()).toEqual([
        ['fresh:0', 0],
        ['main', 0],
        ['seccomp:ENOSYS', 2],
        ['seccomp:EPERM', 2],
      ]);
      const { header, summary } = await replayTrace(trace);
      expect(header.seed).toBe(11);
      expect(summary.diverged).toBe(0);
      // The live run also counts the table rows that could not run (nothing observed, nothing recorded).
      expect(summary.cases).toBe(live.cases - live.skipped);
      expect(summary.rulesCovered).toBe(live.rulesCovered);
    });

    it('replays a recording whose seed is in the upper half of the u32 range (random seeds are)', async () => {
      const file = join(dir, 'high-seed.jsonl');
      const r = aiospec(
        'record',
        '--out',
        file,
        '--suite',
        'props',
        '--runs',
        '50',
        '--seed=4294967295',
      );
      expect(r.code, r.err).toBe(0);
      const { header, summary } = await replayTrace(readFileSync(file, 'utf8'));
      expect(header.seed).toBe(4294967295);
      expect(summary.cases).toBe(50);
      expect(summary.diverged).toBe(0);
      const again = aiospec('replay', file);
      expect(again.code, again.err).toBe(0);
    });
  },
);
