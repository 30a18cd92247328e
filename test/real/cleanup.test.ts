/**
 * Leaving the machine as found: contexts die with a killed run, and a changed
 * aio-max-nr is put back after the work, on an exception, on SIGTERM, when the
 * runner is SIGKILLed (by the guardian), and by a later start.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  aioRings,
  isGone,
  processesHoldingAio,
  processRef,
  waitFor,
  workersOf,
} from '../support/processes.js';
import { aioMaxNr, REAL, ROOT_REASON } from '../support/real.js';
import { startedProcesses } from '../support/started.js';

const DIST = resolve(import.meta.dirname, '../../dist/real');

const started = startedProcesses();

/** A node child running `code` as an ES module, with its stdout lines readable; killed after the test. */
function child(code: string, env: Record<string, string> = {}) {
  const p = started.child(
    spawn(process.execPath, ['--input-type=module', '-e', code], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...env },
    }),
  );
  let out = '';
  p.stdout!.setEncoding('utf8');
  p.stdout!.on('data', (d: string) => {
    out += d;
  });
  return { p, said: (text: string) => out.includes(text), output: () => out };
}

/** Bytes of the ring io_setup(nr) maps: 2*max(nr, 4C) + 2 events of 32 bytes after a 32-byte header, in whole pages. */
function ringBytes(nr: number, cpus: number, page: number): number {
  const events = 2 * Math.max(nr, 4 * cpus);
  return Math.ceil((32 * (events + 3)) / page) * page;
}

describe.skipIf(REAL !== null)(
  `a killed run leaves no contexts${REAL ? ` (skipped: ${REAL})` : ''}`,
  () => {
    it('SIGKILL of the runner takes its workers, their child workers and their contexts with it', async () => {
      // A runner (this child) with two workers and a child worker of each (a fresh one and a
      // seccomp sandbox, as the engine starts them), each holding io_setup(1000) and io_setup(7).
      const { p, said, output } = child(`
      import { WorkerProcess } from '${DIST}/worker-process.js';
      const mains = await Promise.all([WorkerProcess.start(), WorkerProcess.start()]);
      const ws = [...mains, await mains[0].spawnChild(), await mains[1].spawnChild({ seccompErrno: 1 })];
      for (const w of ws.slice(0, 3)) {
        // Retried while other processes leave too little of aio-max-nr (EAGAIN): the test is about the kill.
        for (;;) {
          const r = await w.run([{ id: 0, steps: [{ op: 'setup', nr: 1000, ctx: 'zero' }, { op: 'setup', nr: 7, ctx: 'zero' }] }], 10000);
          if (r.cases[0].results.every((s) => s.ret === 0)) break;
          await w.run([{ id: 1, steps: [{ op: 'release' }] }], 10000);
          await new Promise((ok) => setTimeout(ok, 50));
        }
      }
      const { pageSize, possibleCpus } = ws[0].host;
      console.log('holding ' + JSON.stringify({ pids: ws.map((w) => w.pid), pageSize, possibleCpus }));
      setInterval(() => {}, 1000);
    `);
      await waitFor(() => said('holding'), 'the runner holds its contexts', 60_000);
      const held = JSON.parse(/holding (.*)/.exec(output())![1]!) as {
        pids: number[];
        pageSize: number;
        possibleCpus: number;
      };
      // The workers are the runner's (or its workers'), and each maps exactly its two rings;
      // the sandbox holds none (its io_setup is refused).
      expect(workersOf(p.pid!).sort()).toEqual([...held.pids].sort());
      const sandbox = held.pids.pop()!;
      expect(aioRings(sandbox)).toEqual([]);
      const expected = [1000, 7]
        .map((nr) => ringBytes(nr, held.possibleCpus, held.pageSize))
        .sort((a, b) => a - b);
      const workers = [...held.pids, sandbox].map((pid) => processRef(pid)!);
      const rings = held.pids.flatMap((pid) => {
        const mine = aioRings(pid);
        expect(
          mine.map((r) => r.bytes).sort((a, b) => a - b),
          `rings of worker ${pid}`,
        ).toEqual(expected);
        return mine.map((r) => r.file);
      });

      p.kill('SIGKILL');

      // The workers die with it, and no process anywhere maps those rings any more.
      await waitFor(() => workers.every(isGone), 'the workers are gone');
      expect(
        processesHoldingAio().filter((h) => h.rings.some((r) => rings.includes(r.file))),
      ).toEqual([]);
    });
  },
);

describe.skipIf(REAL !== null || ROOT_REASON !== null)(
  `aio-max-nr is always put back${(REAL ?? ROOT_REASON) ? ` (skipped: ${REAL ?? ROOT_REASON})` : ''}`,
  () => {
    const dirs: string[] = [];
    const stateDir = () => {
      const d = mkdtempSync(join(tmpdir(), 'aiospec-guard-'));
      dirs.push(d);
      return d;
    };
    afterAll(() => {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    it('is refused without the opt-in, and restored after the work and after an exception', async () => {
      const { withAioMaxNr } = await import('../../real/aio-max-nr-guard.js');
      const before = aioMaxNr();
      process.env.AIOSPEC_STATE_DIR = stateDir();
      await expect(withAioMaxNr(before + 1n, false, async () => 0)).rejects.toThrow(/opt-in/);
      expect(await withAioMaxNr(before + 1n, true, async () => aioMaxNr())).toBe(before + 1n);
      expect(aioMaxNr()).toBe(before);
      await expect(
        withAioMaxNr(before + 2n, true, async () => {
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(aioMaxNr()).toBe(before);
      delete process.env.AIOSPEC_STATE_DIR;
    });

    it.each(['SIGTERM', 'SIGINT', 'SIGKILL'] as const)(
      'is restored when the run gets %s',
      async (signal) => {
        const before = aioMaxNr();
        const dir = stateDir();
        const { p, said } = child(
          `
        import { withAioMaxNr } from '${DIST}/aio-max-nr-guard.js';
        await withAioMaxNr(${before + 123n}n, true, async () => {
          console.log('changed');
          setInterval(() => {}, 1000); // keep the event loop alive until the signal
          await new Promise(() => {});
        });
      `,
          { AIOSPEC_STATE_DIR: dir },
        );
        await waitFor(() => said('changed'), 'the run changed aio-max-nr');
        expect(aioMaxNr()).toBe(before + 123n);
        p.kill(signal);
        await waitFor(() => aioMaxNr() === before, `aio-max-nr is back to ${before}`);
      },
    );

    it('is restored by the next start when the run and its guardian both died', async () => {
      const { recoverAioMaxNr, stateFile } = await import('../../real/aio-max-nr-guard.js');
      const before = aioMaxNr();
      const dir = stateDir();
      process.env.AIOSPEC_STATE_DIR = dir;
      // What a run killed with its guardian leaves: the sysctl changed and a state file naming a dead pid.
      const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], {
        encoding: 'utf8',
      });
      const deadPid = Number(dead.stdout.trim());
      writeFileSync(
        stateFile(),
        JSON.stringify({
          original: String(before),
          value: String(before + 9n),
          pid: deadPid,
          since: '',
        }),
      );
      writeFileSync('/proc/sys/fs/aio-max-nr', `${before + 9n}\n`);
      try {
        expect(recoverAioMaxNr()?.pid).toBe(deadPid);
        expect(aioMaxNr()).toBe(before);
        expect(() => readFileSync(stateFile())).toThrow();
      } finally {
        writeFileSync('/proc/sys/fs/aio-max-nr', `${before}\n`);
        delete process.env.AIOSPEC_STATE_DIR;
      }
    });
  },
);
