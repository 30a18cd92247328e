/**
 * `--path`: the case a fast-check path names, as fast-check itself reports it,
 * and a one-line refusal for every path the generator cannot reach.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Case } from '../../conformance/cases.js';
import { propsCaseArb } from '../../conformance/gen/props.js';
import {
  MOST_SHRINK_STEPS,
  PathUnreachable,
  pathProblem,
  replayAt,
} from '../../conformance/gen/replay-path.js';
import { sequenceArb, sequenceCase } from '../../conformance/suites/stateful.js';

const props = propsCaseArb({ possibleCpus: 2, pageSize: 4096, available: 65536n });
const stateful = sequenceArb(2, 4096).map((cmds) => sequenceCase(cmds));

/** A property that fails on big nr_events with a zero ctx, so fast-check shrinks through several steps. */
const big = (c: Case) => !c.steps.some((s) => s.op === 'setup' && s.nr > 1000 && s.ctx === 'zero');

describe('replayAt', () => {
  it('the index alone is the case fc.sample draws at that position', () => {
    const drawn = fc.sample(props, { numRuns: 40, seed: 7 });
    for (const i of [0, 1, 17, 39]) expect(replayAt(props, 7, String(i))).toEqual([drawn[i]]);
  });

  it('follows shrink steps to the counterexample fast-check reports for that path', () => {
    for (const seed of [1, 2, 6]) {
      const r = fc.check(fc.property(props, big), { seed });
      expect(r.failed).toBe(true);
      expect(r.counterexamplePath!.split(':').length).toBeGreaterThan(2);
      expect(replayAt(props, seed, r.counterexamplePath!)).toEqual(r.counterexample);
    }
  });

  it('does so for stateful sequences as well', () => {
    const destroys = (c: Case) => c.steps.filter((s) => s.op === 'destroy').length < 2;
    const r = fc.check(fc.property(stateful, destroys), { seed: 5 });
    expect(r.failed).toBe(true);
    expect(replayAt(stateful, 5, r.counterexamplePath!)).toEqual(r.counterexample);
  });

  it('names the first shrink step that does not exist', () => {
    expect(() => replayAt(props, 1, '3:99999')).toThrow(PathUnreachable);
    expect(() => replayAt(props, 1, '3:99999')).toThrow(
      /^--path: shrink step 1 of 1 does not exist: 3 has no shrink 99999 \(seed 1\)$/,
    );
    // A long chain of first shrinks ends where the case cannot shrink any more.
    const path = `3${':0'.repeat(200)}`;
    const exists = (steps: number) => {
      try {
        return replayAt(props, 1, `3${':0'.repeat(steps)}`).length === 1;
      } catch (e) {
        if (e instanceof PathUnreachable) return false;
        throw e;
      }
    };
    let depth = 0;
    while (depth < 200 && exists(depth + 1)) depth++;
    expect(depth).toBeGreaterThan(0);
    expect(depth).toBeLessThan(200);
    expect(() => replayAt(props, 1, path)).toThrow(
      new RegExp(
        `^--path: shrink step ${depth + 1} of 200 does not exist: 3${':0'.repeat(depth)} has no shrink 0 `,
      ),
    );
  });
});

describe('pathProblem (before anything is generated)', () => {
  const reach = { generated: 100, why: '--runs 100' };

  it('accepts indexes the run generates, with shrink steps', () => {
    for (const p of ['0', '99', '42:0:1', `5${':3'.repeat(MOST_SHRINK_STEPS)}`])
      expect(pathProblem(p, reach)).toBeNull();
  });

  it.each([
    ['x', /is not a fast-check path/],
    ['1:', /is not a fast-check path/],
    ['-1', /is not a fast-check path/],
    ['100', /^--path: case 100 is beyond the generator's reach \(--runs 100: cases 0 to 99\)$/],
    ['99999999999999999999999', /case 99999999999999999999999 is beyond/],
    [`5${':0'.repeat(MOST_SHRINK_STEPS + 1)}`, /shrink steps; no case shrinks that far/],
    ['5:99999999999999999999', /shrink step 99999999999999999999 does not exist/],
  ])('refuses %s', (path, message) => {
    expect(pathProblem(path, reach)).toMatch(message);
  });

  it('says so when the run generates no case at all', () => {
    expect(pathProblem('0', { generated: 0, why: '--runs 0' })).toMatch(/--runs 0: no cases/);
  });
});
