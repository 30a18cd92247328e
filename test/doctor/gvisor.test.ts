/**
 * `aiospec doctor` inside gVisor (runsc, the sandbox `--target gvisor` uses): the calls table
 * must say io_pgetevents and io_cancel are ENOSYS because gVisor does not implement them
 * (sys_aio.go; /work/shared/notes/aio-family.md §8), not a filter; the other four reach AIO
 * (io_submit(0, 0, NULL) returning 0 there, as gVisor looks the context up per iocb).
 * Runs where runsc can start a sandbox; skipped elsewhere, saying why. The sandbox dies
 * with the command, leaving nothing (real/targets/gvisor.ts).
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { gvisorAvailable, gvisorCommand } from '../../real/targets/gvisor.js';
import { BIN } from '../support/cli.js';
import { startedProcesses } from '../support/started.js';

const WHY = process.platform === 'linux' ? gvisorAvailable() : `not Linux (${process.platform})`;

describe.skipIf(WHY !== null)(`aiospec doctor in gVisor${WHY ? ` (skipped: ${WHY})` : ''}`, () => {
  const started = startedProcesses();

  function doctorInGvisor(args: readonly string[]) {
    const l = gvisorCommand([process.execPath, BIN, 'doctor', ...args]);
    const p = started.child(spawn(l.command, [...l.args], { stdio: ['ignore', 'pipe', 'pipe'] }));
    let out = '';
    let err = '';
    p.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    p.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    return new Promise<{ code: number | null; out: string; err: string }>((done) =>
      p.on('close', (code) => done({ code, out, err })),
    );
  }

  it('io_pgetevents and io_cancel: enosys, by design; the other four allowed; nothing inconsistent', async () => {
    const r = await doctorInGvisor(['--json']);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.kernel.gvisor).toBe(true);
    const by = Object.fromEntries(
      j.calls.map((c: { call: string; verdict: string; errno: string | null }) => [
        c.call,
        [c.verdict, c.errno],
      ]),
    );
    expect(by).toEqual({
      io_setup: ['allowed', null],
      io_destroy: ['allowed', null],
      io_submit: ['allowed', null],
      io_getevents: ['allowed', null],
      io_pgetevents: ['enosys', 'ENOSYS'],
      io_cancel: ['enosys', 'ENOSYS'],
    });
    expect(j.calls[2].detail).toMatch(/^io_submit\(0, 0, NULL\) = 0: reached AIO/);
    for (const i of [4, 5]) expect(j.calls[i].detail).toContain('gVisor does not implement');
    expect(j.inconsistencies).toEqual([]);
  }, 120_000);
});
