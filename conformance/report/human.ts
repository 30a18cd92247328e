/**
 * The end-of-run report for a person at a terminal: what ran where, each kind
 * of divergence (its minimal case first, then its cases, each with its own
 * differences and replay command), the rules no case reached, the inconclusive
 * and skipped cases by reason, a verdict.
 */
import { caseToString, describeCase } from '../cases.js';
import type { CaseResult, DivergenceReport, RunSummary } from '../engine/summary.js';
import type { Status } from '../engine/verdict.js';
import {
  caseLabel,
  differenceLines,
  minimalIsElsewhere,
  printable,
  resultDifferenceLines,
  seconds,
  suitesOf,
} from './format.js';

type Paint = (text: string) => string;

export interface Palette {
  readonly green: Paint;
  readonly red: Paint;
  readonly yellow: Paint;
  readonly bold: Paint;
}

export function palette(color: boolean): Palette {
  const sgr =
    (code: string): Paint =>
    (t) =>
      color ? `\x1b[${code}m${t}\x1b[0m` : t;
  return { green: sgr('32'), red: sgr('31'), yellow: sgr('33'), bold: sgr('1') };
}

interface Counts {
  readonly cases: number;
  readonly passed: number;
  readonly diverged: number;
  readonly inconclusive: number;
  readonly skipped: number;
}

/** Counts in a fixed order; only the ones that need attention are coloured. */
function countLine(c: Counts, p: Palette): string {
  return [
    `cases ${c.cases}`,
    `passed ${c.passed}`,
    c.diverged ? p.red(`diverged ${c.diverged}`) : 'diverged 0',
    c.inconclusive ? p.yellow(`inconclusive ${c.inconclusive}`) : 'inconclusive 0',
    `skipped ${c.skipped}`,
  ].join(' · ');
}

/** Lines wrap before this width: a 140-step sequence is not one 5,000-character line. */
const WIDTH = 100;

/**
 * Text wrapped at `sep` (a case description at its step separators, `; `;
 * prose at its spaces), each line after the first indented by `indent`. A
 * piece longer than the width stays whole.
 */
export function wrap(text: string, indent: string, sep = '; ', width = WIDTH): string[] {
  const lines: string[] = [];
  let line = '';
  for (const part of text.split(sep)) {
    const next = line ? `${line}${sep}${part}` : part;
    if (line && indent.length + next.length > width) {
      lines.push(`${line}${sep.trimEnd()}`);
      line = part;
    } else line = next;
  }
  lines.push(line);
  return lines.map((l, i) => (i === 0 ? l : `${indent}${l}`));
}

/** A kind's minimal case: shrunk when its suite allows, what differed, how to replay it. */
function minimalCase(d: DivergenceReport): string[] {
  const lines = [
    `  minimal case: ${d.suite} #${d.index}${d.name ? ` ${printable(d.name)}` : ''}`,
    ...wrap(`    ${printable(describeCase(d.case))}`, '      '),
  ];
  // Shrinking may have simplified the case: say what it was first found as.
  if (caseToString(d.original) !== caseToString(d.case))
    lines.push(...wrap(`    (shrunk from: ${printable(describeCase(d.original))})`, '      '));
  lines.push(...differenceLines(d).map((l) => `    ${l}`));
  if (d.reason) lines.push(...wrap(`    reason: ${printable(d.reason)}`, '      ', ' '));
  // On a line of its own, so that it can be copied whole.
  lines.push('    replay:', `      ${printable(d.replay)}`);
  return lines;
}

/** One diverging case as found: its own differences and its own replay command. */
function divergedCase(r: CaseResult): string[] {
  return [
    ...wrap(`  ${caseLabel(r)}`, '      '),
    ...resultDifferenceLines(r).map((l) => `    ${l}`),
    `    replay: ${printable(r.replay ?? '')}`,
  ];
}

/** How many cases of each kind, and of each reason, are shown one by one; JSON, TAP and JUnit list every case. */
const SHOWN = 10;
/** Distinct reasons grouped before the rest are counted together (reasons may quote values). */
const REASONS = 50;

interface Group {
  count: number;
  readonly shown: CaseResult[];
}

/** What the report lists, gathered in one pass over the results (which may be on disk), bounded. */
interface Listed {
  /** Diverging cases per kind (suite and kind), first SHOWN of each. */
  readonly kinds: Map<string, Group>;
  /** Inconclusive and skipped cases per verdict and reason, first SHOWN of each. */
  readonly reasons: Map<string, Group & { readonly status: Status; readonly reason: string }>;
}

const OTHER_REASONS = 'other reasons (too many distinct ones to group here)';

function gather(s: RunSummary): Listed {
  const kinds = new Map<string, Group>();
  const reasons: Listed['reasons'] = new Map();
  const keep = (g: Group, r: CaseResult) => {
    g.count++;
    if (g.shown.length < SHOWN) g.shown.push(r);
  };
  for (const r of s.results) {
    if (r.status === 'diverge') {
      const key = `${r.suite}:${r.kind ?? ''}`;
      const g = kinds.get(key) ?? { count: 0, shown: [] };
      kinds.set(key, g);
      keep(g, r);
    } else if (r.status !== 'pass') {
      let reason = r.reason ?? 'none given';
      if (!reasons.has(`${r.status}:${reason}`) && reasons.size >= REASONS) reason = OTHER_REASONS;
      const key = `${r.status}:${reason}`;
      const g = reasons.get(key) ?? { count: 0, shown: [], status: r.status, reason };
      reasons.set(key, g);
      keep(g, r);
    }
  }
  return { kinds, reasons };
}

/**
 * Each kind of divergence: how many cases, its minimal case first, then its
 * cases as found, each with its own differences and replay command.
 */
function divergedKinds(s: RunSummary, listed: Listed, p: Palette): string[] {
  const out: string[] = [];
  for (const [i, d] of s.divergences.entries()) {
    const g = listed.kinds.get(`${d.suite}:${d.kind}`);
    out.push(
      '',
      p.red(
        `DIVERGED ${d.suite} #${d.index}${d.name ? ` ${printable(d.name)}` : ''} · kind ${i + 1} of ${s.divergences.length} · ${d.count} case${d.count === 1 ? '' : 's'}`,
      ),
      `  kind: ${printable(d.kind)}`,
      ...minimalCase(d),
    );
    const others = (g?.shown ?? []).filter((r) => minimalIsElsewhere(d, r));
    if (others.length === 0) continue;
    out.push('  cases of this kind, each as found:');
    for (const r of others) out.push(...divergedCase(r));
    const more = d.count - (g?.shown.length ?? 0);
    if (more > 0) out.push(`  (and ${more} more: --reporter json, tap or junit lists every one)`);
  }
  // A kind whose report was never made (the run stopped before it was confirmed alone).
  const reported = new Set(s.divergences.map((d) => `${d.suite}:${d.kind}`));
  for (const [key, g] of listed.kinds) {
    if (reported.has(key)) continue;
    const kind = key.slice(key.indexOf(':') + 1);
    out.push(
      '',
      p.red(
        `DIVERGED ${g.shown[0]!.suite} · ${g.count} case${g.count === 1 ? '' : 's'}, no minimal case`,
      ),
      `  kind: ${printable(kind)}`,
      ...g.shown.flatMap(divergedCase),
    );
    if (g.count > g.shown.length)
      out.push(
        `  (and ${g.count - g.shown.length} more: --reporter json, tap or junit lists every one)`,
      );
  }
  return out;
}

const HEADING: Partial<Record<Status, string>> = {
  inconclusive: 'INCONCLUSIVE',
  skip: 'SKIPPED',
};

/**
 * Inconclusive, then skipped cases, grouped by reason: they fail nothing, but
 * the counts alone would not say what to look at.
 */
function byReason(listed: Listed, p: Palette): string[] {
  const out: string[] = [];
  for (const status of ['inconclusive', 'skip'] as const) {
    for (const g of listed.reasons.values()) {
      if (g.status !== status) continue;
      out.push(
        '',
        ...wrap(
          `${HEADING[status]} ${g.count} case${g.count === 1 ? '' : 's'}: ${printable(g.reason)}`,
          '  ',
          ' ',
        ).map(p.yellow),
        // Lumped together, each keeps its own reason.
        ...g.shown.flatMap((r) =>
          wrap(
            `  ${caseLabel(r)}${g.reason === OTHER_REASONS ? ` (${printable(r.reason ?? 'none given')})` : ''}`,
            '      ',
          ),
        ),
      );
      if (g.count > g.shown.length)
        out.push(
          `  (and ${g.count - g.shown.length} more: --reporter json, tap or junit lists every one)`,
        );
    }
  }
  return out;
}

/** What the kernel offers beyond the usual, as detected in it. */
function featureNote(f: RunSummary['kernel']['features']): string {
  const notes = [
    f.faultInjection ? 'fault injection' : '',
    f.aio ? '' : 'no AIO: CONFIG_AIO=n',
    f.block === false ? 'no block layer: CONFIG_BLOCK=n' : '',
  ];
  const said = notes.filter((n) => n !== '');
  return said.length === 0 ? '' : ` (${said.join(', ')})`;
}

export function renderHuman(s: RunSummary, opts: { color: boolean }): string {
  const p = palette(opts.color);
  const k = s.kernel;
  const out = [
    p.bold(
      `aiospec · target ${printable(s.target)} · kernel ${printable(k.release)} ${printable(k.machine)}${k.gvisor ? ' (gVisor)' : ''}${featureNote(k.features)} · profile ${printable(s.profile)} · seed ${s.seed}`,
    ),
  ];
  const suites = suitesOf(s);
  const width = Math.max(0, ...suites.map((x) => x.length));
  for (const suite of suites) {
    const c = s.suites[suite];
    if (c) out.push(`  ${suite.padEnd(width)}  ${countLine(c, p)}`);
  }
  const listed = gather(s);
  out.push(...divergedKinds(s, listed, p));

  out.push('', `rules covered: ${s.rulesCovered} of ${s.rulesTotal}`);
  const uncovered = s.coverage.filter((r) => r.hits === 0);
  const idWidth = Math.max(0, ...uncovered.map((r) => r.id.length));
  for (const r of uncovered)
    out.push(
      `  ${p.yellow(printable(r.id).padEnd(idWidth))}  ${printable(r.unreachable ?? 'no case reached it')}`,
    );
  out.push(...byReason(listed, p));

  const verdict = s.diverged ? p.red(`DIVERGED (${s.diverged})`) : p.green('CONFORMANT');
  out.push('', `${p.bold(verdict)}  ${countLine(s, p)} · ${seconds(s.wallMs, 1)}s`);
  return `${out.join('\n')}\n`;
}
