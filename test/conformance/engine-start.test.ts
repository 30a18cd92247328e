/**
 * Starting the main worker: one that dies as it starts is tried again (it may
 * have been killed by something else on the host), one that stays alive and
 * silent for the whole start timeout is not (a guest kernel that never runs
 * the worker would make each try wait as long), and its failure is one line
 * ending with the last thing it printed on stderr (a UML guest's console).
 * The launches are stand-ins (sh), so no kernel or AIO is involved.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../../conformance/engine/execute.js';
import { WorkerStartError } from '../../real/worker-process.js';

const dir = mkdtempSync(join(tmpdir(), 'aiospec-engine-start-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A launch running `script` under sh, each start appending a line to `count`. */
function launch(count: string, script: string) {
  return { command: 'sh', args: ['-c', `echo started >> '${count}'; ${script}`] };
}

const starts = (count: string) => readFileSync(count, 'utf8').split('\n').filter(Boolean).length;

async function startError(engine: Engine): Promise<WorkerStartError> {
  const e = await engine.start().then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(WorkerStartError);
  return e as WorkerStartError;
}

describe('starting the main worker', () => {
  it('gives up after one try when the worker stays silent, naming the last line of its stderr', async () => {
    const count = join(dir, 'silent');
    const engine = new Engine({
      profile: 'linux',
      startTimeoutMs: 1000,
      launch: launch(count, `printf 'Booting\\r\\nmounting /proc\\r\\n\\r\\n' >&2; exec sleep 30`),
    });
    const started = Date.now();
    const e = await startError(engine);
    expect(starts(count)).toBe(1);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(e.code).toBe('ETIMEDOUT');
    expect(e.message).toBe(
      'worker not ready after 1 s (still running, killed); the last line on its stderr: "mounting /proc"',
    );
  });

  it('says so when the silent worker printed nothing', async () => {
    const e = await startError(
      new Engine({
        profile: 'linux',
        startTimeoutMs: 500,
        launch: launch(join(dir, 'mute'), 'exec sleep 30'),
      }),
    );
    expect(e.message).toMatch(/; nothing on its stderr$/);
  });

  it('tries again, up to ten times, when the worker dies as it starts', async () => {
    const count = join(dir, 'dying');
    const e = await startError(
      new Engine({ profile: 'linux', launch: launch(count, 'echo gone >&2; exit 3') }),
    );
    expect(starts(count)).toBe(10);
    expect(e.message).toBe('worker did not start (exit status 3) gone (10 tries)');
  });
});
