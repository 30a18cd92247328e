/**
 * io_destroy denied while io_setup is allowed (fixtures/seccomp/io-destroy-eperm.json, in
 * aiospec's own BPF compilation, installed by the worker): the call fails with EPERM, the
 * context lives on (its ring still mapped, its charge still in aio-nr) and is given back
 * only when the process exits. Judged from the worker's own evidence; aio-nr only where it
 * held still around the calls (other processes use AIO concurrently): each check is
 * retried until one attempt was undisturbed. Skipped where real-kernel tests cannot run.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSeccompProfile, resolveSeccompProfile } from '../../model/index.js';
import type { DestroyResult, SetupResult } from '../../real/protocol.js';
import { SECCOMP_BPF_ENV, seccompProgramHex } from '../../real/seccomp-launch.js';
import { hostLaunch, WorkerProcess } from '../../real/worker-process.js';
import { aioNr, REAL } from '../support/real.js';
import { startedProcesses } from '../support/started.js';
import { steps } from '../support/worker.js';

const FILE = resolve(import.meta.dirname, '../../fixtures/seccomp/io-destroy-eperm.json');
const EPERM = 1;
/** Above 4 * possible CPUs on any machine this runs on: the charge is nr_events itself (v4.14+). */
const NR = 777;

function launch() {
  const f = resolveSeccompProfile(parseSeccompProfile(readFileSync(FILE, 'utf8'), FILE), {
    arch: process.arch === 'arm64' ? 'SCMP_ARCH_AARCH64' : 'SCMP_ARCH_X86_64',
    caps: new Set<string>(),
    kernel: '6.18',
  });
  return { ...hostLaunch(), env: { [SECCOMP_BPF_ENV]: seccompProgramHex(f) } };
}

/** Whether pid maps an AIO ring starting at handle (hex). */
function ringMapped(pid: number, handle: string): boolean {
  const start = BigInt(handle);
  return readFileSync(`/proc/${pid}/maps`, 'utf8')
    .split('\n')
    .some((l) => l.includes('[aio]') && BigInt(`0x${l.split('-')[0]}`) === start);
}

describe.skipIf(REAL !== null)(`io_destroy denied${REAL ? ` (skipped: ${REAL})` : ''}`, () => {
  const started = startedProcesses();

  it('EPERM, the ring stays mapped and charged, and the charge comes back at exit', async () => {
    let undisturbed = false;
    for (let attempt = 0; attempt < 8 && !undisturbed; attempt++) {
      const w = started.worker(await WorkerProcess.start(launch()));
      const [setup, destroy] = (await steps(w, [
        { op: 'setup', nr: NR, ctx: 'zero' },
        { op: 'destroy', target: { step: 0 } },
      ])) as [SetupResult, DestroyResult];
      expect(setup.ret).toBe(0);
      expect({ ret: destroy.ret, errno: destroy.errno, ringGone: destroy.ringGone }).toEqual({
        ret: -1,
        errno: EPERM,
        ringGone: false,
      });
      expect(ringMapped(w.pid, setup.handle!)).toBe(true);
      // The worker's own contribution: io_setup charged NR, the denied io_destroy gave nothing back.
      const charged = BigInt(setup.aioNrAfter!) - BigInt(setup.aioNrBefore!);
      const kept = BigInt(destroy.aioNrAfter!) === BigInt(destroy.aioNrBefore!);
      const before = aioNr();
      await w.close();
      const after = aioNr();
      undisturbed = charged === BigInt(NR) && kept && before - after === BigInt(NR);
    }
    expect(undisturbed, 'no attempt saw aio-nr still around the calls and the exit').toBe(true);
  }, 120_000);
});
