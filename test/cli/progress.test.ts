/** The pieces of the command line that need no process: the progress line, colour, reporters, stop flags. */
import { describe, expect, it } from 'vitest';
import { colorWanted } from '../../conformance/cli/color.js';
import { duration, ProgressDisplay, progressLine } from '../../conformance/cli/progress.js';
import { planReports } from '../../conformance/cli/reporters.js';
import { parseSeconds } from '../../conformance/cli/stop-flags.js';
import { UsageError } from '../../conformance/cli/usage-error.js';

describe('the progress line', () => {
  it('reads at a glance: suite, done of total, rate, time left, divergences', () => {
    // 988,000 cases left at 4,000 a second: 247 s.
    const p = { suite: 'props', done: 12_000, total: 1_000_000, diverged: 3 } as const;
    expect(progressLine(p, 4000)).toBe(
      '[props] 12,000/1,000,000 cases · 4,000 cases/s · 4m07s left · diverged 3',
    );
    expect(progressLine(p, null)).toBe('[props] 12,000/1,000,000 cases · diverged 3');
    expect(progressLine({ ...p, done: p.total }, 4000)).not.toContain('left');
  });

  it('writes durations as s, m and h', () => {
    expect([duration(0.4), duration(59), duration(61), duration(3600 * 2 + 7 * 60)]).toEqual([
      '0s',
      '59s',
      '1m01s',
      '2h07m',
    ]);
  });

  /** A display on a fake clock, its writes kept. */
  function display(columns?: number) {
    let t = 0;
    const writes: string[] = [];
    const d = new ProgressDisplay({
      write: (s) => writes.push(s),
      columns: () => columns,
      now: () => t,
    });
    return { d, writes, at: (ms: number) => (t = ms) };
  }

  it('measures the rate over the recent past, and starts over with each suite', () => {
    const { d, writes, at } = display();
    // 1000 cases a second for 3 s, then 100 a second: the rate follows the recent pace.
    for (let ms = 0; ms <= 3000; ms += 250) {
      at(ms);
      d.update({ suite: 'props', done: ms, total: 100_000, diverged: 0 });
    }
    expect(writes.at(-1)).toContain('1,000 cases/s');
    for (let ms = 3250, done = 3000; ms <= 9000; ms += 250) {
      done += 25;
      at(ms);
      d.update({ suite: 'props', done, total: 100_000, diverged: 1 });
    }
    expect(writes.at(-1)).toContain('100 cases/s');
    expect(writes.at(-1)).toContain('diverged 1');
    at(9100);
    d.update({ suite: 'stateful', done: 10, total: 300, diverged: 1 });
    expect(writes.at(-1)).not.toContain('cases/s'); // too little of the new suite to tell
  });

  it('redraws at most ten times a second, but always at a suite end', () => {
    const { d, writes, at } = display();
    for (let i = 1; i <= 100; i++) {
      at(i); // a hundred updates in 100 ms
      d.update({ suite: 'props', done: i, total: 100, diverged: 0 });
    }
    expect(writes.length).toBeLessThanOrEqual(3);
    expect(writes.at(-1)).toContain('100/100');
  });

  it('is rewritten in place, cut to the terminal width, and cleared once', () => {
    const { d, writes } = display(20);
    d.update({ suite: 'props', done: 5, total: 100_000, diverged: 0 });
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the line's own control sequences
    expect(writes[0]).toMatch(/^\r.{19}\x1b\[K$/);
    d.clear();
    d.clear();
    expect(writes.slice(1)).toEqual(['\r\x1b[K']);
  });
});

describe('colour', () => {
  const tty = { isTTY: true };
  const pipe = { isTTY: false };
  it('on a terminal unless NO_COLOR (not empty) or TERM=dumb', () => {
    expect(colorWanted(tty, {})).toBe(true);
    expect(colorWanted(tty, { NO_COLOR: '1' })).toBe(false);
    expect(colorWanted(tty, { NO_COLOR: '' })).toBe(true);
    expect(colorWanted(tty, { TERM: 'dumb' })).toBe(false);
    expect(colorWanted(pipe, {})).toBe(false);
  });
  it('FORCE_COLOR decides when set, over NO_COLOR and a pipe', () => {
    expect(colorWanted(pipe, { FORCE_COLOR: '1' })).toBe(true);
    expect(colorWanted(pipe, { FORCE_COLOR: '' })).toBe(true);
    expect(colorWanted(tty, { FORCE_COLOR: '0' })).toBe(false);
    expect(colorWanted(tty, { FORCE_COLOR: 'false' })).toBe(false);
    expect(colorWanted(pipe, { FORCE_COLOR: '1', NO_COLOR: '1' })).toBe(true);
  });
});

describe('--reporter NAME[:FILE] and --out', () => {
  it('human on stdout when none is named', () => {
    expect(planReports([], undefined)).toEqual([{ name: 'human', flag: '--reporter' }]);
  });
  it('a file after the first colon; --out for the one that names none', () => {
    const plans = planReports(['human', 'junit:out/a:b.xml'], undefined);
    expect(plans.map((p) => [p.name, p.file])).toEqual([
      ['human', undefined],
      ['junit', 'out/a:b.xml'],
    ]);
    expect(planReports(['json', 'tap:t.tap'], 'r.json').map((p) => [p.name, p.file])).toEqual([
      ['json', 'r.json'],
      ['tap', 't.tap'],
    ]);
  });
  it.each([
    [['human', 'json'], undefined, /both write to stdout/],
    [['human', 'json'], 'f', /--out: names one file for 2 reporters/],
    [['json:a'], 'f', /every --reporter already names its file/],
    [['json:a', 'tap:a'], undefined, /two reports name the file a/],
    [['json:f'], 'f', /every --reporter/],
    [['xml'], undefined, /"xml" is not one of human, tap, junit, json/],
    [['junit:'], undefined, /names no file/],
  ])('%j with --out %s is refused', (specs, out, why) => {
    expect(() => planReports(specs, out)).toThrow(UsageError);
    expect(() => planReports(specs, out)).toThrow(why);
  });
});

describe('--time-limit seconds', () => {
  it('whole or decimal, in milliseconds', () => {
    expect(parseSeconds('--time-limit', '90')).toBe(90_000);
    expect(parseSeconds('--time-limit', '0.25')).toBe(250);
  });
  it.each(['0', '-1', '1e3', '', 'soon', '604801'])('"%s" is refused', (text) => {
    expect(() => parseSeconds('--time-limit', text)).toThrow(/--time-limit/);
  });
});
