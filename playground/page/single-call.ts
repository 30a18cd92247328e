/**
 * Single-call mode: explain's inputs on the left, its results on the right,
 * recomputed on every keystroke (the model decides a call in microseconds, so
 * results are drawn in the same frame). The panels keep their place while
 * typing; a value that does not parse leaves the last results, dimmed.
 */
import { fill, h } from './dom.js';
import { drawArithmetic } from './draw-arithmetic.js';
import { drawGauge } from './draw-gauge.js';
import { drawRing } from './draw-ring.js';
import { drawTrail } from './draw-trail.js';
import { explainValues } from './explain-view.js';
import type { inputsForm, Values } from './inputs.js';
import { textSection } from './text-sections.js';

function panel(title: string, body: HTMLElement, cls = ''): HTMLElement {
  return h('section', { class: `panel ${cls}`, 'aria-label': title }, h('h2', {}, title), body);
}

export function singleCallMode(form: ReturnType<typeof inputsForm>) {
  const error = h('p', { class: 'error', role: 'alert', 'data-testid': 'input-error' });
  const verdict = h('pre', { class: 'verdict', 'data-testid': 'verdict', 'aria-live': 'polite' });
  const facts = h('p', { class: 'facts' });
  const arith = h('div');
  const gauge = h('div');
  const trail = h('div');
  const ring = h('div');
  const results = h(
    'div',
    { class: 'results' },
    panel('io_setup', h('div', {}, verdict, facts)),
    h(
      'div',
      { class: 'grid2' },
      panel('arithmetic (u32, u64)', arith),
      panel('aio-nr against aio-max-nr', gauge),
    ),
    panel('rule trail: checked in order, the first that applies decides', trail),
    panel('the ring the kernel maps', ring, 'ringbox'),
  );
  let redrawRing = () => {};

  const update = (values: Values) => {
    const r = explainValues(values);
    form.markInvalid(r.ok ? null : r.flag);
    error.textContent = r.ok ? '' : r.message;
    results.classList.toggle('stale', !r.ok);
    if (!r.ok) return;
    const { json, env } = r.value;
    verdict.textContent = r.value.verdict;
    verdict.classList.toggle('failed', json.errno !== null);
    const f = (label: string, value: string | number, testid: string) =>
      h('span', {}, `${label} `, h('b', { 'data-testid': testid }, value));
    fill(
      facts,
      f('ret', json.ret, 'ret'),
      f('errno', json.errno ?? 'none', 'errno'),
      f('rule', json.rule, 'rule'),
      f('*ctx_idp', json.ctxWritten ? 'written' : 'unchanged', 'ctx-written'),
      f('slot', json.slot ?? 'none', 'slot'),
    );
    fill(arith, drawArithmetic(json, textSection(r.value.text, 'arithmetic')));
    fill(gauge, drawGauge(json));
    fill(trail, drawTrail(json));
    const drawn = drawRing(json, env.pageSize);
    fill(ring, drawn.el);
    redrawRing = drawn.redraw;
    redrawRing();
  };

  return {
    el: results,
    /** Shown under the form: what is wrong with the inputs. */
    error,
    update,
    redraw: () => redrawRing(),
  };
}
