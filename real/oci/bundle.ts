/**
 * The OCI bundle's config.json for the worker's container, as data. Its root is the host's
 * own file system, read-only (a recursive bind mount of `/` made by the launch, since runc
 * cannot pivot_root into `/` itself), so the worker runs the same node and the same build
 * as the runner. Fresh pid, mount, ipc and uts namespaces, and a network namespace (with
 * only a loopback device: runc mounts /sys there, which the kernel refuses in the host's
 * network namespace); a user namespace too with `rootless`. No `resources`: nothing is
 * limited, and a hybrid-cgroup host refuses some of them.
 */
import type { OciSeccomp } from './seccomp-spec.js';

/** Docker's default capabilities: what most containers run with (and what profiles' includes.caps see). */
export const CONTAINER_CAPS: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

/** Host ids container root maps to with `rootless`: an unprivileged range, as a rootless runtime's subuids. */
export const ROOTLESS_ID_BASE = 100_000;
const ROOTLESS_ID_COUNT = 65_536;

export interface BundleOptions {
  readonly argv: readonly string[];
  /** The container process's whole environment (nothing is inherited from the runtime). */
  readonly env: Readonly<Record<string, string>>;
  readonly seccomp?: OciSeccomp;
  readonly rootless?: boolean;
  readonly hostname?: string;
}

const MOUNTS = [
  { destination: '/proc', type: 'proc', source: 'proc' },
  {
    destination: '/dev',
    type: 'tmpfs',
    source: 'tmpfs',
    options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
  },
  {
    destination: '/dev/pts',
    type: 'devpts',
    source: 'devpts',
    options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'],
  },
  {
    destination: '/dev/shm',
    type: 'tmpfs',
    source: 'shm',
    options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'],
  },
  {
    destination: '/sys',
    type: 'sysfs',
    source: 'sysfs',
    options: ['nosuid', 'noexec', 'nodev', 'ro'],
  },
  // The worker's temporary files (none today) and anything under /tmp stay in the container.
  {
    destination: '/tmp',
    type: 'tmpfs',
    source: 'tmpfs',
    options: ['nosuid', 'nodev', 'mode=1777', 'size=16m'],
  },
];

/** runc's own defaults (`runc spec`): what a container may not see or change. /proc/sys is read-only: aio-max-nr too. */
const MASKED = [
  '/proc/acpi',
  '/proc/asound',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/sys/firmware',
  '/proc/scsi',
];
const READ_ONLY = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export function bundleConfig(o: BundleOptions): object {
  const caps = [...CONTAINER_CAPS];
  const idMap = [{ containerID: 0, hostID: ROOTLESS_ID_BASE, size: ROOTLESS_ID_COUNT }];
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: [...o.argv],
      env: Object.entries(o.env).map(([k, v]) => `${k}=${v}`),
      cwd: '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      // runc's default; the worker needs about 64 descriptors of its own.
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: o.hostname ?? 'aiospec',
    mounts: MOUNTS,
    linux: {
      namespaces: [
        { type: 'pid' },
        { type: 'mount' },
        { type: 'ipc' },
        { type: 'uts' },
        { type: 'network' },
        ...(o.rootless ? [{ type: 'user' }] : []),
      ],
      ...(o.rootless ? { uidMappings: idMap, gidMappings: idMap } : {}),
      maskedPaths: MASKED,
      readonlyPaths: READ_ONLY,
      ...(o.seccomp ? { seccomp: o.seccomp } : {}),
    },
  };
}
