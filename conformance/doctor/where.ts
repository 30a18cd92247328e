/**
 * Where the doctor runs, for the advice: fs.aio-max-nr is one value for the
 * whole kernel (not namespaced), so inside a container it is read-only and
 * must be raised on the node; and a container's PID namespace hides the
 * node's other processes, so the holders found are only those it can see.
 */
import { accessSync, constants, existsSync, readFileSync, readlinkSync } from 'node:fs';
import { describeCgroup } from './cgroup.js';

/** The initial PID namespace's inode number (include/linux/proc_ns.h PROC_PID_INIT_INO): the host's. */
export const INIT_PID_NS = 'pid:[4026531836]';

export interface Whereabouts {
  /** What says this is a container, or null. */
  readonly container: string | null;
  /** Whether this process could write /proc/sys/fs/aio-max-nr (root on the host). */
  readonly sysctlWritable: boolean;
  /** /proc/self/ns/pid (`pid:[N]`), null when unreadable. */
  readonly pidNamespace: string | null;
  /** Whether that is the host's (initial) PID namespace, which sees every process; null when unknown. */
  readonly hostPidNamespace: boolean | null;
  /** /proc/sys is a read-only mount (runc's and Docker's readonlyPaths), null when mountinfo is unreadable. */
  readonly procSysReadOnly: boolean | null;
}

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function readLink(path: string): string | null {
  try {
    return readlinkSync(path);
  } catch {
    return null;
  }
}

/** Whether /proc/sys (or / under it) is mounted read-only, from mountinfo (the last mount there wins). */
export function procSysReadOnly(mountinfo: string | null): boolean | null {
  if (mountinfo === null) return null;
  let ro = false;
  for (const line of mountinfo.split('\n')) {
    const f = line.split(' ');
    if (f.length < 6) continue;
    if (f[4] === '/proc/sys') ro = f[5]!.split(',').includes('ro');
    else if (f[4] === '/proc') ro = f[5]!.split(',').includes('ro');
  }
  return ro;
}

/** Signs of a container, each with the words that say which. */
function signs(ns: string | null, procSysRo: boolean | null): readonly (() => string | null)[] {
  return [
    () => describeCgroup(read('/proc/self/cgroup')).container,
    () => (existsSync('/.dockerenv') ? 'docker (/.dockerenv)' : null),
    () => (existsSync('/run/.containerenv') ? 'podman (/run/.containerenv)' : null),
    () => (process.env.KUBERNETES_SERVICE_HOST ? 'kubernetes (KUBERNETES_SERVICE_HOST)' : null),
    () => (process.env.container ? `${process.env.container} ($container)` : null),
    () =>
      ns !== null && ns !== INIT_PID_NS
        ? `a PID namespace of its own (${ns}, not the host's ${INIT_PID_NS})${procSysRo ? ', /proc/sys read-only' : ''}`
        : null,
  ];
}

export function whereabouts(): Whereabouts {
  let sysctlWritable = false;
  try {
    accessSync('/proc/sys/fs/aio-max-nr', constants.W_OK);
    sysctlWritable = true;
  } catch {}
  const pidNamespace = readLink('/proc/self/ns/pid');
  const roSys = procSysReadOnly(read('/proc/self/mountinfo'));
  const facts = {
    sysctlWritable,
    pidNamespace,
    hostPidNamespace: pidNamespace === null ? null : pidNamespace === INIT_PID_NS,
    procSysReadOnly: roSys,
  };
  for (const sign of signs(pidNamespace, roSys)) {
    const c = sign();
    if (c) return { container: c, ...facts };
  }
  return { container: null, ...facts };
}
