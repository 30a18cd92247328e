/**
 * The progress line a run shows on a terminal (stderr), rewritten in place:
 * the suite, cases done of its total, the rate, the time left in the suite and
 * the divergences found so far. Never coloured, and cut to the terminal's
 * width: a line that wraps can no longer be rewritten with a carriage return.
 */
import type { RunProgress } from '../run.js';

/** Rates are measured over about this much of the recent past: a suite's pace changes as it goes. */
const WINDOW_MS = 3000;
/** Redraw at most this often: the engine reports every batch, thousands of times a second. */
const REDRAW_MS = 100;
/** Too little to go on before this: no rate or time left is shown. */
const SETTLE_MS = 500;

/** 1234567 as "1,234,567": progress is read at a glance. */
function grouped(n: number): string {
  return Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Seconds left as "42s", "3m05s", "2h07m". */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** The line for a moment of a run; `rate` in cases per second, or null while it is not known yet. */
export function progressLine(p: RunProgress, rate: number | null): string {
  const parts = [`[${p.suite}] ${grouped(p.done)}/${grouped(p.total)} cases`];
  if (rate !== null && rate > 0) {
    parts.push(`${grouped(rate)} cases/s`);
    if (p.done < p.total) parts.push(`${duration((p.total - p.done) / rate)} left`);
  }
  parts.push(`diverged ${grouped(p.diverged)}`);
  return parts.join(' · ');
}

export interface ProgressOptions {
  /** Where the line goes (stderr). */
  readonly write: (text: string) => void;
  /** The terminal's width in columns, when known. */
  readonly columns?: () => number | undefined;
  /** Milliseconds, for tests. */
  readonly now?: () => number;
}

export class ProgressDisplay {
  private readonly write: (text: string) => void;
  private readonly columns: () => number | undefined;
  private readonly now: () => number;
  /** Recent (time, done) samples of the current suite, oldest first. */
  private samples: { t: number; done: number }[] = [];
  private suite: string | null = null;
  private lastDraw = -Infinity;
  private shown = false;

  constructor(opts: ProgressOptions) {
    this.write = opts.write;
    this.columns = opts.columns ?? (() => undefined);
    this.now = opts.now ?? (() => performance.now());
  }

  update(p: RunProgress): void {
    const t = this.now();
    if (p.suite !== this.suite) {
      // A new suite has its own pace (a sequence costs more than a single call): start over.
      this.suite = p.suite;
      this.samples = [];
      this.lastDraw = -Infinity;
    }
    this.samples.push({ t, done: p.done });
    while (this.samples.length > 2 && t - this.samples[1]!.t >= WINDOW_MS) this.samples.shift();
    if (t - this.lastDraw < REDRAW_MS && p.done < p.total) return;
    this.lastDraw = t;
    this.draw(progressLine(p, this.rate(t)));
  }

  /** Remove the line (before the report, or a message, is written). */
  clear(): void {
    if (!this.shown) return;
    this.write('\r\x1b[K');
    this.shown = false;
  }

  private rate(t: number): number | null {
    const first = this.samples[0];
    if (!first || t - first.t < SETTLE_MS) return null;
    const last = this.samples.at(-1)!;
    return ((last.done - first.done) * 1000) / (t - first.t);
  }

  private draw(line: string): void {
    const width = this.columns();
    const fitted = width !== undefined && width > 1 ? line.slice(0, width - 1) : line;
    this.write(`\r${fitted}\x1b[K`);
    this.shown = true;
  }
}
