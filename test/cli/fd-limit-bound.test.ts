/**
 * FREE_FDS_NEEDED is a bound, not a measurement of one lucky run: Node's ESM
 * loader opens a module graph's files concurrently, so with a cold page cache
 * every module the CLI loads may hold a descriptor at the same moment. This
 * counts the modules each command loads and holds the constant to cover them
 * plus what a loaded run keeps open.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FREE_FDS_NEEDED, LOADED_PEAK_FDS } from '../../conformance/cli/fd-limit.js';

const BIN = resolve(import.meta.dirname, '../../bin/aiospec');
const COUNT = resolve(import.meta.dirname, 'count-modules.mjs');

function modulesLoaded(args: string[]): number {
  const r = spawnSync(process.execPath, ['--import', COUNT, BIN, ...args], { encoding: 'utf8' });
  const m = /^modules (\d+)$/m.exec(r.stderr);
  expect(m, r.stderr).not.toBeNull();
  return Number(m![1]);
}

describe('the open-file bound', () => {
  it.each([[['--version']], [['explain', '--nr-events', '1']], [['help', 'run']]])(
    'covers every module `aiospec %s` loads, plus a loaded run',
    (args) => {
      const n = modulesLoaded(args);
      // bin/aiospec and the fd-limit check alone are a few modules; the CLI is well over a hundred.
      expect(n).toBeGreaterThan(50);
      expect(n + LOADED_PEAK_FDS).toBeLessThanOrEqual(FREE_FDS_NEEDED);
    },
  );
});
