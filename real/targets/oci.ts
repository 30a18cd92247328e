/**
 * Target: the worker inside a real OCI container, started by runc (or crun) from a bundle
 * generated for each worker (real/oci/bundle.ts), with the seccomp profile given, or none.
 *
 * The chain: runner -> sh (this file's WRAPPER) -> setpriv --pdeathsig KILL -> unshare
 * --mount (a private mount namespace) -> sh -> `runc run` -> the worker, pid 1 of the
 * container. Every step execs, so the process the runner started is `runc run` itself.
 *
 * What a run leaves behind, and why there is nothing, SIGKILL of the runner included:
 * - The bundle (config.json, and rootfs: a recursive bind mount of `/`) lives on a tmpfs
 *   mounted in the private mount namespace: both vanish with the namespace's last process.
 *   On the host there is only the empty mount point, one for all runs (like gVisor's).
 * - `runc run` gets SIGKILL when the runner dies (PDEATHSIG through setpriv), and the
 *   worker when runc dies (its own PR_SET_PDEATHSIG); the container's other processes die
 *   with its pid 1.
 * - runc's state (/run/runc/ID) and the container's cgroups are removed by `runc run` when
 *   the worker exits, but not when runc is killed. A watchdog, started by the wrapper in a
 *   session of its own (so neither the runner's death nor a kill of the runner's process
 *   group takes it), waits for the `runc run` process to be gone and then runs
 *   `runc delete --force ID`, which kills whatever is left of the container and removes its
 *   state and cgroups. It then exits.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { RealUnavailable } from '../arch.js';
import { onPath } from '../executables.js';
import { bundleConfig } from '../oci/bundle.js';
import type { OciSeccomp } from '../oci/seccomp-spec.js';
import { type Launch, WORKER_THREADPOOL_SIZE, workerEntry } from '../worker-process.js';

export const OCI_RUNTIMES = ['runc', 'crun'] as const;
export type OciRuntime = (typeof OCI_RUNTIMES)[number];

export interface OciOptions {
  readonly runtime?: OciRuntime;
  /** The container's linux.seccomp (none: no filter at all). */
  readonly seccomp?: OciSeccomp;
  /** A user namespace: container root is an unprivileged host id. */
  readonly rootless?: boolean;
}

/** Where each container's tmpfs is mounted, in its private mount namespace (an empty directory on the host). */
const MOUNT_POINT = '/run/aiospec-oci';

/**
 * The tmpfs is 0755: with --rootless the container's root is an unprivileged host uid, which
 * must reach its rootfs through it.
 * $1 runtime, $2 mount point, $3 config.json's text. The container id names the wrapper's
 * pid ($$, which becomes `runc run`'s: every step execs), unique while it runs.
 */
const WRAPPER = `rt=$1 dir=$2 config=$3 id=aiospec-$$
(setsid sh -c 'p=$1 rt=$2 id=$3
  while read -r _ _ st _ < /proc/$p/stat; do case $st in Z|X) break;; esac; sleep 0.2; done
  "$rt" delete --force "$id"' sh $$ "$rt" "$id" </dev/null >/dev/null 2>&1 &)
exec setpriv --pdeathsig KILL -- unshare --mount --propagation private -- sh -c '
  mount -t tmpfs -o mode=0755,size=1m aiospec-oci "$2" || exit 70
  mkdir "$2/rootfs" && printf %s "$3" > "$2/config.json" || exit 70
  mount --rbind / "$2/rootfs" || exit 70
  exec "$1" run --bundle "$2" "$4"' sh "$rt" "$dir" "$config" "$id"`;

/** The container's whole environment: the worker's settings and the runner's AIOSPEC_* (a test run's mark included). */
function containerEnv(): Record<string, string> {
  const env: Record<string, string> = {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  };
  for (const [k, v] of Object.entries(process.env))
    if (k.startsWith('AIOSPEC_') && v !== undefined) env[k] = v;
  // Never sandboxed itself: its sandboxes are its children (as WorkerProcess.start does on the host).
  delete env.AIOSPEC_SECCOMP_ERRNO;
  delete env.AIOSPEC_SECCOMP_BPF;
  // pid 1 of its namespace: getppid() is 0; it dies with runc, runc with the runner (see above).
  env.AIOSPEC_PARENT_PID = '0';
  env.UV_THREADPOOL_SIZE = String(WORKER_THREADPOOL_SIZE);
  return env;
}

/** The command running `argv` in a fresh container, or why it cannot be built here. */
function containerized(argv: readonly string[], o: OciOptions): Launch | string {
  if (process.platform !== 'linux')
    return `OCI containers run on Linux only, this is ${process.platform}`;
  const runtime = o.runtime ?? 'runc';
  const path = onPath(runtime);
  if (!path) return `${runtime} not found: apt-get install ${runtime}`;
  if (process.getuid?.() !== 0)
    return `${runtime} needs root here (a rootless runtime as an ordinary user is not supported yet; --rootless puts the container in a user namespace, started as root)`;
  for (const tool of ['setpriv', 'setsid', 'unshare', 'mount'])
    if (!onPath(tool)) return `${tool} not found (util-linux)`;
  try {
    mkdirSync(MOUNT_POINT, { recursive: true, mode: 0o700 });
  } catch (e) {
    return `cannot create ${MOUNT_POINT}: ${(e as Error).message}`;
  }
  const config = bundleConfig({
    argv,
    env: containerEnv(),
    ...(o.seccomp ? { seccomp: o.seccomp } : {}),
    ...(o.rootless ? { rootless: true } : {}),
  });
  return {
    command: onPath('sh') ?? '/bin/sh',
    args: ['-c', WRAPPER, 'sh', path, MOUNT_POINT, JSON.stringify(config)],
    signalAsStatus: true,
  };
}

const probed = new Map<string, string | null>();

/** null when the runtime can start a container here, else the reason (one trial container, ~0.3 s, the first time). */
export function ociAvailable(o: OciOptions = {}): string | null {
  const key = `${o.runtime ?? 'runc'}${o.rootless ? ' rootless' : ''}`;
  if (!probed.has(key)) probed.set(key, probe(o));
  return probed.get(key)!;
}

function probe(o: OciOptions): string | null {
  // The trial runs without the profile: a profile's own effects are what the run is for.
  const { seccomp: _ignored, ...plain } = o;
  const l = containerized(['/bin/true'], plain);
  if (typeof l === 'string') return l;
  const r = spawnSync(l.command, [...l.args], {
    encoding: 'utf8',
    timeout: 30_000,
    killSignal: 'SIGKILL',
  });
  const runtime = o.runtime ?? 'runc';
  if (r.error) return `${runtime} cannot start a container: ${r.error.message}`;
  if (r.status === 0) return null;
  const how = r.signal ? `killed by ${r.signal}` : `exit status ${r.status}`;
  return `${runtime} cannot start a container here (${how}): ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' ').slice(-500)}`;
}

/** The worker in an OCI container; RealUnavailable saying why when it cannot run here. */
export function ociLaunch(o: OciOptions = {}): Launch {
  return ociCommand([process.execPath, workerEntry()], o);
}

/**
 * Any command in a container made as the worker's (the same bundle, profile and cleanup),
 * e.g. `aiospec doctor` seen from inside one; RealUnavailable saying why when it cannot run
 * here. Only PATH and the AIOSPEC_* variables reach it.
 */
export function ociCommand(argv: readonly string[], o: OciOptions = {}): Launch {
  const why = ociAvailable(o);
  if (why !== null) throw new RealUnavailable(why);
  const l = containerized(argv, o);
  if (typeof l === 'string') throw new RealUnavailable(l);
  return l;
}
