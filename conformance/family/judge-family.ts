/**
 * Judging one family step: the model's prediction (model-port.ts) against
 * what the worker reported (real/family-protocol.ts FamilyStepResult), field
 * by field, as Differences a report names (aio-family.md §7, §9):
 * - ret and errno;
 * - aio_key of each submitted entry (`keys[k]`);
 * - events: those the model places in order (sync completions) as a sequence,
 *   those it marks unordered (workqueue, later wake-ups, gVisor) as a multiset
 *   keyed by (obj, data); a POLL event's res is compared under the mask the
 *   model gives (`res & mask`);
 * - ring->head and ring->tail, the eventfd count read, the SIGUSR1 handler
 *   count, the io_cancel result buffer.
 * The model then follows what really happened.
 */
import type { EventObs, FamilyStep } from '../../model/family/steps.js';
import type { FamilyStepResult, WireEvent } from '../../real/family-protocol.js';
import { fromU64 } from '../../real/protocol.js';
import type { StepJudgement } from '../engine/verdict.js';
import { type Difference, errnoLabel } from '../observe.js';
import {
  type CtxResolver,
  type FamilyModelPort,
  type FamilyObserved,
  type FamilyPrediction,
  type FamilyState,
  type PredictedEvent,
  tookAlternative,
} from './model-port.js';

export function eventFromWire(e: WireEvent): EventObs {
  return {
    data: BigInt(e.data),
    obj: 'raw' in e.obj ? { raw: BigInt(e.obj.raw) } : e.obj,
    res: BigInt(e.res),
    res2: BigInt(e.res2),
  };
}

/** The worker's report in the model's vocabulary. */
export function observed(r: FamilyStepResult): FamilyObserved {
  if (r.op === 'reap')
    return { ret: r.events.length, errno: null, events: r.events.map(eventFromWire), ring: r.ring };
  const base = { ret: r.ret, errno: r.ret < 0 ? errnoLabel(r.errno) : null };
  switch (r.op) {
    case 'submit':
      return { ...base, keys: r.keys, ring: r.ring };
    case 'getevents':
    case 'pgetevents':
      return {
        ...base,
        events: r.events.map(eventFromWire),
        ring: r.ring,
        ...(r.usr1 === undefined ? {} : { usr1: r.usr1 }),
      };
    case 'cancel':
      return {
        ...base,
        ring: r.ring,
        ...(r.resultUntouched === undefined ? {} : { resultUntouched: r.resultUntouched }),
      };
    case 'fdwrite':
    case 'fdread':
      return { ...base, ...(r.value === undefined ? {} : { value: fromU64(r.value)! }) };
  }
}

/** An event as a report shows it (bigints as decimal text: reports are JSON). */
export function showEvent(e: EventObs): string {
  const obj =
    'raw' in e.obj ? `0x${e.obj.raw.toString(16)}` : `iocb ${e.obj.index} of #${e.obj.submitted}`;
  return `{data ${e.data}, obj ${obj}, res ${e.res}, res2 ${e.res2}}`;
}

const key = (e: EventObs) =>
  `${'raw' in e.obj ? `raw:${e.obj.raw}` : `${e.obj.submitted}:${e.obj.index}`}/${e.data}`;

/** The differences between one predicted event and the real one in its place (same obj and data). */
function eventFields(m: PredictedEvent, r: EventObs, at: string): Difference[] {
  const out: Difference[] = [];
  const mask = m.resMask;
  const mres = mask === undefined ? m.res : m.res & mask;
  const rres = mask === undefined ? r.res : r.res & mask;
  if (mres !== rres)
    out.push({
      field: mask === undefined ? `${at}.res` : `${at}.res & 0x${mask.toString(16)}`,
      model: String(mres),
      real: String(rres),
    });
  if (m.res2 !== r.res2)
    out.push({ field: `${at}.res2`, model: String(m.res2), real: String(r.res2) });
  return out;
}

/**
 * Events compared: each real event, in order, is the next one the model has
 * in sequence when it has the same (obj, data), else one of the unordered
 * ones with that key; anything else is a difference at its index, and what
 * the model predicted that never came is one too (`events.missing`).
 */
export function diffEvents(
  predicted: readonly PredictedEvent[],
  real: readonly EventObs[],
  /** Events the model lists may be missing (a count that depends on timing). */
  mayMiss = false,
): Difference[] {
  const ordered = predicted.filter((e) => !e.unordered);
  const unordered = predicted.filter((e) => e.unordered);
  const out: Difference[] = [];
  let next = 0;
  real.forEach((r, k) => {
    const at = `events[${k}]`;
    const inSequence = ordered[next];
    if (inSequence && key(inSequence) === key(r)) {
      out.push(...eventFields(inSequence, r, at));
      next++;
      return;
    }
    const u = unordered.findIndex((e) => key(e) === key(r));
    if (u >= 0) {
      out.push(...eventFields(unordered[u]!, r, at));
      unordered.splice(u, 1);
      return;
    }
    out.push({ field: at, model: inSequence ? showEvent(inSequence) : null, real: showEvent(r) });
    if (inSequence) next++;
  });
  const missing = [...ordered.slice(next), ...unordered];
  if (missing.length > 0 && !mayMiss)
    out.push({ field: 'events.missing', model: missing.map(showEvent), real: null });
  return out;
}

/** Every field the model predicts, compared with the real one. */
export function diffFamily(m: FamilyPrediction, r: FamilyObserved): Difference[] {
  // The alternative the model allows (a fault that timing decides): nothing else to compare.
  if (tookAlternative(m, r)) return [];
  const out: Difference[] = [];
  const inexact = m.inexact === true && m.errno === null && r.errno === null;
  // A count that depends on timing lies in the model's range.
  const least = m.retAtLeast ?? 0;
  if (inexact ? r.ret > m.ret || r.ret < least : m.ret !== r.ret)
    out.push({
      field: 'ret',
      model: inexact ? (least === m.ret ? m.ret : `${least} to ${m.ret}`) : m.ret,
      real: r.ret,
    });
  if (m.errno !== r.errno) out.push({ field: 'errno', model: m.errno, real: r.errno });
  if (m.keys && r.keys)
    for (let k = 0; k < Math.max(m.keys.length, r.keys.length); k++) {
      const mk = m.keys[k] ?? null;
      const rk = r.keys[k] ?? null;
      if (mk !== rk) out.push({ field: `keys[${k}]`, model: mk, real: rk });
    }
  if (m.events) out.push(...diffEvents(m.events, r.events ?? [], inexact));
  if (m.ring !== undefined && r.ring !== undefined && !inexact) {
    if (m.ring === null || r.ring === null) {
      if (m.ring !== r.ring) out.push({ field: 'ring', model: m.ring, real: r.ring });
    } else {
      if (m.ring.head !== r.ring.head)
        out.push({ field: 'ring.head', model: m.ring.head, real: r.ring.head });
      const tails = m.ringTails ?? [m.ring.tail];
      if (!tails.includes(r.ring.tail))
        out.push({
          field: 'ring.tail',
          model: tails.length === 1 ? m.ring.tail : `one of ${tails.join(', ')}`,
          real: r.ring.tail,
        });
    }
  }
  if ((m.value !== undefined || r.value !== undefined) && m.value !== r.value)
    out.push({ field: 'value', model: m.value ?? null, real: r.value ?? null });
  if (m.usr1 !== undefined && m.usr1 !== r.usr1)
    out.push({ field: 'usr1', model: m.usr1, real: r.usr1 ?? null });
  if (m.resultUntouched !== undefined && m.resultUntouched !== r.resultUntouched)
    out.push({
      field: 'resultUntouched',
      model: m.resultUntouched,
      real: r.resultUntouched ?? null,
    });
  return out;
}

/** What a StepJudgement shows of a prediction or an observation (JSON-safe: bigints as text). */
function shown(o: FamilyPrediction | FamilyObserved): Record<string, unknown> {
  const { events, value, ...rest } = o as FamilyPrediction;
  return {
    ...rest,
    ...(events === undefined ? {} : { events: events.map(showEvent) }),
    ...(value === undefined ? {} : { value: String(value) }),
  };
}

/** Judge family step `index` and have the model follow the real result. */
export function judgeFamilyStep(
  port: FamilyModelPort,
  state: FamilyState,
  step: FamilyStep,
  index: number,
  result: FamilyStepResult,
  resolve: CtxResolver,
): StepJudgement {
  const prediction = port.decide(state, step, index, resolve);
  const real = observed(result);
  // A call the model says would block was never meant to run: nothing to compare.
  const diffs = prediction.wouldBlock === undefined ? diffFamily(prediction, real) : [];
  port.follow(state, step, index, prediction, real, resolve);
  return {
    index,
    op: step.op,
    rule: tookAlternative(prediction, real)
      ? (prediction.orRule ?? prediction.rule)
      : prediction.rule,
    ...(prediction.alsoRules?.length ? { alsoRules: prediction.alsoRules } : {}),
    model: shown(prediction),
    real: shown(real),
    diffs,
  };
}
