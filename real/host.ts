/**
 * What the running kernel and process look like, read from /proc and /sys.
 * Used by the worker (the kernel the calls run on) and by the runner (doctor).
 */
import { readFileSync } from 'node:fs';
import { machine, release, version } from 'node:os';
import { failNthPresent, kernelFeatures, procPartitionsPresent } from './kernel-features.js';
import { type HostInfo, jsonInteger } from './protocol.js';

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** /proc/sys/fs/aio-max-nr or aio-nr, or null where the file does not exist (CONFIG_AIO=n, gVisor). */
export function readAioSysctl(name: 'aio-max-nr' | 'aio-nr'): bigint | null {
  const t = readText(`/proc/sys/fs/${name}`);
  return t === null ? null : BigInt(t.trim());
}

/** Count CPUs in a kernel cpu list such as "0-3,8-11" (/sys/devices/system/cpu/possible). */
export function countCpuList(list: string): number {
  let n = 0;
  for (const part of list.trim().split(',')) {
    if (!part) continue;
    const [a, b] = part.split('-').map(Number);
    n += b === undefined ? 1 : b - a! + 1;
  }
  return n;
}

export function possibleCpus(): number {
  const t = readText('/sys/devices/system/cpu/possible');
  if (t !== null) return countCpuList(t);
  // gVisor and some containers hide /sys: fall back to what the kernel says is present.
  const present = readText('/sys/devices/system/cpu/present');
  if (present !== null) return countCpuList(present);
  return (
    (readText('/proc/cpuinfo') ?? '').split('\n').filter((l) => l.startsWith('processor')).length ||
    1
  );
}

/** Seccomp mode from /proc/self/status: 0 none, 1 strict, 2 filter; null if not shown. */
export function seccompMode(pid: number | 'self' = 'self'): number | null {
  const m = /^Seccomp:\s+(\d+)/m.exec(readText(`/proc/${pid}/status`) ?? '');
  return m ? Number(m[1]) : null;
}

/** The effective capability mask from /proc/self/status (hex), or null if not shown. */
export function capEff(pid: number | 'self' = 'self'): string | null {
  return /^CapEff:\s+([0-9a-f]+)/m.exec(readText(`/proc/${pid}/status`) ?? '')?.[1] ?? null;
}

/**
 * gVisor's sentry reports a fixed uname (release 4.4.0, version
 * "#1 SMP Sun Jan 10 15:06:54 PST 2016") and its own /proc/version.
 */
export function underGvisor(): boolean {
  if (/gVisor/i.test(readText('/proc/version') ?? '')) return true;
  return release() === '4.4.0' && /Sun Jan 10 15:06:54 PST 2016/.test(version());
}

/** `probeErrno`: what io_setup(0, &0) said here (see FeatureEvidence); undefined when not probed. */
export function detectHost(pageSize: number, pid: number, probeErrno?: number | null): HostInfo {
  const max = readAioSysctl('aio-max-nr');
  const nr = readAioSysctl('aio-nr');
  const caps = capEff();
  const seccomp = seccompMode();
  const gvisor = underGvisor();
  return {
    pid,
    release: release(),
    version: version(),
    machine: machine(),
    pageSize,
    possibleCpus: possibleCpus(),
    aioMaxNr: max === null ? null : jsonInteger(max),
    aioNr: nr === null ? null : jsonInteger(nr),
    seccompMode: seccomp,
    gvisor,
    ...(caps === null ? {} : { capEff: caps }),
    features: kernelFeatures({
      failNth: failNthPresent(),
      probeErrno,
      seccompMode: seccomp,
      aioSysctls: nr !== null,
      gvisor,
      procPartitions: procPartitionsPresent(),
    }),
  };
}
