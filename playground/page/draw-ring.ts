/** The ring as a picture: its pages, cell by cell, and the header field by field. */
import type { ExplainJson, RingJson } from '../../conformance/render/explain.js';
import { h } from './dom.js';
import {
  type Cell,
  cellOf,
  cellsPerPage,
  eventsOn,
  pagesShown,
  type RingShape,
} from './ring-cells.js';
import { grouped } from './scale.js';

const COLOURS: Record<Cell, string> = {
  header: '--hdr',
  event: '--ev',
  rounding: '--ev-extra',
  zero: '--free',
};

/** Cells are laid out two columns per row (128 cells: 16 × 8; 512: 32 × 16; 2048: 64 × 32). */
function drawPage(canvas: HTMLCanvasElement, shape: RingShape, page: number): void {
  const n = cellsPerPage(shape.pageSize);
  const cols = Math.round(Math.sqrt(n * 2));
  const rows = n / cols;
  const cell = canvas.width / cols;
  const gap = cell >= 6 ? 1 : 0;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const style = getComputedStyle(document.documentElement);
  const colour = (c: Cell) => style.getPropertyValue(COLOURS[c]).trim() || '#888';
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  for (let i = 0; i < n; i++) {
    ctx.fillStyle = colour(cellOf(shape, page, i));
    const x = (i % cols) * cell;
    const y = Math.floor(i / cols) * (canvas.height / rows);
    ctx.fillRect(x, y, cell - gap, canvas.height / rows - gap);
  }
}

function pageLabel(shape: RingShape, page: number): string {
  const ev = eventsOn(shape, page);
  const events = ev ? `events ${grouped(ev[0])}..${grouped(ev[1])}` : 'zeros';
  return page === 0 ? `page 0: header, ${events}` : `page ${page}: ${events}`;
}

const HEADER_ROWS: readonly [keyof RingJson, string, (r: RingJson) => string, string][] = [
  ['id', 'id', (r) => String(r.id), 'context table slot'],
  ['nr', 'nr', (r) => String(r.nr), 'io_event slots'],
  ['head', 'head', (r) => String(r.head), ''],
  ['tail', 'tail', (r) => String(r.tail), ''],
  ['magic', 'magic', (r) => `0x${r.magic.toString(16)}`, ''],
  ['compatFeatures', 'compat_features', (r) => String(r.compatFeatures), ''],
  ['incompatFeatures', 'incompat_features', (r) => String(r.incompatFeatures), ''],
  ['headerLength', 'header_length', (r) => String(r.headerLength), 'sizeof(struct aio_ring)'],
];

function headerTable(ring: RingJson): HTMLElement {
  return h(
    'table',
    { class: 'hdr' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, 'offset'),
        h('th', {}, 'field'),
        h('th', {}, 'value'),
        h('th', {}, ''),
      ),
    ),
    h(
      'tbody',
      {},
      ...HEADER_ROWS.map(([key, name, show, note], i) =>
        h(
          'tr',
          {},
          h('td', { class: 'off' }, `+0x${(i * 4).toString(16).padStart(2, '0')}`),
          h('td', {}, name),
          h('td', { class: 'v', 'data-testid': `ring-${key}` }, show(ring)),
          h(
            'td',
            { class: 'note' },
            key === 'magic'
              ? ring.magic === 0xa10a10a1
                ? 'AIO_RING_MAGIC'
                : 'not AIO_RING_MAGIC'
              : note,
          ),
        ),
      ),
    ),
  );
}

export function drawRing(
  json: ExplainJson,
  pageSize: number,
): { el: HTMLElement; redraw: () => void } {
  const ring = json.ring;
  if (!ring)
    return {
      el: h(
        'p',
        { class: 'empty', 'data-testid': 'ring-none' },
        'No ring: the call mapped nothing (or unmapped it again).',
      ),
      redraw: () => {},
    };
  const linux = ring.nr > 0;
  const shape: RingShape = {
    pages: ring.pages,
    nr: ring.nr,
    sized: linux ? json.arithmetic.ne + 2 : 0,
    pageSize,
  };
  const canvases: [HTMLCanvasElement, number][] = [];
  const pages = pagesShown(ring.pages).map((p) => {
    if (p === null) return h('div', { class: 'page gap', 'aria-hidden': 'true' }, '…');
    const label = pageLabel(shape, p);
    const canvas = h('canvas', { width: 224, height: 112, role: 'img', 'aria-label': label });
    canvases.push([canvas, p]);
    return h('div', { class: 'page' }, canvas, h('span', {}, label));
  });
  const redraw = () => {
    for (const [c, p] of canvases) drawPage(c, shape, p);
  };
  const sw = (v: string, text: string) =>
    h('span', {}, h('span', { class: 'sw', style: `background:var(${v})` }), text);
  const el = h(
    'div',
    { class: 'ring' },
    h(
      'p',
      { class: 'facts' },
      h('span', {}, 'pages ', h('b', { 'data-testid': 'ring-pages' }, ring.pages)),
      h('span', {}, 'bytes ', h('b', { 'data-testid': 'ring-bytes' }, ring.bytes)),
      h('span', {}, 'ring->nr ', h('b', {}, grouped(ring.nr))),
      h('span', {}, 'nr_events asked ', h('b', {}, grouped(json.call.nrEvents))),
    ),
    h('div', { class: 'pages' }, ...pages),
    h(
      'div',
      { class: 'swatches' },
      sw('--hdr', 'header (32 bytes)'),
      linux && sw('--ev', `events the kernel sized for (ne + 2 = ${grouped(shape.sized)})`),
      linux && sw('--ev-extra', 'events added by rounding up to whole pages'),
      !linux && sw('--free', 'zeros (gVisor maps one read-only page)'),
    ),
    headerTable(ring),
  );
  return { el, redraw };
}
