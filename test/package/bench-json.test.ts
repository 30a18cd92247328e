/**
 * `npm run -s bench -- --json`, as the README gives it, prints exactly one line:
 * the JSON object, nothing from npm or the build before it.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REAL } from '../support/real.js';

const ROOT = resolve(import.meta.dirname, '../..');
const gcc = spawnSync('gcc', ['--version']).status === 0 ? null : 'no gcc';
const skip = REAL ?? gcc;

describe.skipIf(skip !== null)(`the benchmark's --json${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('is one line of JSON on stdout', () => {
    const r = spawnSync(
      'npm',
      [
        'run',
        '-s',
        'bench',
        '--',
        '--json',
        '--cases',
        '300',
        '--naive-cases',
        '10',
        '--repeat',
        '1',
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe('');
    const result = JSON.parse(lines[0]!);
    for (const key of ['engineCasesPerSec', 'cReferenceCasesPerSec', 'naiveCasesPerSec', 'ratio'])
      expect(result[key], key).toBeGreaterThan(0);
    // The family stream is on by default (README, Benchmark).
    expect(result.family.cases).toBe(500);
    for (const key of [
      'engineCasesPerSec',
      'cReferenceCasesPerSec',
      'engineColdCasesPerSec',
      'ratio',
    ])
      expect(result.family[key], `family.${key}`).toBeGreaterThan(0);
  }, 180_000);
});
