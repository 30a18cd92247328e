/**
 * `aiospec matrix`'s human report: one table (target, kernel release,
 * features, cases, verdict, rules covered, wall time), why each skipped row
 * did not run, the union of the rows' coverage with why each rule no row
 * reached stays uncovered, then the full report of every row that diverged
 * (its divergences, shrunk, with their replay commands).
 */
import { seconds } from '../report/format.js';
import { type Palette, palette, renderHuman, wrap } from '../report/human.js';
import { printable } from '../report/printable.js';
import { type MatrixOutcome, matrixDiverged, rowVerdict } from './outcome.js';
import type { RowOutcome } from './run-row.js';

const HEADER = ['target', 'kernel', 'features', 'cases', 'verdict', 'rules', 'time'] as const;

function features(f: { readonly faultInjection: boolean; readonly aio: boolean }): string {
  const said = [f.aio ? 'AIO' : 'no AIO', ...(f.faultInjection ? ['fault injection'] : [])];
  return said.join(', ');
}

/** A row's cells, in HEADER's order (all printable: releases come from the targets). */
function cells(r: RowOutcome): string[] {
  const label = printable(r.spec.label);
  if ('skipped' in r) return [label, '-', '-', '-', 'skipped', '-', '-'];
  const s = r.summary;
  // A profile row's label names its profile (host+io-setup-trap); the file is in the JSON.
  return [
    label,
    `${printable(s.kernel.release)}${s.kernel.gvisor ? ' (gVisor)' : ''}`,
    features(s.kernel.features),
    String(s.cases),
    rowVerdict(r) + (s.stopped !== undefined ? ' (stopped)' : ''),
    `${s.rulesCovered} of ${s.rulesTotal}`,
    `${seconds(s.wallMs, 1)}s`,
  ];
}

function paintVerdict(text: string, p: Palette): string {
  if (text.startsWith('diverged')) return p.red(text);
  if (text.startsWith('conformant')) return p.green(text);
  return p.yellow(text);
}

/** Columns padded to their widest cell (padding before colouring: escapes take no room). */
export function table(rows: readonly string[][], p: Palette): string[] {
  const widths = HEADER.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r, n) =>
    r
      .map((cell, i) => {
        const padded = i === r.length - 1 ? cell : cell.padEnd(widths[i]!);
        return n > 0 && i === 4 ? paintVerdict(padded, p) : padded;
      })
      .join('  ')
      .trimEnd(),
  );
}

export function renderMatrixHuman(m: MatrixOutcome, opts: { color: boolean }): string {
  const p = palette(opts.color);
  const suites = m.suites.join(', ');
  const out = [
    p.bold(
      `aiospec matrix · suites ${suites} · runs ${m.runs} · sequences ${m.sequences} · seed ${m.seed}`,
    ),
    '',
    ...table([[...HEADER], ...m.rows.map(cells)], p).map((l) => `  ${l}`),
  ];
  const skipped = m.rows.filter(
    (r): r is Extract<RowOutcome, { skipped: string }> => 'skipped' in r,
  );
  if (skipped.length > 0) {
    out.push('', 'skipped:');
    for (const r of skipped) out.push(`  ${printable(r.spec.label)}: ${printable(r.skipped)}`);
  }
  const u = m.coverage;
  out.push('', `rules covered (union of the rows): ${u.covered} of ${u.total}`);
  // Rules uncovered for the same reason (the seccomp actions) share one line of why.
  const byReason = new Map<string, string[]>();
  for (const r of u.rules)
    if (r.uncovered !== undefined)
      byReason.set(r.uncovered, [...(byReason.get(r.uncovered) ?? []), r.id]);
  for (const [why, ids] of byReason)
    out.push(
      ...wrap(printable(ids.join(', ')), '  ', ', ').map((l, i) =>
        i === 0 ? `  ${p.yellow(l)}` : p.yellow(l),
      ),
      ...wrap(printable(why), '      ', ' ').map((l, i) => (i === 0 ? `      ${l}` : l)),
    );
  for (const r of m.rows)
    if (rowVerdict(r) === 'diverged' && 'summary' in r)
      out.push(
        '',
        p.bold(`── ${printable(r.spec.label)} ──`),
        renderHuman(r.summary, opts).trimEnd(),
      );
  const verdict = matrixDiverged(m) ? p.red('DIVERGED') : p.green('CONFORMANT');
  const ran = m.rows.length - skipped.length;
  out.push(
    '',
    `${p.bold(verdict)}  rows ${m.rows.length} · ran ${ran} · skipped ${skipped.length} · ${seconds(m.wallMs, 1)}s${m.stopped !== undefined ? ` · stopped: ${m.stopped}` : ''}`,
  );
  return `${out.join('\n')}\n`;
}
