/**
 * The u32 arithmetic drawn: ne = 2 × max(nr_events, 4×CPUs) on a log scale up
 * to 2^33, the 2^32 boundary where u32 arithmetic wraps, and the internal limit.
 * A wrapped ne is drawn twice: where 2 × max would be, and where it lands.
 */
import type { ExplainJson } from '../../conformance/render/explain.js';
import { INTERNAL_LIMIT_NE } from '../../model/index.js';
import { h } from './dom.js';
import { grouped, log2Percent } from './scale.js';

const BITS = 33;

function tick(v: number, label: string) {
  return h('div', { class: 'tick', style: `left:${log2Percent(v, BITS)}%` }, h('span', {}, label));
}

function marker(v: number, cls: string, label: string) {
  const left = `left:${log2Percent(v, BITS)}%`;
  return [
    h('div', { class: `dot ${cls}`, style: left, title: label }),
    h('div', { class: 'marker', style: left }, label),
  ];
}

export function drawArithmetic(json: ExplainJson, lines: readonly string[]): HTMLElement {
  const { nrEvents } = json.call;
  const { floor, ne, neWrapped } = json.arithmetic;
  const doubled = 2 * Math.max(nrEvents, floor);
  const line = h(
    'div',
    {
      class: 'numline',
      role: 'img',
      'aria-label': neWrapped
        ? `2 × ${doubled / 2} = ${doubled} is past 2^32 and wraps to ${ne}`
        : `ne = ${ne}`,
    },
    h('div', { class: 'axis' }),
    h('div', {
      class: 'over',
      style: `left:${log2Percent(2 ** 32, BITS)}%;width:${100 - log2Percent(2 ** 32, BITS)}%`,
    }),
    tick(INTERNAL_LIMIT_NE, '0x800000 limit'),
    tick(2 ** 32, '2^32'),
    ...(neWrapped ? marker(doubled, 'raw', `2×max ${grouped(doubled)}`) : []),
    ...marker(ne, 'kept', `ne ${grouped(ne)}`),
  );
  return h(
    'div',
    { class: 'arith' },
    ...lines.map((l) => h('div', { class: 'line' }, l)),
    line,
    h(
      'div',
      { class: 'note' },
      'log scale, 0 to 2^33; ',
      neWrapped
        ? h(
            'span',
            { class: 'wrapnote' },
            `2 × ${grouped(doubled / 2)} does not fit in 32 bits: the kernel keeps ${grouped(doubled)} − 2^32 = ${grouped(ne)}`,
          )
        : 'ne fits in 32 bits',
    ),
  );
}
