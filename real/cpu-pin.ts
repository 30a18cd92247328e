/**
 * Pinning the worker's thread to one CPU for a case (RealCase.pin): the
 * capacity of a context is exact only when every slot is taken and given back
 * on one CPU (aio-family notes §6.3). The lowest CPU the thread may use is
 * chosen; the previous mask comes back when the case ends.
 */
import type { Libc } from './libc.js';

/** cpu_set_t as glibc sizes it (1024 CPUs). */
const CPU_SET_BYTES = 128;

/** The lowest CPU set in a mask (bytes of a cpu_set_t), or null if none is. */
export function lowestCpu(mask: Uint8Array): number | null {
  for (let i = 0; i < mask.length; i++) {
    const b = mask[i]!;
    if (b !== 0) for (let bit = 0; bit < 8; bit++) if (b & (1 << bit)) return i * 8 + bit;
  }
  return null;
}

/** Pin the calling thread to its lowest allowed CPU; returns the CPU and how to undo it. */
export function pinToLowestCpu(c: Libc): { cpu: number; restore: () => void } {
  const old = Buffer.alloc(CPU_SET_BYTES);
  if (c.schedGetaffinity(0, CPU_SET_BYTES, c.addressOf(old)) !== 0)
    throw new Error(`sched_getaffinity failed: errno ${c.errno()}`);
  const cpu = lowestCpu(old);
  if (cpu === null) throw new Error('sched_getaffinity: empty CPU mask');
  const one = Buffer.alloc(CPU_SET_BYTES);
  one[cpu >> 3] = 1 << (cpu & 7);
  if (c.schedSetaffinity(0, CPU_SET_BYTES, c.addressOf(one)) !== 0)
    throw new Error(`sched_setaffinity(${cpu}) failed: errno ${c.errno()}`);
  return {
    cpu,
    restore: () => {
      if (c.schedSetaffinity(0, CPU_SET_BYTES, c.addressOf(old)) !== 0)
        throw new Error(`restoring the CPU mask failed: errno ${c.errno()}`);
    },
  };
}
