/** aio-nr before and after the call against the limit it is checked against, as a gauge. */
import type { ExplainJson } from '../../conformance/render/explain.js';
import { h } from './dom.js';
import { grouped, linearPercent } from './scale.js';

const big = (v: number | string | null) => (v === null ? null : BigInt(v));

export function drawGauge(json: ExplainJson): HTMLElement {
  const before = big(json.aioNrBefore);
  const after = big(json.aioNrAfter);
  const limit = big(json.arithmetic.limit);
  if (before === null || after === null || limit === null)
    return h(
      'div',
      { class: 'gauge' },
      h('p', { class: 'empty' }, 'This kernel keeps no aio-nr and checks no aio-max-nr (gVisor).'),
      h('span', { 'data-testid': 'aio-nr-after', hidden: true }, 'none'),
    );
  const charge = BigInt(json.arithmetic.charge);
  const asked = before + charge;
  const charged = after > before;
  const scale = [limit, asked, 1n].reduce((a, b) => (b > a ? b : a));
  const from = linearPercent(before, scale);
  const to = linearPercent(asked, scale);
  return h(
    'div',
    { class: 'gauge' },
    h(
      'div',
      {
        class: 'bar',
        role: 'img',
        'aria-label': `aio-nr ${before} before, ${after} after; the limit is ${limit}`,
      },
      h('div', { class: 'fill', style: `width:${from}%` }),
      h('div', {
        class: `charge${charged ? '' : ' refused'}`,
        style: `left:${from}%;width:${Math.max(to - from, charge > 0n ? 0.4 : 0)}%`,
      }),
      h('div', {
        class: 'tick',
        style: `position:absolute;top:0;bottom:0;width:2px;background:var(--ink);left:calc(${linearPercent(limit, scale)}% - 1px)`,
      }),
    ),
    h(
      'div',
      { class: 'legend' },
      h('span', {}, 'aio-nr before ', h('b', { 'data-testid': 'aio-nr-before' }, grouped(before))),
      h('span', {}, 'after ', h('b', { 'data-testid': 'aio-nr-after' }, grouped(after))),
      h('span', {}, charged ? 'charged ' : 'would charge ', h('b', {}, grouped(charge))),
      h('span', {}, 'limit ', h('b', {}, grouped(limit))),
    ),
    h(
      'p',
      { class: 'note' },
      charged
        ? 'The call succeeded: its charge stays in aio-nr until io_destroy.'
        : asked > limit
          ? 'aio-nr + charge is past the limit: nothing is charged.'
          : 'The call failed before the charge: aio-nr is unchanged.',
    ),
  );
}
