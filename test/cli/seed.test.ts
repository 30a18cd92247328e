/**
 * `--seed`: every value the flag accepts is printed back as the same decimal
 * u32, and the replay command a report prints with it is accepted and finds
 * the same case again.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSeed, randomSeed } from '../../conformance/cli/seed.js';
import { REAL } from '../support/real.js';

const BIN = resolve(import.meta.dirname, '../../bin/aiospec');

function aiospec(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The arguments of a printed `aiospec run ... --path=P   # or: ...` command, before its comment. */
function replayArgs(replay: string): string[] {
  const command = replay.split('   # or:')[0]!.trim().split(/\s+/);
  expect(command.slice(0, 2)).toEqual(['aiospec', 'run']);
  return command.slice(2);
}

describe('--seed values', () => {
  it('accepts the whole u32 range, decimal or hex, and keeps it unsigned', () => {
    expect(parseSeed('0')).toBe(0);
    expect(parseSeed('2147483648')).toBe(2 ** 31);
    expect(parseSeed('4294967295')).toBe(2 ** 32 - 1);
    expect(parseSeed('0xffffffff')).toBe(2 ** 32 - 1);
    expect(() => parseSeed('4294967296')).toThrow(/--seed/);
    expect(() => parseSeed('-1')).toThrow(/--seed/);
  });

  it('draws random seeds over the whole u32 range, each one --seed accepts back', () => {
    for (const r of [0, 0.25, 0.5, 0.999_999_999_9]) {
      const seed = randomSeed(() => r);
      expect(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32).toBe(true);
      expect(parseSeed(String(seed))).toBe(seed);
    }
    expect(randomSeed(() => 0.999_999_999_9)).toBe(2 ** 32 - 1);
    expect(randomSeed(() => 0.5)).toBe(2 ** 31);
  });

  it('an unsigned seed draws the stream fast-check draws for its 32-bit form', () => {
    // What makes a printed 4294967295 reproduce a run: fast-check folds seeds to 32 bits.
    const arb = fc.tuple(fc.integer(), fc.string());
    expect(fc.sample(arb, { numRuns: 20, seed: 2 ** 32 - 1 })).toEqual(
      fc.sample(arb, { numRuns: 20, seed: -1 }),
    );
    expect(fc.sample(arb, { numRuns: 20, seed: 2 ** 31 })).toEqual(
      fc.sample(arb, { numRuns: 20, seed: -(2 ** 31) }),
    );
  });
});

describe.skipIf(REAL !== null)(`--seed on this kernel${REAL ? ` (skipped: ${REAL})` : ''}`, () => {
  it('run --seed=4294967295 prints seed 4294967295, and its replay command finds the same case', () => {
    const human = aiospec('run', '--suite', 'props', '--runs', '20', '--seed=4294967295');
    expect(human.err).toBe('');
    expect(human.out.split('\n')[0]).toMatch(/ · seed 4294967295$/);

    const r = aiospec(
      'run',
      ...['--suite', 'props', '--runs', '300', '--seed=0xffffffff', '--profile', 'gvisor'],
      ...['--reporter', 'json'],
    );
    expect(r.code, r.err).toBe(1);
    const s = JSON.parse(r.out);
    expect(s.seed).toBe(4294967295);
    const d = s.divergences[0];
    expect(d.replay).toMatch(/ --seed=4294967295 --path=\d+ /);
    const again = aiospec(...['run', ...replayArgs(d.replay), '--reporter', 'json']);
    expect(again.code, again.err).toBe(1);
    const s2 = JSON.parse(again.out);
    expect(s2.seed).toBe(4294967295);
    expect(s2.suites.props.cases).toBe(1);
    expect(s2.divergences[0].original).toEqual(d.original);
  });

  it('a run given no seed prints one that --seed accepts back', () => {
    const r = aiospec('run', '--suite', 'props', '--runs', '5', '--reporter', 'json');
    expect(r.code, r.err).toBe(0);
    const seed = JSON.parse(r.out).seed;
    expect(parseSeed(String(seed))).toBe(seed);
  });
});
