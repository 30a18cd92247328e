/**
 * Where the doctor runs, for the advice: fs.aio-max-nr is one value for the
 * whole kernel (not namespaced), so inside a container it is read-only and
 * must be raised on the node.
 */
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { describeCgroup } from './cgroup.js';

export interface Whereabouts {
  /** What says this is a container, or null. */
  readonly container: string | null;
  /** Whether this process could write /proc/sys/fs/aio-max-nr (root on the host). */
  readonly sysctlWritable: boolean;
}

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** Signs of a container, each with the words that say which. */
const SIGNS: readonly (() => string | null)[] = [
  () => describeCgroup(read('/proc/self/cgroup')).container,
  () => (existsSync('/.dockerenv') ? 'docker (/.dockerenv)' : null),
  () => (existsSync('/run/.containerenv') ? 'podman (/run/.containerenv)' : null),
  () => (process.env.KUBERNETES_SERVICE_HOST ? 'kubernetes (KUBERNETES_SERVICE_HOST)' : null),
  () => (process.env.container ? `${process.env.container} ($container)` : null),
];

export function whereabouts(): Whereabouts {
  let sysctlWritable = false;
  try {
    accessSync('/proc/sys/fs/aio-max-nr', constants.W_OK);
    sysctlWritable = true;
  } catch {}
  for (const sign of SIGNS) {
    const c = sign();
    if (c) return { container: c, sysctlWritable };
  }
  return { container: null, sysctlWritable };
}
