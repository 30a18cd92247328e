/**
 * Replay mode: drop (or choose) a trace or a JSON report; step through its
 * cases with the kernel's result beside the model's, each difference marked.
 */
import { caseToString } from '../../conformance/cases.js';
import type { CaseVerdict, StepJudgement } from '../../conformance/engine/verdict.js';
import type { JudgedTrace } from '../../conformance/trace/judge-trace.js';
import { PROFILE_NAMES, type ProfileName } from '../../model/index.js';
import { fill, h } from './dom.js';
import {
  type Counts,
  classify,
  compareRows,
  countVerdicts,
  firstOfEachKind,
  judge,
  type Loaded,
  type ReportDivergence,
  type ReportFile,
} from './replay-data.js';

/** A list longer than this shows its first entries: the rest are reached with the filter. */
const LIST_MAX = 400;

function countsLine(c: Counts): HTMLElement {
  const n = (label: string, key: keyof Counts) =>
    h('span', {}, `${label} `, h('b', { 'data-testid': `count-${key}` }, c[key]));
  return h(
    'p',
    { class: 'counts' },
    n('cases', 'cases'),
    n('passed', 'passed'),
    n('diverged', 'diverged'),
    n('inconclusive', 'inconclusive'),
    n('skipped', 'skipped'),
  );
}

function cmpTable(rows: ReturnType<typeof compareRows>, caption: string): HTMLElement {
  return h(
    'table',
    { class: 'cmp' },
    h('caption', { class: 'note', style: 'text-align:left' }, caption),
    h('thead', {}, h('tr', {}, h('th', {}, 'field'), h('th', {}, 'model'), h('th', {}, 'kernel'))),
    h(
      'tbody',
      {},
      ...rows.map((r) =>
        h(
          'tr',
          { class: r.differs ? 'diff' : '', 'data-differs': String(r.differs) },
          h('td', {}, r.differs ? `≠ ${r.field}` : r.field),
          h('td', {}, r.model),
          h('td', {}, r.real),
        ),
      ),
    ),
  );
}

function stepTable(s: StepJudgement): HTMLElement {
  const names: Readonly<Record<string, string>> = {
    setup: 'io_setup',
    destroy: 'io_destroy',
    clobber: 'ring->id overwrite',
  };
  const op = names[s.op] ?? s.op;
  return cmpTable(
    compareRows(s.model, s.real, s.diffs),
    `step ${s.index}: ${op}${s.rule ? ` (rule ${s.rule})` : ''}`,
  );
}

function caseDetail(v: CaseVerdict): HTMLElement {
  return h(
    'div',
    { 'data-testid': 'case-detail' },
    h(
      'p',
      {},
      h('span', { class: `st st-${v.status}`, 'data-testid': 'case-status' }, v.status),
      ` ${v.suite} #${v.index}${v.case.name ? `: ${v.case.name}` : ''}`,
    ),
    v.reason && h('p', { class: 'note' }, v.reason),
    ...v.steps.map(stepTable),
    h('pre', { class: 'json' }, caseToString(v.shown ?? v.case)),
  );
}

function traceView(judged: JudgedTrace, profileSelect: HTMLElement): HTMLElement {
  const verdicts = judged.verdicts;
  const counts = countVerdicts(verdicts);
  const filter = h(
    'select',
    { id: 'replay-filter' },
    h('option', { value: 'kinds' }, 'one divergence of each kind'),
    ...['all', 'diverge', 'inconclusive', 'skip', 'pass'].map((s) =>
      h('option', { value: s }, s === 'all' ? 'every case' : s),
    ),
  );
  filter.value = counts.diverged > 0 ? 'kinds' : 'all';
  const kinds = firstOfEachKind(verdicts);
  const list = h('ol', { class: 'cases', 'aria-label': 'cases' });
  const detail = h('div');
  let shown: CaseVerdict[] = [];
  let at = 0;
  const select = (i: number) => {
    at = Math.max(0, Math.min(i, shown.length - 1));
    for (const [j, b] of [...list.querySelectorAll('button')].entries())
      b.setAttribute('aria-current', String(j === at));
    fill(
      detail,
      shown[at] ? caseDetail(shown[at]!) : h('p', { class: 'empty' }, 'No case of this kind.'),
    );
  };
  const render = () => {
    shown =
      filter.value === 'kinds'
        ? kinds
        : verdicts.filter((v) => filter.value === 'all' || v.status === filter.value);
    fill(
      list,
      ...shown.slice(0, LIST_MAX).map((v, i) =>
        h(
          'li',
          {},
          h(
            'button',
            {
              type: 'button',
              'data-testid': 'case',
              'data-status': v.status,
              'data-index': `${v.suite}#${v.index}`,
              onclick: () => select(i),
            },
            h('span', { class: `st st-${v.status}` }, v.status),
            `${v.suite} #${v.index}`,
            v.case.name ? ` ${v.case.name}` : '',
          ),
        ),
      ),
      shown.length > LIST_MAX &&
        h('li', { class: 'note' }, `… and ${shown.length - LIST_MAX} more (filter to see them)`),
    );
    select(0);
  };
  filter.addEventListener('change', render);
  const k = judged.header.kernel;
  const el = h(
    'div',
    {},
    h(
      'p',
      { class: 'note' },
      `trace: ${judged.header.target.kind} · ${k.release} ${k.machine} · recorded against ${judged.header.profile} · judged with ${judged.profile} · seed ${judged.header.seed}`,
    ),
    countsLine(counts),
    h(
      'div',
      { class: 'stepbar' },
      profileSelect,
      h('label', { for: 'replay-filter', class: 'n' }, 'show'),
      filter,
      h('button', { type: 'button', onclick: () => select(at - 1) }, '← previous'),
      h('button', { type: 'button', onclick: () => select(at + 1) }, 'next →'),
    ),
    h('div', { class: 'grid2' }, list, detail),
  );
  render();
  return el;
}

function divergenceDetail(d: ReportDivergence): HTMLElement {
  return h(
    'div',
    { 'data-testid': 'case-detail' },
    h(
      'p',
      {},
      h('span', { class: 'st st-diverge' }, 'diverge'),
      ` ${d.suite} #${d.index}${d.name ? `: ${d.name}` : ''} (${d.count} alike)`,
    ),
    d.reason && h('p', { class: 'note' }, d.reason),
    ...d.differences.map((s) => cmpTable(compareRows({}, {}, s.diffs), `step ${s.step}`)),
    h('pre', { class: 'json' }, d.replay),
  );
}

function reportView(r: ReportFile): HTMLElement {
  const detail = h('div');
  let at = 0;
  const buttons = r.divergences.map((d, i) =>
    h(
      'button',
      {
        type: 'button',
        'data-testid': 'case',
        'data-status': 'diverge',
        'data-index': `${d.suite}#${d.index}`,
        onclick: () => select(i),
      },
      h('span', { class: 'st st-diverge' }, 'diverge'),
      `${d.suite} #${d.index}${d.name ? ` ${d.name}` : ''}`,
    ),
  );
  const select = (i: number) => {
    at = Math.max(0, Math.min(i, r.divergences.length - 1));
    for (const [j, b] of buttons.entries()) b.setAttribute('aria-current', String(j === at));
    const d = r.divergences[at];
    fill(
      detail,
      d
        ? divergenceDetail(d)
        : h('p', { class: 'empty' }, 'No divergence: the kernel did what the model predicted.'),
    );
  };
  const el = h(
    'div',
    {},
    h(
      'p',
      { class: 'note' },
      `report: ${r.tool ?? 'aiospec'} · target ${r.target ?? '?'} · ${r.kernel?.release ?? ''} ${r.kernel?.machine ?? ''} · profile ${r.profile ?? '?'} · seed ${r.seed ?? '?'}`,
    ),
    countsLine(r),
    h(
      'div',
      { class: 'stepbar' },
      h('button', { type: 'button', onclick: () => select(at - 1) }, '← previous'),
      h('button', { type: 'button', onclick: () => select(at + 1) }, 'next →'),
    ),
    h(
      'div',
      { class: 'grid2' },
      h(
        'ol',
        { class: 'cases', 'aria-label': 'divergences' },
        ...buttons.map((b) => h('li', {}, b)),
      ),
      detail,
    ),
  );
  select(0);
  return el;
}

export function replayMode() {
  const out = h('div', { 'data-testid': 'replay-out' });
  const error = h('p', { class: 'error', role: 'alert', 'data-testid': 'replay-error' });
  let loaded: Loaded | null = null;
  const profile = h(
    'select',
    { id: 'replay-profile' },
    h('option', { value: '' }, 'as recorded'),
    ...PROFILE_NAMES.map((p) => h('option', { value: p }, p)),
  );
  const profileField = h(
    'span',
    {},
    h('label', { for: 'replay-profile', class: 'n' }, 'judge with profile '),
    profile,
  );
  const show = () => {
    if (!loaded) return;
    try {
      error.textContent = '';
      fill(
        out,
        loaded.kind === 'trace'
          ? traceView(
              judge(loaded.text, (profile.value || null) as ProfileName | null),
              profileField,
            )
          : reportView(loaded.report),
      );
    } catch (e) {
      error.textContent = (e as Error).message;
      fill(out);
    }
  };
  profile.addEventListener('change', show);
  const load = async (file: File) => {
    try {
      loaded = classify(await file.text());
      show();
    } catch (e) {
      loaded = null;
      error.textContent = `${file.name}: ${(e as Error).message}`;
      fill(out);
    }
  };
  const input = h('input', {
    type: 'file',
    id: 'replay-file',
    accept: '.jsonl,.json,.trace,application/json',
    'data-testid': 'replay-file',
  });
  input.addEventListener('change', () => {
    const f = input.files?.[0];
    if (f) void load(f);
  });
  const drop = h(
    'div',
    { class: 'drop', 'data-testid': 'drop' },
    h(
      'p',
      {},
      'Drop a trace (',
      h('code', {}, 'aiospec record --out t.jsonl'),
      ') or a report (',
      h('code', {}, '--reporter json'),
      ') here, or',
    ),
    h('label', { for: 'replay-file' }, 'choose a file: '),
    input,
  );
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const f = e.dataTransfer?.files[0];
    if (f) void load(f);
  });
  return {
    el: h(
      'section',
      { class: 'panel', 'aria-label': 'replay' },
      h('h2', {}, 'replay a trace or a report'),
      drop,
      error,
      out,
    ),
  };
}
