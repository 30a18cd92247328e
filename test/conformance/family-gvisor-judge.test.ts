/**
 * What the judge allows gVisor beyond Linux, and how family divergences are
 * named: a fault timing decides (orErrno: gVisor pops an event before
 * copying it out, aio-family.md §8), and the kind of a family case taken
 * from its first differing family step (not from an io_setup difference
 * every case of a target shares).
 */
import { describe, expect, it } from 'vitest';
import type { Case } from '../../conformance/cases.js';
import { signature } from '../../conformance/engine/signature.js';
import type { CaseVerdict, StepJudgement } from '../../conformance/engine/verdict.js';
import { diffFamily } from '../../conformance/family/judge-family.js';
import { type FamilyPrediction, tookAlternative } from '../../conformance/family/model-port.js';

const inFlight: FamilyPrediction = {
  rule: 'getevents.collected',
  ret: 1,
  retAtLeast: 0,
  inexact: true,
  errno: null,
  events: [{ data: 0n, obj: { submitted: 1, index: 0 }, res: 64n, res2: 0n, unordered: true }],
  ring: null,
};

describe('orErrno: a fault that timing decides', () => {
  it('the fault is accepted when the model allows it, and only then', () => {
    const fault = { ret: -1, errno: 'EFAULT' as const, events: [], ring: null };
    expect(diffFamily({ ...inFlight, orErrno: 'EFAULT' }, fault)).toEqual([]);
    expect(diffFamily(inFlight, fault).map((d) => d.field)).toEqual([
      'ret',
      'errno',
      'events.missing',
    ]);
  });
  it('is taken only by a -1 with that errno and no events', () => {
    const m = { ...inFlight, orErrno: 'EFAULT' as const, orRule: 'getevents.events-fault' };
    expect(tookAlternative(m, { ret: -1, errno: 'EFAULT', events: [] })).toBe(true);
    expect(tookAlternative(m, { ret: 0, errno: null, events: [] })).toBe(false);
    expect(tookAlternative(inFlight, { ret: -1, errno: 'EFAULT', events: [] })).toBe(false);
  });
  it('another errno, or the count, is still compared', () => {
    const m = { ...inFlight, orErrno: 'EFAULT' as const };
    expect(
      diffFamily(m, { ret: -1, errno: 'EINVAL', events: [], ring: null }).map((d) => d.field),
    ).toEqual(['ret', 'errno', 'events.missing']);
    expect(diffFamily(m, { ret: 0, errno: null, events: [], ring: null })).toEqual([]);
    expect(diffFamily(m, { ret: 2, errno: null, events: [], ring: null })[0]?.field).toBe('ret');
  });
});

const step = (index: number, op: StepJudgement['op'], field: string): StepJudgement => ({
  index,
  op,
  rule: op === 'setup' ? 'setup.ok' : 'iocb.Q3.poll',
  model: {},
  real: {},
  diffs: field ? [{ field, model: 1, real: 0 }] : [],
});

const verdict = (suite: CaseVerdict['suite'], steps: StepJudgement[]): CaseVerdict => ({
  suite,
  index: 0,
  case: { steps: [] } as unknown as Case,
  status: 'diverge',
  steps,
  disturbed: null,
  attempts: 1,
});

describe('the kind of a family divergence', () => {
  const steps = [step(0, 'setup', 'ring.nr'), step(1, 'submit' as StepJudgement['op'], 'ret')];
  it('is its first differing family step when its setup differs too', () => {
    expect(signature(verdict('family-props', steps))).toBe('submit:iocb.Q3.poll:ret');
  });
  it('is the setup step when no family step differs', () => {
    const only = [steps[0]!, step(1, 'submit' as StepJudgement['op'], '')];
    expect(signature(verdict('family-table', only))).toBe('setup:setup.ok:ring');
  });
  it('outside the family suites, the first differing step as before', () => {
    expect(signature(verdict('stateful', steps))).toBe('setup:setup.ok:ring');
  });
});
