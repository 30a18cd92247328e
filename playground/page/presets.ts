/**
 * The nr_events values worth one click: where the kernel's arithmetic changes
 * behaviour (the props suite's edges). Pure: depends only on the machine.
 */

import { pageEdges } from '../../conformance/gen/page-edges.js';
import { INTERNAL_LIMIT_NR } from '../../model/index.js';

export interface Preset {
  readonly label: string;
  /** As written in the nr_events field (and so in the link). */
  readonly value: string;
  readonly why: string;
}

export function nrEventsPresets(cpus: number, pageSize: number): Preset[] {
  const [fits, grows] = pageEdges(pageSize, [1]);
  return [
    { label: '0', value: '0', why: 'EINVAL on Linux; gVisor accepts it' },
    { label: '1', value: '1', why: 'the smallest request: still 4×CPUs events' },
    { label: '4×CPUs', value: String(4 * cpus), why: 'the floor every ring is sized from' },
    { label: `${fits}`, value: String(fits), why: 'the most events one page holds' },
    { label: `${grows}`, value: String(grows), why: 'one more: the ring takes a second page' },
    {
      label: '4,194,304',
      value: String(INTERNAL_LIMIT_NR),
      why: 'the internal limit: ne = 0x800000',
    },
    { label: '+1', value: String(INTERNAL_LIMIT_NR + 1), why: 'past the internal limit: EINVAL' },
    { label: '0x80000000', value: '0x80000000', why: 'ne wraps to 0 in u32 arithmetic' },
    { label: '0xFFFFFFFF', value: '0xffffffff', why: '-1 as a u32' },
  ].filter((p, i, all) => all.findIndex((q) => q.value === p.value) === i);
}
