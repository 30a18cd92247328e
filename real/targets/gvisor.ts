/**
 * Target: the worker inside gVisor, through `runsc do` (tested with Debian's runsc
 * 0.0~20221219, as root and as an ordinary user). The worker runs as init of a fresh sandbox on a
 * read-only view of the host's file system with a memory overlay on top, and
 * talks to the runner through the same stdin/stdout pipes (runsc donates them).
 *
 * What a run leaves behind, and why there is nothing:
 * - `runsc do` keeps its bundle and container state in a fresh $TMPDIR/runsc-do*
 *   directory and removes it only when it exits normally. Its TMPDIR is a private
 *   tmpfs mounted in a mount namespace of its own, so the state vanishes with the
 *   last process of the sandbox however it ends (SIGKILL included).
 * - runsc's sandbox and gofer processes get PDEATHSIG=SIGKILL from runsc
 *   (attached mode); runsc gets it from the runner through setpriv. Killing the
 *   runner or runsc (the runner SIGKILLs workers on timeouts) kills the sandbox.
 * - No cgroups, no network devices, no iptables rules (see the flags).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RealUnavailable } from '../arch.js';
import { onPath } from '../executables.js';
import { type Launch, workerEntry } from '../worker-process.js';

/** The command running `argv` in a sandbox that dies with its parent and leaves no state, or why it cannot be built. */
function sandboxed(argv: readonly string[]): { command: string; args: string[] } | string {
  if (process.platform !== 'linux') return `gVisor runs on Linux only, this is ${process.platform}`;
  const runsc = onPath('runsc');
  if (!runsc) return 'runsc not found: apt-get install runsc (or install gVisor from gvisor.dev)';
  // As root nothing more is needed. Otherwise we become root of a new user namespace (for
  // the tmpfs below) and runsc runs --rootless there (it then needs no real root at all).
  const rootless = process.getuid?.() !== 0;
  for (const tool of ['setpriv', 'unshare', 'sh', 'mount'])
    if (!onPath(tool)) return `${tool} not found (util-linux / coreutils)`;
  // The mount point (an empty directory, the only thing that stays on the host). Not the
  // temporary directory itself: the sandbox sees the host through this namespace, and a
  // worker or checkout under /tmp would disappear under the tmpfs.
  const state = join(tmpdir(), 'aiospec-runsc');
  try {
    mkdirSync(state, { recursive: true, mode: 0o700 });
  } catch (e) {
    return `cannot create ${state}: ${(e as Error).message}`;
  }
  return {
    // Die with the runner, even on SIGKILL (the sandbox then dies with runsc).
    command: onPath('setpriv')!,
    args: [
      '--pdeathsig',
      'KILL',
      '--',
      // A private mount namespace for the tmpfs holding runsc's state (see above).
      'unshare',
      ...(rootless ? ['--map-root-user'] : []),
      '--mount',
      '--propagation',
      'private',
      '--',
      'sh',
      '-c',
      'mount -t tmpfs -o mode=0700,size=16m aiospec-runsc "$0" && TMPDIR="$0" exec "$@"',
      state,
      runsc,
      ...(rootless ? ['--rootless'] : []),
      // No network stack: otherwise `do` creates a veth pair and a netns and edits host
      // iptables and net.ipv4.ip_forward, all left behind if runsc is killed.
      '--network=none',
      // Otherwise runsc creates /sys/fs/cgroup/*/runsc-NNNNNN, left behind if runsc is killed.
      '--ignore-cgroups',
      // The default in this release, pinned: needs no /dev/kvm (kvm never got the worker to
      // 'ready' in a nested VM here) and still exists in newer releases that default to systrap.
      '--platform=ptrace',
      'do',
      // Nothing from runsc itself on stdout: it carries the protocol.
      '--quiet',
      // The sandbox does not depend on the runner's working directory (it must exist on the host).
      '--cwd=/',
      ...argv,
    ],
  };
}

let cached: string | null | undefined;

/** null when gVisor can run the worker here, else the reason. Starts one trial sandbox (~0.2 s) the first time. */
export function gvisorAvailable(): string | null {
  if (cached === undefined) cached = probe();
  return cached;
}

function probe(): string | null {
  const s = sandboxed(['true']);
  if (typeof s === 'string') return s;
  const r = spawnSync(s.command, s.args, {
    encoding: 'utf8',
    timeout: 30_000,
    killSignal: 'SIGKILL',
  });
  if (r.error) return `runsc cannot start a sandbox: ${r.error.message}`;
  if (r.status === 0) return null;
  const how = r.signal ? `killed by ${r.signal}` : `exit status ${r.status}`;
  return `runsc cannot start a sandbox (${how}): ${(r.stderr ?? '').trim().slice(-500)}`;
}

/** The worker under gVisor; RealUnavailable saying what is missing when it cannot run here. */
export function gvisorLaunch(): Launch {
  const why = gvisorAvailable();
  if (why !== null) throw new RealUnavailable(why);
  const s = sandboxed([process.execPath, workerEntry()]);
  if (typeof s === 'string') throw new RealUnavailable(s);
  return {
    ...s,
    // The worker is init (pid 1) of the sandbox, so getppid() is 0 and its "parent already
    // gone" check would make it exit at once; 0 turns that check off. The sandbox dies with
    // runsc, and runsc with the runner (PDEATHSIG above), which is what the check stands for.
    // (The worker's environment also carries TMPDIR, set for runsc above; it does not use it.)
    env: { AIOSPEC_PARENT_PID: '0' },
  };
}

/**
 * Any command in a sandbox made as the worker's (the same flags and cleanup), e.g.
 * `aiospec doctor` seen from inside one; RealUnavailable saying why when it cannot run here.
 */
export function gvisorCommand(argv: readonly string[]): Launch {
  const why = gvisorAvailable();
  if (why !== null) throw new RealUnavailable(why);
  const s = sandboxed(argv);
  if (typeof s === 'string') throw new RealUnavailable(s);
  // Not a worker: it starts its own (inside the sandbox) and needs no death-with-parent setting.
  return s;
}
