/**
 * --suite is repeatable, with `family` and `all` as groups: the suites named
 * run in the run's own order, each once. A name that is none of them is one
 * line and exit 2. (Before, a second --suite silently replaced the first.)
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BIN } from '../support/cli.js';
import { expectOneLine } from '../support/one-line.js';
import { REAL } from '../support/real.js';

function aiospec(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('--suite', () => {
  it.skipIf(REAL !== null)(
    `repeated and grouped: each suite named runs once, in the run's order${REAL ? ` (skipped: ${REAL})` : ''}`,
    () => {
      const r = aiospec([
        ...['run', '--suite', 'family-stateful', '--suite', 'table', '--suite', 'family'],
        ...['--runs', '50', '--reporter', 'json'],
      ]);
      expect(r.code, r.err).toBe(0);
      expect(Object.keys(JSON.parse(r.out).suites)).toEqual([
        'table',
        'family-table',
        'family-props',
        'family-stateful',
      ]);
    },
  );

  it('refuses a name that is no suite or group, naming what it takes', () => {
    expectOneLine(
      aiospec(['run', '--suite', 'table', '--suite', 'fmaily']),
      2,
      /--suite: "fmaily" is not one of .*family-table.*, all, family$/,
    );
  });
});
