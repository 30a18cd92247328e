/**
 * The playground page: four modes over the project's own model and renderers
 * (single call, sequence, replay, tour), its state in the URL, a light and a
 * dark scheme. Everything runs here; nothing is fetched.
 */
import type { ContextStep as Step } from '../../conformance/cases.js';
import { caseToString } from '../../conformance/cases.js';
import { fill, h } from './dom.js';
import { inputsForm, type Values } from './inputs.js';
import { replayMode } from './replay-view.js';
import { EXAMPLE_STEPS, sequenceMode, stepsFromQuery } from './sequence.js';
import { singleCallMode } from './single-call.js';
import { tourMode } from './tour.js';
import { MODES, type Mode, modeFrom, searchFor, valuesFrom } from './url-state.js';

const TITLES: Record<Mode, string> = {
  single: 'Single call',
  sequence: 'Sequence',
  replay: 'Replay a trace',
  tour: 'Tour: kernel vs man page',
};

const main = document.getElementById('main')!;
const nav = document.getElementById('modes')!;
let mode = modeFrom(location.search);
let values: Values = valuesFrom(location.search);
let steps: readonly Step[] = stepsFromQuery(location.search) ?? EXAMPLE_STEPS;

const form = inputsForm(values, (v) => {
  values = v;
  refresh();
});
// The form fills in explain's defaults for what the URL leaves out (nr_events 1 when it has none).
values = form.read();
const single = singleCallMode(form);
const sequence = sequenceMode((s) => {
  steps = s;
  writeUrl();
});
const replay = replayMode();
const tour = tourMode();
const inputsPanel = h(
  'section',
  { class: 'panel', 'aria-label': 'inputs' },
  h('h2', {}, 'io_setup(nr_events, ctx_idp) and its machine'),
  form.form,
  single.error,
);
const right = h('div', { class: 'right' });
const layout = h('div', { class: 'layout' }, inputsPanel, right);

function writeUrl(): void {
  const extra = mode === 'sequence' ? { case: caseToString({ steps }) } : {};
  const search = searchFor(mode, values, extra);
  if (search !== location.search)
    history.replaceState(null, '', search === '' ? location.pathname : search);
}

function refresh(): void {
  if (mode === 'single') single.update(values);
  if (mode === 'sequence') sequence.setValues(values);
  writeUrl();
}

function show(next: Mode): void {
  mode = next;
  for (const b of nav.querySelectorAll('button'))
    b.setAttribute('aria-current', b.dataset.mode === mode ? 'page' : 'false');
  document.body.dataset.mode = mode;
  if (mode === 'single' || mode === 'sequence') {
    fill(right, mode === 'single' ? single.el : sequence.el);
    fill(main, layout);
    if (mode === 'sequence') sequence.setSteps(steps);
  } else fill(main, mode === 'replay' ? replay.el : tour);
  refresh();
}

for (const m of MODES)
  nav.append(h('button', { type: 'button', 'data-mode': m, onclick: () => show(m) }, TITLES[m]));

// The scheme: the system's unless picked here; remembered for the next visit.
const theme = document.getElementById('theme')!;
const saved = (() => {
  try {
    return localStorage.getItem('aiospec-theme');
  } catch {
    return null; // storage refused (a file:// page in some browsers): keep the system's
  }
})();
if (saved === 'light' || saved === 'dark') document.documentElement.dataset.theme = saved;
theme.addEventListener('click', () => {
  const dark =
    document.documentElement.dataset.theme === 'dark' ||
    (document.documentElement.dataset.theme === undefined &&
      matchMedia('(prefers-color-scheme: dark)').matches);
  const next = dark ? 'light' : 'dark';
  document.documentElement.dataset.theme = next;
  try {
    localStorage.setItem('aiospec-theme', next);
  } catch {}
  single.redraw(); // the ring is drawn on a canvas, with the scheme's colours
});

show(mode);
