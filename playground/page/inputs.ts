/**
 * The call's inputs, one labelled control per flag of `aiospec explain`
 * (named after it: the control's name is the flag, the URL's parameter too).
 */
import { CTX_KIND_NAMES, ERRNO_NAMES, PROFILE_NAMES } from '../../model/index.js';
import { field, h, select } from './dom.js';
import { nrEventsPresets } from './presets.js';

/** What a control shows when its flag is not given: explain's defaults. */
export const DEFAULTS: Readonly<Record<string, string | boolean>> = {
  'nr-events': '1',
  ctx: 'zero',
  profile: 'linux',
  cpus: '4',
  'page-size': '4096',
  'aio-max-nr': '65536',
  'aio-nr': '0',
  'as-headroom': '',
  seccomp: '',
  'no-aio': false,
  'fail-alloc': '',
};

export type Values = Record<string, string | boolean>;

function text(name: string, placeholder = '') {
  return h('input', {
    type: 'text',
    name,
    inputmode: 'numeric',
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder,
  });
}

/** The form; `onChange` gets every value after any edit. */
export function inputsForm(initial: Values, onChange: (v: Values) => void) {
  const controls = new Map<string, HTMLInputElement | HTMLSelectElement>();
  const nr = text('nr-events');
  const chips = h('div', { class: 'chips', role: 'group', 'aria-label': 'nr_events edge values' });
  const add = (name: string, c: HTMLInputElement | HTMLSelectElement) => {
    c.name = name;
    controls.set(name, c);
    return c;
  };
  const opt = (names: readonly string[]) => names.map((n) => [n, n] as const);
  const form = h(
    'form',
    {
      class: 'inputs',
      'aria-label': 'io_setup inputs',
      onsubmit: (e: Event) => e.preventDefault(),
    },
    field('f-nr-events', 'nr_events (u32, decimal or 0x hex)', add('nr-events', nr), chips),
    field('f-ctx', 'ctx_idp points at', add('ctx', select(opt(CTX_KIND_NAMES), 'zero'))),
    field('f-profile', 'kernel profile', add('profile', select(opt(PROFILE_NAMES), 'linux'))),
    h(
      'div',
      { class: 'row2' },
      field('f-cpus', 'possible CPUs', add('cpus', text('cpus'))),
      field(
        'f-page-size',
        'page size',
        add(
          'page-size',
          select(
            [
              ['4096', '4096'],
              ['16384', '16384'],
              ['65536', '65536'],
            ],
            '4096',
          ),
        ),
      ),
    ),
    h(
      'div',
      { class: 'row2' },
      field('f-aio-max-nr', 'aio-max-nr (u64)', add('aio-max-nr', text('aio-max-nr'))),
      field('f-aio-nr', 'aio-nr before (u64)', add('aio-nr', text('aio-nr'))),
    ),
    field(
      'f-as-headroom',
      'address-space headroom, bytes (RLIMIT_AS)',
      add('as-headroom', text('as-headroom', 'unlimited')),
    ),
    h(
      'div',
      { class: 'row2' },
      field(
        'f-seccomp',
        'seccomp filter answers',
        add('seccomp', select([['', 'none (allow)'], ...opt(ERRNO_NAMES)], '')),
      ),
      field(
        'f-fail-alloc',
        'failing allocation',
        add(
          'fail-alloc',
          select(
            [
              ['', 'none'],
              ['ioctx', 'ioctx'],
              ['ring', 'ring'],
              ['table', 'table'],
            ],
            '',
          ),
        ),
      ),
    ),
  );
  const noAio = add('no-aio', h('input', { type: 'checkbox', id: 'f-no-aio' }));
  form.append(
    h('label', { class: 'check', for: 'f-no-aio' }, noAio, 'kernel built without CONFIG_AIO'),
  );

  const read = (): Values => {
    // An empty control is a flag not given (explain's default), as in the URL.
    const v: Values = {};
    for (const [name, c] of controls) {
      const value = c instanceof HTMLInputElement && c.type === 'checkbox' ? c.checked : c.value;
      if (value !== '' && value !== false) v[name] = value;
    }
    return v;
  };
  const write = (values: Values) => {
    for (const [name, c] of controls) {
      const v = values[name] ?? DEFAULTS[name] ?? '';
      if (c instanceof HTMLInputElement && c.type === 'checkbox') c.checked = v === true;
      else c.value = String(v);
    }
    drawChips();
  };
  const drawChips = () => {
    const cpus = Number(controls.get('cpus')!.value) || 4;
    const page = Number(controls.get('page-size')!.value) || 4096;
    chips.replaceChildren(
      ...nrEventsPresets(cpus, page).map((p) =>
        h(
          'button',
          {
            type: 'button',
            title: p.why,
            'aria-label': `nr_events ${p.value}: ${p.why}`,
            onclick: () => {
              nr.value = p.value;
              onChange(read());
            },
          },
          p.label,
        ),
      ),
    );
  };
  form.addEventListener('input', (e) => {
    if ((e.target as HTMLElement).matches('[name="cpus"], [name="page-size"]')) drawChips();
    onChange(read());
  });
  write(initial);
  return {
    form,
    read,
    write,
    /** Mark the control a message is about (or none). */
    markInvalid(flag: string | null) {
      for (const [name, c] of controls) c.setAttribute('aria-invalid', String(name === flag));
    },
  };
}
