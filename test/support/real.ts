/**
 * Real-kernel test support. These tests run wherever the real backend can:
 * Linux with AIO. They skip only where that is truly absent, and say why.
 */
import { existsSync, readFileSync } from 'node:fs';

/** Why the real backend cannot run here, or null when it can (and must). */
export function realUnavailableReason(): string | null {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (!['x64', 'arm64'].includes(process.arch))
    return `architecture ${process.arch} is not wired up`;
  if (!existsSync('/proc/sys/fs/aio-nr'))
    return 'this kernel has no AIO (/proc/sys/fs/aio-nr is absent: CONFIG_AIO=n)';
  return null;
}

export const REAL = realUnavailableReason();

/** Root is needed for aio-max-nr changes; the rest runs as any user. */
export const ROOT_REASON = process.getuid?.() === 0 ? null : 'not root';

export function aioNr(): bigint {
  return BigInt(readFileSync('/proc/sys/fs/aio-nr', 'utf8').trim());
}

export function aioMaxNr(): bigint {
  return BigInt(readFileSync('/proc/sys/fs/aio-max-nr', 'utf8').trim());
}

/**
 * Possible CPUs as /sys/devices/system/cpu/possible lists them ("0-1", "0,2-3"):
 * the C in the kernel's 4*C floor for a ring, read by the test itself.
 */
export function possibleCpus(): number {
  const text = readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim();
  return text.split(',').reduce((n, part) => {
    const [a, b] = part.split('-').map(Number);
    return n + (b === undefined ? 1 : b - a! + 1);
  }, 0);
}
