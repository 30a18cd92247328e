/**
 * `aiospec run --path`: a path the generator cannot reach is one line, exit 2,
 * decided before any case is generated (the index, the number of steps) or,
 * for shrink steps, once the generator is known and before any case runs.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CliResult, expectOneLine } from '../support/one-line.js';
import { REAL } from '../support/real.js';

const BIN = resolve(import.meta.dirname, '../../bin/aiospec');

type Result = CliResult;

function aiospec(...args: string[]): Result {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('--path the generator cannot reach: one line, exit 2', () => {
  it.each([
    [
      'an index past the most --runs allows',
      ['--path=10000000'],
      /case 10000000 is beyond the generator's reach \(--runs is at most 10000000/,
    ],
    ['a 20-digit index', ['--path=99999999999999999999'], /case 99999999999999999999 is beyond/],
    [
      'an index past --runs',
      ['--runs', '100', '--path=100'],
      /case 100 is beyond the generator's reach \(--runs 100: cases 0 to 99\)/,
    ],
    [
      '1001 shrink steps',
      [`--path=3${':0'.repeat(1001)}`],
      /1001 shrink steps; no case shrinks that far/,
    ],
    [
      'a 20-digit shrink step',
      ['--path=3:99999999999999999999'],
      /shrink step 99999999999999999999 does not exist/,
    ],
  ])('props, %s: before any case is generated', (_what, args, message) => {
    // Were these generated, the first two would take hours: the check comes first.
    expectOneLine(aiospec('run', '--suite', 'props', '--seed=1', ...args), 2, message);
  });

  it('stateful: the sequences a run makes', () => {
    expectOneLine(
      aiospec('run', '--suite', 'stateful', '--seed=1', '--path=1000000'),
      2,
      /case 1000000 is beyond the generator's reach \(--sequences is at most 1000000/,
    );
    expectOneLine(
      aiospec('run', '--suite', 'stateful', '--seed=1', '--runs', '100', '--path=3'),
      2,
      /--runs 100 makes 3 sequences: cases 0 to 2/,
    );
  });

  describe.skipIf(REAL !== null)(`on this kernel${REAL ? ` (skipped: ${REAL})` : ''}`, () => {
    it('a shrink step that does not exist, once the generator is known', () => {
      expectOneLine(
        aiospec('run', '--suite', 'props', '--seed=1', '--path=3:99999'),
        2,
        /^aiospec run: --path: shrink step 1 of 1 does not exist: 3 has no shrink 99999 \(seed 1\)$/,
      );
    });

    it('a shrink step that exists runs that one case', () => {
      const r = aiospec('run', '--suite', 'props', '--seed=1', '--path=3:0', '--reporter', 'json');
      expect(r.code, r.err).toBe(0);
      expect(JSON.parse(r.out).suites.props.cases).toBe(1);
    });
  });
});
