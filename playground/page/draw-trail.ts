/** The rule trail: every rule checked, in order, with its kernel source; the deciding one with its condition and man-page note. */
import type { ExplainJson } from '../../conformance/render/explain.js';
import { PROFILES, type ProfileName } from '../../model/index.js';
import { h } from './dom.js';

/** The rules after the deciding one are listed too, as not reached: the list keeps its length while typing. */
function notReached(json: ExplainJson): HTMLElement[] {
  const all = PROFILES[json.env.profile as ProfileName].setupRules;
  return all
    .slice(json.trail.length)
    .map((id) =>
      h(
        'li',
        { class: 'unreached' },
        h('span', { class: 'mark', 'aria-hidden': 'true' }, '·'),
        h('span', { class: 'id' }, id),
        h('span', { class: 'errno' }, 'not reached'),
      ),
    );
}

export function drawTrail(json: ExplainJson): HTMLElement {
  return h(
    'ol',
    { class: 'trail', 'data-testid': 'trail' },
    ...json.trail.map((r) => {
      const decides = r.verdict === 'decides';
      return h(
        'li',
        { class: decides ? `decides${json.errno === null ? ' ok' : ''}` : '' },
        h('span', { class: 'mark', 'aria-hidden': 'true' }, decides ? '→' : '✓'),
        h('span', { class: 'id' }, r.id),
        h('span', { class: 'errno' }, decides ? (json.errno ?? 'ok') : 'pass'),
        h('span', { class: 'src' }, r.source),
        decides && h('span', { class: 'when' }, r.when),
        h('span', { class: 'man' }, `man: ${r.man}`),
      );
    }),
    ...notReached(json),
  );
}
