/**
 * Sequence mode: a list of steps (io_setup, io_destroy, ring->id overwrite),
 * each followed by what the process holds: its context table, live rings and
 * aio-nr. The environment is the form's; the steps live in the URL as the
 * `case` parameter, the JSON `aiospec run --case` takes.
 */
import {
  type Case,
  caseToString,
  type DestroyTarget,
  isContextStep,
  parseCase,
  type ContextStep as Step,
} from '../../conformance/cases.js';
import { explainInput } from '../../conformance/cli/explain-input.js';
import { CTX_KIND_NAMES, type Environment } from '../../model/index.js';
import { fill, h } from './dom.js';
import type { Values } from './inputs.js';
import { grouped } from './scale.js';
import { runSequence, type Snapshot, type StepRun } from './sequence-run.js';

export const EXAMPLE_STEPS: readonly Step[] = [
  { op: 'setup', nr: 1, ctx: 'zero' },
  { op: 'setup', nr: 1, ctx: 'zero' },
  { op: 'setup', nr: 1, ctx: 'zero' },
  { op: 'setup', nr: 1, ctx: 'zero' },
  { op: 'setup', nr: 1, ctx: 'zero' },
  { op: 'destroy', target: { handle: 1 } },
  { op: 'setup', nr: 1, ctx: 'zero' },
  { op: 'clobber', setup: 0, id: 3 },
  { op: 'destroy', target: { handle: 0 } },
  { op: 'destroy', target: { handle: 1 } },
];

export function stepsFromQuery(search: string): Step[] | null {
  const text = new URLSearchParams(search).get('case');
  if (text === null) return null;
  try {
    // The playground follows io_setup/io_destroy sequences: a case with family steps is not one.
    const steps = parseCase(JSON.parse(text)).steps;
    return steps.every(isContextStep) ? [...steps] : null;
  } catch {
    return null;
  }
}

/** The sequence's environment: the form's, without its call (nr_events is not used here). */
function envOf(values: Values): Environment | string {
  try {
    return explainInput({ ...values, 'nr-events': '1' }).env;
  } catch (e) {
    return (e as Error).message;
  }
}

function targetKey(t: DestroyTarget): string {
  if ('handle' in t) return `handle:${t.handle}`;
  if ('address' in t) return `address:${t.address}`;
  if ('unmapped' in t) return 'unmapped';
  return `bogus:${t.bogus.u32}`;
}

function targetOf(key: string): DestroyTarget {
  const [kind, v = '0'] = key.split(':');
  if (kind === 'handle') return { handle: Number(v) };
  if (kind === 'address') return { address: v };
  if (kind === 'bogus') return { bogus: { u32: Number(v), offset: 0 } };
  return { unmapped: true };
}

function drawSnapshot(s: Snapshot, i: number): HTMLElement {
  const slots = s.slots.map((step, slot) =>
    h(
      'div',
      {
        class: `slot${step === null ? '' : ' used'}`,
        title: step === null ? `slot ${slot}: free` : `slot ${slot}: ctx${step}`,
      },
      step === null ? slot : `c${step}`,
    ),
  );
  return h(
    'div',
    { class: 'snap' },
    h(
      'div',
      { class: 'facts' },
      h(
        'span',
        {},
        'table ',
        h('b', { 'data-testid': `step-${i}-table-size` }, s.tableSize),
        ' slots',
      ),
      h(
        'span',
        {},
        'aio-nr ',
        h('b', { 'data-testid': `step-${i}-aio-nr` }, s.aioNr === null ? 'none' : grouped(s.aioNr)),
      ),
      h('span', {}, 'live rings ', h('b', {}, s.rings.length)),
    ),
    h(
      'div',
      {
        class: 'table-slots',
        role: 'img',
        'data-testid': `step-${i}-slots`,
        'data-slots': s.slots.map((x) => (x === null ? '-' : x)).join(','),
        'aria-label': `context table of ${s.tableSize} slots`,
      },
      ...slots,
    ),
    h(
      'div',
      { class: 'rings' },
      ...s.rings.map((r) =>
        h(
          'span',
          {
            class: `ringchip${r.id !== r.slot ? ' clobbered' : ''}`,
            title: `ring of ctx${r.step} at 0x${r.handle.toString(16)}`,
          },
          `ctx${r.step}: slot ${r.slot}, id ${r.id}, ${r.pages}p, nr ${r.nr}`,
        ),
      ),
    ),
  );
}

export function sequenceMode(onSteps: (steps: readonly Step[]) => void) {
  let steps: Step[] = [];
  let values: Values = {};
  const list = h('ol', { class: 'steps', 'aria-label': 'steps' });
  const error = h('p', { class: 'error', role: 'alert' });
  const caseJson = h('pre', { class: 'json', 'data-testid': 'case-json' });

  const set = (next: Step[]) => {
    steps = next;
    render();
    onSteps(steps);
  };
  const edit = (i: number, s: Step) => set(steps.map((x, j) => (j === i ? s : x)));
  const setups = (before: number) =>
    steps.slice(0, before).flatMap((s, j) => (s.op === 'setup' ? [j] : []));

  const controls = (s: Step, i: number): HTMLElement[] => {
    const label = (text: string, c: HTMLElement) => {
      c.id = `s${i}-${text.replace(/\W+/g, '-')}`;
      return [h('label', { for: c.id, class: 'n' }, text), c];
    };
    if (s.op === 'setup') {
      const nr = h('input', { type: 'text', inputmode: 'numeric', value: s.nr, size: 10 });
      nr.addEventListener('change', () => {
        const n = Number(nr.value);
        if (Number.isInteger(n) && n >= 0 && n <= 0xffff_ffff) edit(i, { ...s, nr: n });
        else nr.setAttribute('aria-invalid', 'true');
      });
      const ctx = h('select', {}, ...CTX_KIND_NAMES.map((k) => h('option', { value: k }, k)));
      ctx.value = s.ctx;
      ctx.addEventListener('change', () => edit(i, { ...s, ctx: ctx.value as typeof s.ctx }));
      return [...label('nr_events', nr), ...label('ctx', ctx)];
    }
    if (s.op === 'destroy') {
      const t = h(
        'select',
        {},
        ...setups(i).map((j) => h('option', { value: `handle:${j}` }, `ctx${j} (from step ${j})`)),
        h('option', { value: 'address:0' }, '0 (NULL)'),
        h('option', { value: 'address:0xffffffffffffffff' }, '0xffffffffffffffff'),
        h('option', { value: 'unmapped' }, 'an unmapped address'),
        h('option', { value: 'bogus:0' }, 'a page of ours holding 0'),
      );
      t.value = targetKey(s.target);
      t.addEventListener('change', () => edit(i, { op: 'destroy', target: targetOf(t.value) }));
      return label('handle', t);
    }
    const which = h('select', {}, ...setups(i).map((j) => h('option', { value: j }, `ctx${j}`)));
    which.value = String(s.setup);
    which.addEventListener('change', () => edit(i, { ...s, setup: Number(which.value) }));
    const id = h('input', { type: 'text', inputmode: 'numeric', value: s.id, size: 10 });
    id.addEventListener('change', () => {
      const n = Number(id.value);
      if (Number.isInteger(n) && n >= 0 && n <= 0xffff_ffff) edit(i, { ...s, id: n });
    });
    return [...label('ring of', which), ...label('id =', id)];
  };

  const opName = { setup: 'io_setup', destroy: 'io_destroy', clobber: 'ring->id =' } as const;

  const render = () => {
    const env = envOf(values);
    error.textContent = typeof env === 'string' ? env : '';
    const runs: StepRun[] = typeof env === 'string' ? [] : runSequence(env, steps);
    fill(
      list,
      ...steps.map((s, i) => {
        const run = runs[i];
        const remove = h(
          'button',
          {
            type: 'button',
            'aria-label': `remove step ${i}`,
            onclick: () => set(steps.filter((_, j) => j !== i)),
          },
          '✕',
        );
        return h(
          'li',
          {},
          h(
            'div',
            { class: 'stepbar' },
            h('span', { class: 'n' }, `${i}.`),
            h('b', {}, opName[s.op]),
            ...controls(s, i),
            remove,
          ),
          run &&
            h(
              'div',
              { class: `stepres${run.errno ? ' failed' : ''}`, 'data-testid': `step-${i}-result` },
              run.line,
            ),
          run && drawSnapshot(run.after, i),
        );
      }),
    );
    const c: Case = { steps };
    caseJson.textContent = steps.length === 0 ? '' : `aiospec run --case '${caseToString(c)}'`;
  };

  const add = (s: () => Step | null, text: string) =>
    h(
      'button',
      {
        type: 'button',
        onclick: () => {
          const x = s();
          if (x) set([...steps, x]);
        },
      },
      text,
    );
  const lastSetup = () => setups(steps.length).at(-1);
  const el = h(
    'section',
    { class: 'panel', 'aria-label': 'sequence' },
    h('h2', {}, 'a sequence of calls in one process'),
    h(
      'div',
      { class: 'chips', role: 'group', 'aria-label': 'add a step' },
      add(() => ({ op: 'setup', nr: 1, ctx: 'zero' }), '+ io_setup'),
      add(
        () => ({
          op: 'destroy',
          target: lastSetup() === undefined ? { address: '0' } : { handle: lastSetup()! },
        }),
        '+ io_destroy',
      ),
      add(
        () => (lastSetup() === undefined ? null : { op: 'clobber', setup: lastSetup()!, id: 0 }),
        '+ overwrite ring->id',
      ),
      h(
        'button',
        { type: 'button', onclick: () => set([...EXAMPLE_STEPS]) },
        'example: the table grows',
      ),
      h('button', { type: 'button', onclick: () => set([]) }, 'clear'),
    ),
    error,
    list,
    h('p', { class: 'note' }, 'The same steps against a real kernel:'),
    caseJson,
  );
  return {
    el,
    setSteps(next: readonly Step[]) {
      steps = [...next];
      render();
    },
    setValues(v: Values) {
      values = v;
      render();
    },
    get steps(): readonly Step[] {
      return steps;
    },
  };
}
