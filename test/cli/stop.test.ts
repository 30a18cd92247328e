/**
 * Stopping `aiospec run` early, end to end: Ctrl-C (SIGINT to the command, or
 * to its whole process group as a terminal sends it) reports the cases that
 * ran with every chosen reporter and exits 130; a second Ctrl-C exits at once;
 * --bail and --time-limit stop a CI run. Each run must leave nothing behind:
 * the command and every process it started are gone.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type CliOptions, nothingLeftBehind, runAiospec } from '../support/cli.js';
import { processesCarrying, waitFor } from '../support/processes.js';
import { REAL } from '../support/real.js';
import { startedProcesses } from '../support/started.js';

const dir = mkdtempSync(join(tmpdir(), 'aiospec-stop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A run far longer than any test: only a stop ends it. */
const LONG = ['run', '--suite', 'props', '--runs', '10000000', '--seed=5'];

/** Send SIGINT(s) once the run's worker is up and a second has passed (cases are being run). */
function interruptMidRun(times: number, group = false): NonNullable<CliOptions['onStart']> {
  return (p: ChildProcess, mark: string) => {
    void (async () => {
      await waitFor(() => processesCarrying(mark).length > 0, 'the run started no worker', 30_000);
      await new Promise((r) => setTimeout(r, 1000));
      for (let i = 0; i < times; i++) {
        if (group) process.kill(-p.pid!, 'SIGINT');
        else p.kill('SIGINT');
        await new Promise((r) => setTimeout(r, 30));
      }
    })();
  };
}

describe.skipIf(REAL !== null)(`stopping a run${REAL ? ` (skipped: ${REAL})` : ''}`, () => {
  const started = startedProcesses();
  const run = async (args: string[], opts: CliOptions = {}) => {
    const r = await runAiospec(started, args, opts);
    await nothingLeftBehind(r);
    return r;
  };

  it.each([
    ['SIGINT to the command', false],
    ['SIGINT to its process group (Ctrl-C at a terminal)', true],
  ])('%s: the partial report by every reporter, exit 130', async (_what, group) => {
    const xml = join(dir, `partial-${group}.xml`);
    const t0 = Date.now();
    const r = await run([...LONG, '--reporter', 'json', '--reporter', `junit:${xml}`], {
      ownGroup: group,
      onStart: interruptMidRun(1, group),
    });
    expect(r.code, r.err).toBe(130);
    expect(Date.now() - t0).toBeLessThan(60_000);
    const s = JSON.parse(r.out);
    expect(s.stopped).toBe('interrupted (SIGINT)');
    expect(s.cases).toBeGreaterThan(0);
    expect(s.cases).toBeLessThan(10_000_000);
    expect(s.cases).toBe(s.passed + s.diverged + s.inconclusive + s.skipped);
    expect(r.err).toContain(
      `aiospec run: stopped early: interrupted (SIGINT); the report counts the ${s.cases} cases that ran`,
    );
    const junit = readFileSync(xml, 'utf8');
    expect(junit).toContain(`<testsuites name="aiospec" tests="${s.cases}"`);
    rmSync(xml);
  });

  it('a second Ctrl-C exits at once: 130, no report file, nothing temporary left', async () => {
    const sub = mkdtempSync(join(dir, 'twice-'));
    const r = await run([...LONG, '--reporter', `junit:${join(sub, 'r.xml')}`], {
      onStart: interruptMidRun(2),
    });
    expect(r.code, r.err).toBe(130);
    expect(readdirSync(sub)).toEqual([]);
  });

  it('--bail stops at the first divergence: exit 1, the report says why', async () => {
    // gVisor's model judged against Linux: most cases diverge.
    const r = await run([...LONG, '--profile', 'gvisor', '--bail', '--reporter', 'json']);
    expect(r.code, r.err).toBe(1);
    const s = JSON.parse(r.out);
    expect(s.stopped).toMatch(/the most asked for: 1\b/);
    expect(s.diverged).toBeGreaterThanOrEqual(1);
    expect(s.cases).toBeLessThan(10_000_000);
    expect(r.err).toContain('stopped early');
  });

  it('--time-limit ends a run that would take hours, conformant in what ran: exit 0', async () => {
    const t0 = Date.now();
    const r = await run([...LONG, '--time-limit', '1.5', '--reporter', 'json']);
    expect(r.code, r.err).toBe(0);
    expect(Date.now() - t0).toBeLessThan(30_000);
    const s = JSON.parse(r.out);
    expect(s.stopped).toMatch(/time limit of 1.5 s/);
    expect(s.cases).toBeGreaterThan(0);
    expect(s.diverged).toBe(0);
  });
});
