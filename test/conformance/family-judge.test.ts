/**
 * The family judge: what the worker reports (FamilyStepResult) decoded into
 * the model's vocabulary and compared field by field with a prediction;
 * sync events in sequence, unordered ones as a multiset keyed by (obj, data),
 * POLL res under the model's mask. Through the engine's Judge with a stand-in
 * model (the real one is merged separately): the dispatch, the files and
 * contexts the model is told about, and that it follows the real result.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Case } from '../../conformance/cases.js';
import type { ReportedHost } from '../../conformance/engine/coverage.js';
import { Judge } from '../../conformance/engine/judge.js';
import {
  diffEvents,
  diffFamily,
  judgeFamilyStep,
  observed,
} from '../../conformance/family/judge-family.js';
import { FAMILY_MODEL_ADAPTER } from '../../conformance/family/model-adapter.js';
import {
  type FamilyModelPort,
  type FamilyPrediction,
  type PredictedEvent,
  provideFamilyModel,
} from '../../conformance/family/model-port.js';
import type { EventObs } from '../../model/family/steps.js';
import { DEFAULT_ENV } from '../../model/index.js';
import type { FamilyStepResult } from '../../real/family-protocol.js';
import type { CaseReport, SetupResult } from '../../real/protocol.js';

const ev = (index: number, res: bigint, data = BigInt(index)): EventObs => ({
  data,
  obj: { submitted: 1, index },
  res,
  res2: 0n,
});

describe('events compared', () => {
  it('in order where the model orders them', () => {
    const model = [ev(0, 64n), ev(1, 64n)];
    expect(diffEvents(model, [ev(0, 64n), ev(1, 64n)])).toEqual([]);
    const swapped = diffEvents(model, [ev(1, 64n), ev(0, 64n)]);
    expect(swapped.map((d) => d.field)).toEqual(['events[0]', 'events[1]']);
  });

  it('as a multiset keyed by (obj, data) where it does not', () => {
    const model: PredictedEvent[] = [
      ev(0, 64n),
      { ...ev(1, 0n), unordered: true },
      { ...ev(2, 0n), unordered: true },
    ];
    expect(diffEvents(model, [ev(2, 0n), ev(0, 64n), ev(1, 0n)])).toEqual([]);
    expect(diffEvents(model, [ev(2, -5n), ev(0, 64n), ev(1, 0n)])).toEqual([
      { field: 'events[0].res', model: '0', real: '-5' },
    ]);
  });

  it('a POLL res under the mask the model gives', () => {
    const model: PredictedEvent[] = [{ ...ev(0, 0x1n), resMask: 0x19n }];
    expect(diffEvents(model, [ev(0, 0x41n)])).toEqual([]); // RDNORM from an inline wake-up: not compared
    expect(diffEvents(model, [ev(0, 0x10n)])).toEqual([
      { field: 'events[0].res & 0x19', model: '1', real: '16' },
    ]);
  });

  it('names what is missing and what came unpredicted', () => {
    expect(diffEvents([ev(0, 1n), ev(1, 1n)], [ev(0, 1n)])).toEqual([
      { field: 'events.missing', model: ['{data 1, obj iocb 1 of #1, res 1, res2 0}'], real: null },
    ]);
    expect(diffEvents([], [{ ...ev(0, 1n), obj: { raw: 0x1000n } }])).toEqual([
      { field: 'events[0]', model: null, real: '{data 0, obj 0x1000, res 1, res2 0}' },
    ]);
  });
});

describe('a family result decoded and compared', () => {
  it('submit: ret, errno, keys and ring', () => {
    const r: FamilyStepResult = {
      op: 'submit',
      ret: -1,
      errno: 22,
      keys: [0, 0xdead_beef, null],
      ring: { head: 0, tail: 1 },
    };
    const real = observed(r);
    expect(real).toEqual({
      ret: -1,
      errno: 'EINVAL',
      keys: [0, 0xdead_beef, null],
      ring: { head: 0, tail: 1 },
    });
    const model: FamilyPrediction = {
      rule: 'submit.opcode',
      ret: -1,
      errno: 'EINVAL',
      keys: [0, 0, null],
      ring: { head: 0, tail: 0 },
    };
    expect(diffFamily(model, real)).toEqual([
      { field: 'keys[1]', model: 0, real: 0xdead_beef },
      { field: 'ring.tail', model: 0, real: 1 },
    ]);
  });

  it('getevents: events with u64 beyond 2^53 and negative res, usr1', () => {
    const r: FamilyStepResult = {
      op: 'pgetevents',
      ret: 1,
      errno: 0,
      events: [
        { data: '18446744073709551615', obj: { raw: '18446744069414584320' }, res: -14, res2: 0 },
      ],
      ring: null,
      usr1: 1,
    };
    expect(observed(r)).toEqual({
      ret: 1,
      errno: null,
      events: [{ data: 2n ** 64n - 1n, obj: { raw: 0xffff_ffff_0000_0000n }, res: -14n, res2: 0n }],
      ring: null,
      usr1: 1,
    });
    const model: FamilyPrediction = {
      rule: 'r',
      ret: 1,
      errno: null,
      events: [],
      ring: { head: 0, tail: 1 },
      usr1: 0,
    };
    expect(diffFamily(model, observed(r)).map((d) => d.field)).toEqual([
      'events[0]',
      'ring',
      'usr1',
    ]);
  });

  it('fdread: the eventfd count, reap: the events and the count', () => {
    expect(observed({ op: 'fdread', ret: 8, errno: 0, value: '2' })).toEqual({
      ret: 8,
      errno: null,
      value: 2n,
    });
    expect(observed({ op: 'reap', events: [], ring: { head: 3, tail: 3 } })).toEqual({
      ret: 0,
      errno: null,
      events: [],
      ring: { head: 3, tail: 3 },
    });
    expect(
      diffFamily({ rule: 'r', ret: 8, errno: null, value: 1n }, { ret: 8, errno: null, value: 2n }),
    ).toEqual([{ field: 'value', model: 1n, real: 2n }]);
  });

  it('a call the model says would block: shown, never compared', () => {
    const { port } = standIn({
      1: { rule: 'submit.would-block', wouldBlock: 'empty blocking pipe', ret: 1, errno: null },
    });
    const j = judgeFamilyStep(
      port,
      {},
      { op: 'submit', ctx: { setup: 0 }, iocbs: [] },
      1,
      { op: 'submit', ret: -1, errno: 9, keys: [], ring: null },
      () => 0n,
    );
    expect(j.diffs).toEqual([]);
    expect(j.model).toMatchObject({ wouldBlock: 'empty blocking pipe' });
    expect(j.real).toMatchObject({ ret: -1, errno: 'EBADF' });
  });
});

/** A stand-in model answering from a table, recording what the judge told it. */
function standIn(predictions: Record<number, FamilyPrediction>) {
  const log: string[] = [];
  const port: FamilyModelPort = {
    newState: (c) => {
      const live = [...c.proc.contexts.keys()].map((h) => `0x${h.toString(16)}`);
      log.push(
        `new ${c.files.map((f) => f.kind).join(',')} pinned=${c.pinned} host=${c.host?.release} live=${live}`,
      );
      return {};
    },
    contextGone: (_s, handle) => log.push(`gone 0x${handle.toString(16)}`),
    decide: (_s, step, i, resolve) => {
      const ctx = 'ctx' in step ? ` ctx 0x${resolve(step.ctx).toString(16)}` : '';
      log.push(`decide ${i} ${step.op}${ctx}`);
      return predictions[i]!;
    },
    follow: (_s, step, i, _p, real) => log.push(`follow ${i} ${step.op} ret ${real.ret}`),
  };
  return { port, log };
}

const setupResult: SetupResult = {
  op: 'setup',
  ret: 0,
  errno: 0,
  ref: 1,
  handle: '0x7f0000000000',
  ctxAfter: '0x7f0000000000',
  ring: {
    id: 0,
    nr: 127,
    head: 0,
    tail: 0,
    magic: 0xa10a10a1,
    compatFeatures: 1,
    incompatFeatures: 0,
    headerLength: 32,
  },
  mapBytes: 4096,
  aioNrBefore: 0,
  aioNrAfter: 8,
};

describe('the Judge with family steps', () => {
  afterEach(() => provideFamilyModel(FAMILY_MODEL_ADAPTER));

  it('dispatches them to the family model, which follows the real results', () => {
    const { port, log } = standIn({
      1: { rule: 'submit.ok', ret: 1, errno: null, keys: [0] },
      2: { rule: 'getevents.ok', ret: 1, errno: null, events: [ev(0, 64n, 5n)] },
    });
    provideFamilyModel(port);
    const c: Case = {
      files: [{ kind: 'file', mode: 'rw' }],
      pin: true,
      steps: [
        { op: 'setup', nr: 1, ctx: 'zero' },
        {
          op: 'submit',
          ctx: { setup: 0 },
          iocbs: [{ opcode: 0, fd: { file: 0 }, buf: { bytes: 64 }, data: 5n }],
        },
        { op: 'getevents', ctx: { setup: 0 }, minNr: 0, nr: 8 },
        { op: 'destroy', target: { handle: 0 } },
      ],
    };
    const report = {
      status: 'ok',
      results: [
        setupResult,
        { op: 'submit', ret: 1, errno: 0, keys: [0], ring: { head: 0, tail: 1 } },
        {
          op: 'getevents',
          ret: 1,
          errno: 0,
          events: [{ data: 5, obj: { submitted: 1, index: 0 }, res: 32, res2: 0 }],
          ring: { head: 1, tail: 1 },
        },
        {
          op: 'destroy',
          handle: '0x7f0000000000',
          ret: 0,
          errno: 0,
          ref: 1,
          ringGone: true,
          aioNrBefore: 8,
          aioNrAfter: 0,
        },
      ],
    } as unknown as CaseReport;
    const host = { release: '6.18.44' } as ReportedHost;
    const judged = new Judge({ ...DEFAULT_ENV, possibleCpus: 2 }, undefined, host).run(
      c,
      report,
      0,
    )!;
    const steps = judged.attempt.steps;
    expect(steps.map((s) => [s.index, s.op, s.rule])).toEqual([
      [0, 'setup', expect.any(String)],
      [1, 'submit', 'submit.ok'],
      [2, 'getevents', 'getevents.ok'],
      [3, 'destroy', expect.any(String)],
    ]);
    expect(steps[1]!.diffs).toEqual([]);
    expect(steps[2]!.diffs).toEqual([{ field: 'events[0].res', model: '64', real: '32' }]);
    // The state is made before the case's first step: no context of it is live yet.
    expect(log).toEqual([
      'new file pinned=true host=6.18.44 live=',
      'decide 1 submit ctx 0x7f0000000000',
      'follow 1 submit ret 1',
      'decide 2 getevents ctx 0x7f0000000000',
      'follow 2 getevents ret 1',
      'gone 0x7f0000000000',
    ]);
  });
});

describe('predictions that depend on timing', () => {
  it('an inexact count lies in the model’s range; missing events are no difference', () => {
    const model: FamilyPrediction = {
      rule: 'r',
      ret: 2,
      retAtLeast: 1,
      errno: null,
      events: [ev(0, 64n), { ...ev(1, 0n), unordered: true }],
      ring: { head: 2, tail: 2 },
      inexact: true,
    };
    expect(diffFamily(model, { ret: 0, errno: null, events: [], ring: null })).toEqual([
      { field: 'ret', model: '1 to 2', real: 0 },
    ]);
    expect(
      diffFamily(model, { ret: 1, errno: null, events: [ev(0, 64n)], ring: { head: 1, tail: 1 } }),
    ).toEqual([]);
    expect(
      diffFamily(model, {
        ret: 3,
        errno: null,
        events: [ev(0, 64n), ev(1, 0n), ev(2, 0n)],
        ring: { head: 3, tail: 3 },
      }).map((d) => d.field),
    ).toEqual(['ret', 'events[2]']);
  });

  it('a ring tail completions in flight may have moved', () => {
    const model: FamilyPrediction = {
      rule: 'r',
      ret: 1,
      errno: null,
      ring: { head: 0, tail: 1 },
      ringTails: [1, 2],
    };
    expect(diffFamily(model, { ret: 1, errno: null, ring: { head: 0, tail: 2 } })).toEqual([]);
    expect(diffFamily(model, { ret: 1, errno: null, ring: { head: 0, tail: 3 } })).toEqual([
      { field: 'ring.tail', model: 'one of 1, 2', real: 3 },
    ]);
  });
});
