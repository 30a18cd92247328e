/**
 * seccomp actions that signal, under `run --seccomp-profile` on this kernel
 * (aiospec's own BPF compilation of the profile in the worker). TRAP: the
 * worker survives with SIGSYS delivered and the call returning the
 * rolled-back register, read straight from a recorded trace; KILL_PROCESS: the
 * worker dies of SIGSYS at the io_setup the model names, which is a pass, not
 * a crash. Skipped where real-kernel tests cannot run, saying why.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { arch, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nothingLeftBehind, runAiospec } from '../support/cli.js';
import { REAL } from '../support/real.js';
import { startedProcesses } from '../support/started.js';

const started = startedProcesses();
const PROFILES = resolve(import.meta.dirname, '../../fixtures/seccomp');
const dir = mkdtempSync(join(tmpdir(), 'aiospec-sigsys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Summary {
  passed: number;
  diverged: number;
  inconclusive: number;
  coverage: { id: string; hits: number }[];
}

/** io_setup results of the main worker's props cases in a trace. */
function setups(trace: string): { nr: number; ret: number; signal?: string }[] {
  return trace
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .filter((l) => l.t === 'case' && l.suite === 'props' && l.report.status === 'ok')
    .flatMap((l) =>
      l.case.steps.flatMap((s: { op: string; nr?: number }, i: number) =>
        s.op === 'setup' ? [{ nr: Number(s.nr), ...l.report.results[i] }] : [],
      ),
    );
}

describe.skipIf(REAL !== null)(`seccomp signals${REAL ? ` (skipped: ${REAL})` : ''}`, () => {
  it('TRAP: SIGSYS delivered, the call returns the syscall number (x86_64) or nr_events (arm64), no context', async () => {
    const out = join(dir, 'trap.trace.jsonl');
    const r = await runAiospec(started, [
      'record',
      '--seccomp-profile',
      join(PROFILES, 'io-setup-trap.json'),
      '--suite',
      'props',
      '--runs',
      '300',
      '--seed=3',
      '--out',
      out,
    ]);
    await nothingLeftBehind(r);
    expect(r.code).toBe(0);
    const calls = setups(readFileSync(out, 'utf8'));
    expect(calls.length).toBeGreaterThan(250);
    // arch/x86/entry/syscalls/syscall_64.tbl: io_setup is 206; arm64 gives back x0, nr_events.
    for (const c of calls) {
      expect(c.signal).toBe('SIGSYS');
      expect(c.ret).toBe(arch() === 'x64' ? 206 : c.nr);
    }
  });

  it('KILL_PROCESS: killed by SIGSYS at the io_setup the model names, judged as passing', async () => {
    const r = await runAiospec(started, [
      'run',
      '--seccomp-profile',
      join(PROFILES, 'io-setup-kill-process.json'),
      '--suite',
      'props',
      '--runs',
      '20',
      '--seed=3',
      '--reporter',
      'json',
    ]);
    await nothingLeftBehind(r);
    const s = JSON.parse(r.out) as Summary;
    expect({ code: r.code, passed: s.passed, inconclusive: s.inconclusive }).toEqual({
      code: 0,
      passed: 20,
      inconclusive: 0,
    });
    const hits = new Map(s.coverage.map((c) => [c.id, c.hits]));
    expect(hits.get('seccomp.kill-process')).toBe(20);
  });
});
