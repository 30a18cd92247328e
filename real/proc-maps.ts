/** /proc/self/maps: where the rings are and how big. */
import { readFileSync } from 'node:fs';

export interface Mapping {
  readonly start: bigint;
  readonly end: bigint;
  readonly perms: string;
  readonly path: string;
}

export function parseMaps(text: string): Mapping[] {
  const out: Mapping[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const m = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (!m) continue;
    out.push({
      start: BigInt(`0x${m[1]}`),
      end: BigInt(`0x${m[2]}`),
      perms: m[3]!,
      path: m[4] ?? '',
    });
  }
  return out;
}

export function readMaps(pid: number | 'self' = 'self'): Mapping[] {
  return parseMaps(readFileSync(`/proc/${pid}/maps`, 'utf8'));
}

export function lowestMapping(): bigint {
  let lowest = 1n << 64n;
  for (const m of readMaps()) if (m.start < lowest) lowest = m.start;
  return lowest;
}

/** An AIO ring as /proc/PID/maps shows it: the anonymous file "[aio]", unlinked. */
export function isAioRing(m: Mapping): boolean {
  return m.path.startsWith('/[aio]');
}

/** Size in bytes of the mapping starting exactly at each address, or null if none starts there. */
export function mappingSizes(addresses: readonly bigint[]): Map<bigint, number | null> {
  const byStart = new Map<bigint, Mapping>();
  for (const m of readMaps()) byStart.set(m.start, m);
  return new Map(
    addresses.map((a) => {
      const m = byStart.get(a);
      return [a, m ? Number(m.end - m.start) : null];
    }),
  );
}

/** How many AIO rings this process maps now: after a failed io_setup, a ring left behind shows here. */
export function aioRingCount(): number {
  return readMaps().filter(isAioRing).length;
}
