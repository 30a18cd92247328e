/** `--bail`, `--max-divergences N`, `--time-limit S`: when a CI run stops early (it still reports what ran). */
import { boolFlag, type Parsed, stringFlag } from './args.js';
import { parseIntIn } from './numbers.js';
import { UsageError } from './usage-error.js';

/** A week: a longer limit is surely a typo (and setTimeout takes at most about 24.8 days). */
const MOST_SECONDS = 7 * 24 * 3600;

export const STOP_OPTIONS = {
  bail: { type: 'boolean' },
  'max-divergences': { type: 'string' },
  'time-limit': { type: 'string' },
} as const;

/** Seconds, whole or decimal ("90", "0.5"), more than 0 and at most a week, as milliseconds. */
export function parseSeconds(flag: string, text: string): number {
  if (!/^(0|[1-9][0-9]*)(\.[0-9]+)?$/.test(text))
    throw new UsageError(`${flag}: "${text}" is not a number of seconds`);
  const s = Number(text);
  if (s <= 0 || s > MOST_SECONDS)
    throw new UsageError(`${flag}: ${text} is out of range (more than 0, at most ${MOST_SECONDS})`);
  return Math.round(s * 1000);
}

export interface StopConfig {
  readonly maxDivergences?: number;
  readonly timeLimitMs?: number;
}

export function stopConfig(parsed: Parsed): StopConfig {
  const max = stringFlag(parsed, 'max-divergences');
  const limit = stringFlag(parsed, 'time-limit');
  if (boolFlag(parsed, 'bail') && max !== undefined)
    throw new UsageError('--bail: is --max-divergences 1; give one or the other');
  const maxDivergences = boolFlag(parsed, 'bail')
    ? 1
    : max === undefined
      ? undefined
      : parseIntIn('--max-divergences', max, 1, Number.MAX_SAFE_INTEGER);
  return {
    ...(maxDivergences === undefined ? {} : { maxDivergences }),
    ...(limit === undefined ? {} : { timeLimitMs: parseSeconds('--time-limit', limit) }),
  };
}
