/**
 * The build's progress as people see it: make's quiet output ("  CC      fs/aio.o")
 * counted into objects compiled, against the count of the last build of the
 * same kernel (or an estimate for its base), as one line.
 */
import type { ConfigBase } from './config-options.js';

/**
 * Objects compiled by a cold build of Linux 6.12 for UML (measured: make's
 * `CC`/`AS` lines, fault injection on), the total shown until a build of the
 * kernel has counted its own.
 */
export const OBJECTS_ESTIMATE: Readonly<Record<ConfigBase, number>> = {
  defconfig: 1250,
  small: 560,
};

/** The file a line of make's output compiles, or null (links, generated headers, make's own chatter). */
export function compiledFile(line: string): string | null {
  const m = /^\s+(?:CC|AS)\s+(\S+)$/.exec(line);
  return m ? m[1]! : null;
}

export interface Progress {
  readonly name: string;
  readonly phase: string;
  readonly done: number;
  /** Expected objects; null when unknown. */
  readonly total: number | null;
  readonly elapsedMs: number;
  readonly last: string | null;
}

export function duration(ms: number): string {
  const s = Math.floor(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

export function progressText(p: Progress): string {
  const count =
    p.phase !== 'compiling'
      ? ''
      : p.total === null
        ? ` ${p.done} objects`
        : ` ${p.done} of ~${Math.max(p.total, p.done)} objects`;
  return `kernel ${p.name}: ${p.phase}${count} · ${duration(p.elapsedMs)}${p.last ? ` · ${p.last}` : ''}`;
}
