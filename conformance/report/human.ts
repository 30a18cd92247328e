/**
 * The end-of-run report for a person at a terminal: what ran where, each
 * divergence with a command to replay it, the rules no case reached, a verdict.
 */
import { caseToString, describeCase } from '../cases.js';
import type { CaseResult, DivergenceReport, RunSummary } from '../engine/summary.js';
import { differenceLines, printable, seconds, suitesOf } from './format.js';

type Paint = (text: string) => string;

interface Palette {
  readonly green: Paint;
  readonly red: Paint;
  readonly yellow: Paint;
  readonly bold: Paint;
}

function palette(color: boolean): Palette {
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

function divergence(d: DivergenceReport, p: Palette): string[] {
  const lines = [
    p.red(
      `DIVERGED ${d.suite} #${d.index}${d.name ? ` ${printable(d.name)}` : ''}${d.count > 1 ? ` (and ${d.count - 1} more cases alike)` : ''}`,
    ),
    `  ${printable(describeCase(d.case))}`,
  ];
  // Shrinking may have simplified the case: say what it was first found as.
  if (caseToString(d.original) !== caseToString(d.case))
    lines.push(`  (shrunk from: ${printable(describeCase(d.original))})`);
  lines.push(...differenceLines(d).map((l) => `  ${l}`));
  if (d.reason) lines.push(`  reason: ${printable(d.reason)}`);
  // On a line of its own, so that it can be copied whole.
  lines.push('  replay:', `    ${printable(d.replay)}`);
  return lines;
}

/** How many inconclusive cases are shown one by one; TAP and JUnit list every case. */
const INCONCLUSIVE_SHOWN = 10;

/**
 * Inconclusive cases with their reasons (a worker that died, aio-nr that kept
 * moving): they fail nothing, but the counts alone would not say what to look at.
 */
function inconclusive(s: RunSummary, p: Palette): string[] {
  const shown: CaseResult[] = [];
  // The results may live on disk (a large run): read only as far as the cases shown.
  for (const r of s.results) {
    if (shown.length === INCONCLUSIVE_SHOWN) break;
    if (r.status === 'inconclusive') shown.push(r);
  }
  const lines = shown.flatMap((r) => [
    p.yellow(`INCONCLUSIVE ${r.suite} #${r.index} ${printable(r.name)}`),
    `  reason: ${printable(r.reason ?? 'none given')}`,
  ]);
  if (s.inconclusive > shown.length)
    lines.push(
      `(and ${s.inconclusive - shown.length} more inconclusive cases: --reporter tap or junit lists every case)`,
    );
  return lines;
}

/** What the kernel offers beyond the usual, as detected in it. */
function featureNote(f: RunSummary['kernel']['features']): string {
  const notes = [f.faultInjection ? 'fault injection' : '', f.aio ? '' : 'no AIO: CONFIG_AIO=n'];
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
  for (const d of s.divergences) out.push('', ...divergence(d, p));
  const unsure = inconclusive(s, p);
  if (unsure.length > 0) out.push('', ...unsure);

  out.push('', `rules covered: ${s.rulesCovered} of ${s.rulesTotal}`);
  const uncovered = s.coverage.filter((r) => r.hits === 0);
  const idWidth = Math.max(0, ...uncovered.map((r) => r.id.length));
  for (const r of uncovered)
    out.push(
      `  ${p.yellow(printable(r.id).padEnd(idWidth))}  ${printable(r.unreachable ?? 'no case reached it')}`,
    );

  const verdict = s.diverged ? p.red(`DIVERGED (${s.diverged})`) : p.green('CONFORMANT');
  out.push('', `${p.bold(verdict)}  ${countLine(s, p)} · ${seconds(s.wallMs, 1)}s`);
  return `${out.join('\n')}\n`;
}
