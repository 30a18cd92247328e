/**
 * The test run's global setup (vitest.config.ts).
 *
 * Real-kernel tests read and change the host-wide aio-nr, so two test runs on
 * one machine would see each other's contexts. Each run takes this lock first
 * (a directory: mkdir is atomic) and waits for another live run to finish;
 * a lock left by a dead run is taken over.
 *
 * Then it marks the run (run-marker.ts): at its end, any process a test left
 * behind is killed and the run fails.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import markRun from './run-marker.js';

const LOCK = join(tmpdir(), 'aiospec-real-tests.lock');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export default async function setup(): Promise<() => Promise<void>> {
  for (let waited = 0; ; waited += 200) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, 'pid'), String(process.pid));
      break;
    } catch {
      let owner = 0;
      try {
        owner = Number(readFileSync(join(LOCK, 'pid'), 'utf8'));
      } catch {}
      if (owner && !alive(owner)) rmSync(LOCK, { recursive: true, force: true });
      else if (waited % 10_000 === 0)
        process.stderr.write(
          `waiting for another aiospec test run (pid ${owner || '?'}) to finish\n`,
        );
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const sweep = markRun();
  return async () => {
    try {
      await sweep();
    } finally {
      rmSync(LOCK, { recursive: true, force: true });
    }
  };
}
