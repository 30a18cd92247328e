/** The family's rule tables as data: every id once, each with its condition in words and its sources. */
import { describe, expect, it } from 'vitest';
import {
  CANCEL_RULES,
  FAMILY_RULE_IDS,
  GETEVENTS_RULES,
  IOCB_RULES,
  LINUX_CANCEL_ORDER,
  LINUX_GETEVENTS_ORDER,
  LINUX_PGETEVENTS_ORDER,
  LINUX_SUBMIT_ORDER,
  linuxIocbOrder,
  type Rule,
  SUBMIT_RULES,
} from '../../model/index.js';

const ALL: Record<string, Rule<string, never>> = {
  ...SUBMIT_RULES,
  ...IOCB_RULES,
  ...GETEVENTS_RULES,
  ...CANCEL_RULES,
} as unknown as Record<string, Rule<string, never>>;

describe('family rule tables', () => {
  it('FAMILY_RULE_IDS lists each rule of the four tables once', () => {
    expect(new Set(FAMILY_RULE_IDS).size).toBe(FAMILY_RULE_IDS.length);
    expect([...FAMILY_RULE_IDS].sort()).toEqual(Object.keys(ALL).sort());
  });
  it('every rule says when in words and cites its source (Linux or gVisor)', () => {
    for (const id of FAMILY_RULE_IDS) {
      const r = ALL[id]!;
      expect(r.id, id).toBe(id);
      expect(r.when.length, id).toBeGreaterThan(10);
      expect(r.source.man.length, id).toBeGreaterThan(0);
      if (id.startsWith('gvisor.')) expect(r.source.gvisor, id).toBeDefined();
      else expect(r.source.linux, id).toBeDefined();
    }
  });
  it('Linux orders: P4 before P5 (§2.2), R1/R2 before R3 (§2.3), sigsetsize before the context (§4), key before the context (§5)', () => {
    const rw = linuxIocbOrder('read');
    expect(rw.indexOf('iocb.P4.no-slot')).toBeLessThan(rw.indexOf('iocb.P5.bad-fd'));
    expect(rw.indexOf('iocb.R2.rwf-unknown')).toBeLessThan(rw.indexOf('iocb.R3.access-mode'));
    expect(LINUX_PGETEVENTS_ORDER.indexOf('pgetevents.sigsetsize')).toBeLessThan(
      LINUX_PGETEVENTS_ORDER.indexOf('getevents.ctx-lookup'),
    );
    expect(LINUX_GETEVENTS_ORDER.indexOf('getevents.timeout-fault')).toBeLessThan(
      LINUX_GETEVENTS_ORDER.indexOf('getevents.ctx-lookup'),
    );
    expect(LINUX_CANCEL_ORDER.indexOf('cancel.key-nonzero')).toBeLessThan(
      LINUX_CANCEL_ORDER.indexOf('cancel.ctx-lookup'),
    );
    expect(LINUX_SUBMIT_ORDER.indexOf('submit.nr-negative')).toBeLessThan(
      LINUX_SUBMIT_ORDER.indexOf('submit.ctx-lookup'),
    );
  });
});
