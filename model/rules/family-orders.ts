/**
 * The family's rule orders per profile, for those who list rules rather than
 * decide calls (rule coverage, explain's rule index): each call's order, and
 * one per iocb opcode kind, as model/family's deciders walk them.
 */

import {
  CANCEL_RULES,
  GETEVENTS_RULES,
  GVISOR_CANCEL_ORDER,
  GVISOR_GETEVENTS_ORDER,
  GVISOR_PGETEVENTS_ORDER,
  GVISOR_SUBMIT_ORDER,
  LINUX_CANCEL_ORDER,
  LINUX_GETEVENTS_ORDER,
  LINUX_PGETEVENTS_ORDER,
  LINUX_SUBMIT_ORDER,
  SUBMIT_RULES,
} from './family-call-rules.js';
import { GVISOR_IOCB_ORDER, IOCB_RULES, linuxIocbOrder } from './family-iocb-rules.js';
import type { Rule } from './rule.js';

/** Every family rule by id (metadata: errno, when, source, needs, unobservable). */
export const FAMILY_RULES: Readonly<Record<string, Rule<string, never>>> = {
  ...(SUBMIT_RULES as Record<string, Rule<string, never>>),
  ...(IOCB_RULES as unknown as Record<string, Rule<string, never>>),
  ...(GETEVENTS_RULES as Record<string, Rule<string, never>>),
  ...(CANCEL_RULES as Record<string, Rule<string, never>>),
};

/** The orders a profile's family calls walk: io_submit, each iocb kind, io_getevents, io_pgetevents, io_cancel. */
export function familyRuleOrders(profile: 'linux' | 'gvisor'): readonly (readonly string[])[] {
  return profile === 'gvisor'
    ? [
        GVISOR_SUBMIT_ORDER,
        GVISOR_IOCB_ORDER,
        GVISOR_GETEVENTS_ORDER,
        GVISOR_PGETEVENTS_ORDER,
        GVISOR_CANCEL_ORDER,
      ]
    : [
        LINUX_SUBMIT_ORDER,
        ...(['read', 'write', 'fsync', 'poll', 'noop', 'invalid'] as const).map((op) =>
          linuxIocbOrder(op),
        ),
        LINUX_GETEVENTS_ORDER,
        LINUX_PGETEVENTS_ORDER,
        LINUX_CANCEL_ORDER,
      ];
}
