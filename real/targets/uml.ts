/**
 * Run the worker inside a second Linux kernel: user-mode Linux (UML, Debian's
 * `user-mode-linux` package, `linux.uml`, Linux 6.1, or any UML binary such as
 * those `aiospec kernel build` makes), booted with the host's files as its
 * root file system. The runner drives that kernel's
 * io_setup/io_destroy through the usual JSON lines on the child's stdin/stdout.
 *
 *   runner ─stdin─▶ host relay ─fd 0─▶ UML ssl0 = guest /dev/ttyS0 ─▶ guest relay ─FIFO─▶ worker
 *   runner ◀─stdout──────────────────── UML ssl0 = guest /dev/ttyS0 ◀────────────────────── worker
 *            host relay ◀─fd 3───────── UML ssl1 = guest /dev/ttyS1 ◀─ guest relay (acks)
 *   runner ◀─stderr──────────────────── UML con0 = guest /dev/console (kernel, guest stderr)
 *
 * Transport. The console is where the kernel prints, so the protocol has a
 * serial line of its own (ssl0). Guest ttys echo input, turn \n into \r\n and
 * edit lines: the init script sets both serial lines raw (`stty raw -echo`)
 * before anything runs, and the runner writes only after `ready`. The host's
 * stdout then carries the worker's JSON lines and nothing else (no boot
 * messages, no \r, no echo). Input needs more: UML 6.1's line driver turns a
 * serial line's input interrupt off the first time the tty throttles (more
 * than ~3968 bytes unread) and never turns it back on, after which the line
 * reads nothing more: any request over ~4 KB hung the session. The two relays
 * (uml-host-relay.ts, uml-guest-relay.ts) keep at most 2 KiB in flight,
 * acknowledged over ssl1, so the tty never throttles. Output needs nothing.
 *
 * Guest init. No file is written: init is `/bin/sh -c "<script>"`, the script
 * travelling on the kernel command line (after `--` the kernel hands the words
 * to init as argv; a double-quoted word keeps its spaces). The shell stays PID
 * 1, runs the relay and the worker as its children, stores the worker's exit
 * status in /proc/exitcode (UML exits with it) and powers off with sysrq-o.
 * The worker is not PID 1 (PID 1 ignores default-action signals: the crash
 * test would hang), and its exit does not panic the kernel.
 *
 * Host processes and files: see UmlIsolation and HOST_WRAPPER. In short, UML
 * (5+ host processes) dies with the host relay, which dies with the runner,
 * SIGKILL included, and leaves no processes, core files or temp files behind.
 *
 * One kernel per run. The worker launched here is the engine's main worker;
 * its seccomp sandboxes and processes that never made a context are its
 * children inside the guest (real/worker/children.ts), so the guest boots once
 * and each of them costs a Node start-up in it (about 1.5 s, mostly waiting:
 * the engine starts them together, and three take about as long as one), not
 * a boot. They die with the main worker (PR_SET_PDEATHSIG), and it with the
 * guest.
 *
 * The thread pool. WorkerProcess gives the launched command
 * $UV_THREADPOOL_SIZE; the host wrapper turns it into the kernel parameter
 * `aiospec_uvpool=N`, which the guest kernel puts into init's environment,
 * and the script hands it to the worker (capped, see
 * UmlOptions.threadPoolCap); the worker's children inherit it.
 *
 * The guest is a uniprocessor (Debian builds UML with NR_CPUS=1) with its own
 * aio-max-nr at the default, 65536, whatever the host's is.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RealUnavailable } from '../arch.js';
import { isExecutable, onPath } from '../executables.js';
import { type Launch, workerEntry } from '../worker-process.js';

export interface UmlOptions {
  /** Guest RAM (UML `mem=`); node and a few filler rings fit in 512M. */
  readonly mem?: string;
  /** The UML kernel binary; default: $AIOSPEC_UML, else linux.uml on PATH, /usr/bin/linux.uml, /usr/bin/linux. */
  readonly kernel?: string;
  /** How UML's host processes are cleaned up (default: the best this host allows, see umlIsolation). */
  readonly isolation?: UmlIsolation;
  /**
   * Largest UV_THREADPOOL_SIZE given to the guest worker (default 8; the
   * runner asks for more). Each pool thread costs ~20 ms of boot under UML
   * (1024 threads: 23 s to ready, 64: 2.6 s), idle pool threads slow the
   * start of child workers (measured again with them in use: 64, 2.1 s; 8,
   * 1.4 s), and io_destroy returns at once on UML's single CPU, so a big pool
   * buys nothing there.
   */
  readonly threadPoolCap?: number;
}

/** The UML kernel binary, or null when user-mode Linux is not installed. */
export function umlAvailable(): string | null {
  if (process.platform !== 'linux') return null;
  const override = process.env.AIOSPEC_UML;
  if (override) return isExecutable(override) ? override : null;
  const direct = onPath('linux.uml', { orStandardDirs: true });
  if (direct) return direct;
  // Debian's /usr/bin/linux is an alternatives link to linux.uml; only trust it if it is one.
  try {
    const real = realpathSync('/usr/bin/linux');
    if (basename(real) === 'linux.uml' && isExecutable(real)) return real;
  } catch {
    /* absent */
  }
  return null;
}

/**
 * Paths go into the guest script inside single quotes, and the script inside
 * double quotes on the kernel command line: no quotes, backslashes, whitespace
 * or control characters.
 */
function checkGuestPath(what: string, path: string): string {
  if (!/^\/[\w./+@:,=-]*$/.test(path))
    throw new RealUnavailable(
      `${what} path ${JSON.stringify(path)} cannot be passed to the UML guest (quotes, spaces or control characters)`,
    );
  return path;
}

/** Where UML keeps its per-instance pid file and mconsole socket (one private directory per user). */
function umlDir(): string {
  const uid = process.getuid?.() ?? 0;
  const dir = join(tmpdir(), `aiospec-uml-${uid}`);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST')
      throw new RealUnavailable(`cannot create ${dir}: ${(e as Error).message}`);
  }
  const st = lstatSync(dir);
  if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o022) !== 0)
    throw new RealUnavailable(`${dir} is not a private directory of uid ${uid}`);
  return dir;
}

/** Remove <dir>/aiospec-* instance directories left by UMLs that were killed (their pid is gone). */
function sweepStale(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith('aiospec-')) continue;
    const sub = join(dir, name);
    try {
      let dead: boolean;
      try {
        const pid = Number.parseInt(readFileSync(join(sub, 'pid'), 'utf8'), 10);
        dead = !(pid > 0) || !processExists(pid);
      } catch {
        // No pid file: either being created right now or abandoned; only old ones are abandoned.
        dead = Date.now() - statSync(sub).mtimeMs > 60_000;
      }
      if (dead) rmSync(sub, { recursive: true, force: true });
    } catch {
      /* raced with its owner or another sweeper */
    }
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

let launches = 0;

/**
 * The guest's init, one line of sh (it travels on the kernel command line).
 * $aiospec_uvpool comes from the kernel parameter of that name (init's
 * environment, put there by the host wrapper).
 */
function guestScript(node: string, worker: string, relay: string): string {
  const fifo = '/dev/shm/aiospec-stdin';
  return [
    'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    'export PATH',
    // Report on the console (host stderr), exit UML with status 71 and power off; without
    // /proc, just exit: the kernel panics and UML aborts (the runner sees SIGABRT).
    'die() { echo aiospec-uml: $1 failed >&2; echo 71 2>/dev/null > /proc/exitcode && echo o > /proc/sysrq-trigger && exec sleep 60; exit 71; }',
    // In a user namespace (isolation 'userns') hostfs shows root's files as owned by the
    // overflow uid, and a set-uid mount(8) would run as that uid: use a plain copy on
    // /dev (devtmpfs, mounted by the kernel: CONFIG_DEVTMPFS_MOUNT).
    'm=$(command -v mount)',
    'if [ -u $m ] && cp $m /dev/.aiospec-mount; then m=/dev/.aiospec-mount; fi',
    "$m -t proc proc /proc || die 'mount /proc'",
    // Node.js calls getrandom() as it starts, which blocks until the kernel's random pool is
    // initialized (entropy_avail reaches its 256 bits): on a kernel that never credits a seed
    // (6.1 without CONFIG_RANDOM_TRUST_BOOTLOADER) the worker would never say ready. Say why on
    // the console: its last line is what the runner's start failure quotes (no quotes in the words).
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion
    'e=$(cat /proc/sys/kernel/random/entropy_avail 2>/dev/null); [ ${e:-256} -ge 256 ] || echo aiospec-uml: random pool not initialized, entropy_avail $e of 256: getrandom and so Node.js wait for it, CONFIG_RANDOM_TRUST_BOOTLOADER=y seeds it from the host >&2',
    // possibleCpus reads /sys/devices/system/cpu/possible.
    "$m -t sysfs sysfs /sys || die 'mount /sys'",
    // In case the kernel did not mount devtmpfs:
    "[ -c /dev/ttyS0 ] || $m -t devtmpfs devtmpfs /dev || die 'mount /dev'",
    // A guest-side scratch directory (the root, the host's /, is read-only): TMPDIR and the FIFO.
    "mkdir -p /dev/shm && $m -t tmpfs -o mode=1777 shm /dev/shm || die 'mount /dev/shm'",
    // Fault injection (a kernel built with it): fail-nth counts only the allocations these
    // knobs let fail; by default failslab and fail_page_alloc skip those that may sleep
    // (ignore-gfp-wait) and fail_page_alloc single pages (min-order 1), which are most of io_setup's.
    `[ ! -e /proc/self/fail-nth ] || { $m -t debugfs debugfs /sys/kernel/debug && d=/sys/kernel/debug && echo N > $d/failslab/ignore-gfp-wait && echo N > $d/fail_page_alloc/ignore-gfp-wait && echo 0 > $d/fail_page_alloc/min-order; } || die 'fault injection set-up'`,
    'rm -f /dev/.aiospec-mount',
    // The console (fd 2 here, the guest's stderr) without \n -> \r\n, for readable stderr.
    'stty -opost 0<&2 2>/dev/null',
    // The protocol line and the ack line: raw (no echo, no line editing, no \r\n, no signal characters, 8-bit).
    "stty -F /dev/ttyS0 raw -echo || die 'stty raw on /dev/ttyS0'",
    "stty -F /dev/ttyS1 raw -echo || die 'stty raw on /dev/ttyS1'",
    `mkfifo -m 600 ${fifo} || die mkfifo`,
    // The guest relay: ttyS0 -> FIFO -> the worker's stdin, acks on ttyS1 (uml-guest-relay.ts).
    `env -i '${node}' '${relay}' </dev/ttyS0 >${fifo} 3>/dev/ttyS1 & r=$!`,
    // The worker in a clean environment: no AIOSPEC_PARENT_PID (its parent here is this shell).
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansions
    'env -i PATH=$PATH HOME=/ TMPDIR=/dev/shm UV_THREADPOOL_SIZE=${aiospec_uvpool:-8}' +
      ` '${node}' '${worker}' <${fifo} >/dev/ttyS0`,
    // UML exits with the worker's status (128+N: killed by signal N). When it is not 0,
    // say so on stderr with the kernel's OOM reports, if any (loglevel=3 keeps them off the console).
    'rc=$?',
    'echo $rc > /proc/exitcode',
    "[ $rc = 0 ] || { echo aiospec-uml: worker exit status $rc >&2; dmesg 2>/dev/null | grep -i -e 'out of memory' -e oom-kill >&2; }",
    'kill -9 $r 2>/dev/null',
    // Power off now; PID 1 must outlive the request (its exit would panic the kernel).
    'echo o > /proc/sysrq-trigger',
    'exec sleep 60',
  ].join('; ');
}

/**
 * How UML's host processes are made to go away with it. UML is several host
 * processes: the kernel, helper processes (sharing its memory and file table,
 * polling for SIGIO) and one ptraced process per guest address space. SIGKILL
 * of the kernel process kills the ptraced ones but NOT the helpers: they poll
 * forever, holding the runner's stdout pipe open.
 * - 'ns': UML runs in a PID namespace of its own (unshare --pid --fork
 *   --kill-child): when its init (a sh waiting for UML) dies, the kernel kills
 *   everything else in the namespace. A private mount namespace holds a tmpfs
 *   on /dev/shm for UML's pid file, mconsole socket and memory file, which
 *   vanish with it: nothing at all is left on the host. Needs CAP_SYS_ADMIN.
 * - 'userns': the same inside a user namespace (unprivileged users), where
 *   the kernel allows it.
 * - 'watch': no namespaces. A detached watchdog polls the UML kernel process
 *   (every 0.2 s) and SIGKILLs UML's process group once it is gone or a zombie;
 *   uml_dir is a private directory under the temp dir, swept at each launch.
 */
export type UmlIsolation = 'ns' | 'userns' | 'watch';

const NS_FLAGS: Readonly<Record<'ns' | 'userns', readonly string[]>> = {
  ns: ['--pid', '--mount', '--fork', '--kill-child=KILL'],
  userns: ['--user', '--map-root-user', '--pid', '--mount', '--fork', '--kill-child=KILL'],
};

let probed: UmlIsolation | null = null;

/** The best isolation this host allows (probed once: unshare plus a tmpfs mount, ~10 ms). */
export function umlIsolation(): UmlIsolation {
  if (probed) return probed;
  probed = 'watch';
  const unshare = onPath('unshare', { orStandardDirs: true });
  if (unshare && isDir('/dev/shm')) {
    for (const mode of ['ns', 'userns'] as const) {
      if (mode === 'ns' && process.getuid?.() !== 0) continue;
      const r = spawnSync(
        unshare,
        [
          ...NS_FLAGS[mode],
          '--',
          'sh',
          '-c',
          'mount -t tmpfs -o mode=0700,size=1m aiospec-probe /dev/shm',
        ],
        { stdio: 'ignore', timeout: 10_000 },
      );
      if (r.status === 0) {
        probed = mode;
        break;
      }
    }
  }
  return probed;
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Run on the host by sh -c, as the host relay's child: $1 isolation mode, $2
 * linux.uml, $3 uml_dir, $4 the largest guest thread pool, then the kernel
 * parameters (ending with `-- -c "<script>"`). Every step execs, so with
 * 'watch' the relay's child is the UML kernel process. With the namespaces it
 * is unshare, whose child (SIGKILLed when unshare dies: --kill-child) is a sh
 * as PID 1 of the namespace, whose child is the UML kernel process. Not UML
 * itself as PID 1: a panicking UML abort()s, and abort()'s SIGABRT does not
 * kill a namespace's init; UML then spins forever at 100% CPU.
 * - setpriv --pdeathsig KILL: UML dies with the relay, SIGKILL included.
 * - setsid: a panicking UML abort()s after kill(0, SIGTERM), i.e. SIGTERMs its
 *   whole process group: in a session of its own that is UML alone, not the
 *   runner and its test framework.
 * - ulimit -c 0 (set for the relay already): that abort() leaves no core file.
 * - $UV_THREADPOOL_SIZE, set by WorkerProcess, goes to the guest as a kernel
 *   parameter (init's environment, see guestScript).
 */
const HOST_WRAPPER = `mode=$1 uml=$2 dir=$3 cap=$4
shift 4
t=\${UV_THREADPOOL_SIZE:-$cap}
case $t in ''|*[!0-9]*) echo "aiospec-uml: UV_THREADPOOL_SIZE=$t is not a number" >&2; exit 64;; esac
[ "$t" -le "$cap" ] || t=$cap
set -- "$uml" "uml_dir=$dir" "aiospec_uvpool=$t" "$@"
case $mode in
ns|userns)
  if [ "$mode" = userns ]; then u='--user --map-root-user'; else u=; fi
  exec setpriv --pdeathsig KILL -- unshare $u --pid --mount --fork --kill-child=KILL -- sh -c '
    mount -t tmpfs -o mode=0700 aiospec-uml /dev/shm || exit 70
    unset TMPDIR TEMP TMP
    setsid -- "$@"' sh "$@" ;;
watch)
  (setsid sh -c 'p=$1
    while read -r _ _ st _ < /proc/$p/stat; do case $st in Z|X) break;; esac; sleep 0.2; done
    kill -KILL -$p' sh $$ </dev/null >/dev/null 2>&1 &)
  exec setsid -- setpriv --pdeathsig KILL -- "$@" ;;
*) echo "aiospec-uml: unknown isolation $mode" >&2; exit 64 ;;
esac`;

/** A compiled sibling module (dist/real/targets/<name>.js), also when running from TypeScript sources. */
function distFile(name: string): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [
    resolve(here, `${name}.js`),
    resolve(here, `../../dist/real/targets/${name}.js`),
  ];
  const found = candidates.find((p) => existsSync(p));
  if (!found)
    throw new RealUnavailable(
      `${name}.js not built (looked for ${candidates.join(', ')}); run npm run build`,
    );
  return found;
}

/**
 * The Launch that runs the worker under user-mode Linux; RealUnavailable when
 * it cannot. Runner -> sh (ulimit -c 0) -> setpriv --pdeathsig KILL -> node
 * uml-host-relay.js -> HOST_WRAPPER -> [unshare ->] linux.uml.
 */
export function umlLaunch(options: UmlOptions = {}): Launch {
  if (process.platform !== 'linux')
    throw new RealUnavailable(`user-mode Linux needs a Linux host, this is ${process.platform}`);
  const kernel = options.kernel ?? umlAvailable();
  if (!kernel || !isExecutable(kernel))
    throw new RealUnavailable(
      options.kernel
        ? `${options.kernel} is not an executable UML kernel`
        : process.env.AIOSPEC_UML
          ? `AIOSPEC_UML=${process.env.AIOSPEC_UML} is not an executable UML kernel`
          : 'linux.uml not found: apt-get install user-mode-linux (or set AIOSPEC_UML)',
    );
  const setpriv = onPath('setpriv', { orStandardDirs: true });
  for (const tool of ['setpriv', 'setsid', 'unshare'])
    if (!onPath(tool, { orStandardDirs: true }))
      throw new RealUnavailable(
        `${tool} not found (util-linux): needed so that UML dies with the runner`,
      );
  const sh = onPath('sh', { orStandardDirs: true });
  if (!sh) throw new RealUnavailable('no sh on the host');
  let worker: string;
  try {
    worker = workerEntry();
  } catch (e) {
    throw new RealUnavailable((e as Error).message);
  }
  const hostRelay = distFile('uml-host-relay');
  const guestRelay = checkGuestPath('guest relay', distFile('uml-guest-relay'));
  const node = checkGuestPath('node', process.execPath);
  checkGuestPath('worker', worker);
  const isolation = options.isolation ?? umlIsolation();
  let dir: string;
  if (isolation === 'watch') {
    dir = checkGuestPath('uml_dir', umlDir());
    sweepStale(dir);
  } else dir = '/dev/shm'; // a tmpfs of UML's own mount namespace
  const umid = `aiospec-${process.pid}-${launches++}-${randomBytes(3).toString('hex')}`;
  const mem = options.mem ?? '512M';
  if (!/^\d+[kKmMgG]?$/.test(mem)) throw new RealUnavailable(`bad UML mem= value ${mem}`);
  const poolCap = options.threadPoolCap ?? 8;
  if (!Number.isInteger(poolCap) || poolCap < 1 || poolCap > 1024)
    throw new RealUnavailable(`bad guest thread pool cap ${poolCap}`);
  const script = guestScript(node, worker, guestRelay);
  // The kernel's parser ends a quoted word at the next double quote; a newline would end the line.
  if (/["\n]/.test(script))
    throw new Error('internal: the UML init script must not hold " or newlines');

  // The host wrapper adds uml_dir= and aiospec_uvpool= in front of these.
  const kernelArgs = [
    // Guest RAM. UML maps it from an unlinked file in $TMPDIR or /dev/shm; untouched pages cost nothing.
    `mem=${mem}`,
    // Root file system: the host's / through hostfs, read-only. Read-only is what keeps the guest
    // (root in there) from changing host files, and even the host's kernel: before the guest mounts
    // its own /proc, /proc/sysrq-trigger is the host's, seen through hostfs.
    'root=/dev/root',
    'rootfstype=hostfs',
    'rootflags=/',
    'ro',
    // UML's own start-up checks ("Checking that ptrace can change system call numbers...") off stderr.
    'quiet',
    // Only critical kernel messages (panics, oopses) on the console, i.e. the host's stderr:
    // at the `quiet` level every boot prints four harmless errors (SELinux checkreqprot,
    // mmapper, ubd0) into what the runner shows as a crashed worker's stderr.
    'loglevel=3',
    // No console or serial line is attached to anything unless named below
    // (the defaults would try xterms and ptys and print an error per line).
    'con=null',
    'ssl=null',
    // /dev/console (tty0): no input, output to the host's stderr.
    'con0=null,fd:2',
    // /dev/ttyS0: the protocol, on the host relay's pipe (input) and the runner's stdout (output).
    'ssl0=fd:0,fd:1',
    // /dev/ttyS1: output only, the guest relay's acks to the host relay.
    'ssl1=null,fd:3',
    // printk to tty0 (said explicitly, else UML appends console=tty0 after our `--`, into init's argv).
    'console=tty0',
    // Instance name (pid file and mconsole socket in <uml_dir>/<umid>/).
    `umid=${umid}`,
    'init=/bin/sh',
    // Everything after -- is init's argv[1..]: sh -c "<script>".
    '--',
    '-c',
    `"${script}"`,
  ];
  // UML refuses (exits) when its command line passes COMMAND_LINE_SIZE, 4096 bytes (arch/um).
  const reserve = 'uml_dir= aiospec_uvpool=1024 '.length + dir.length;
  const length = kernelArgs.join(' ').length + reserve;
  if (length >= 4096)
    throw new RealUnavailable(
      `the UML kernel command line would be ${length} bytes, over 4095: shorten the node, worker or temp dir paths`,
    );
  const umlCommand = {
    command: sh,
    args: [
      '-c',
      HOST_WRAPPER,
      'aiospec-uml',
      isolation,
      kernel,
      dir,
      String(poolCap),
      ...kernelArgs,
    ],
  };
  return {
    command: sh,
    args: [
      '-c',
      'ulimit -c 0; exec "$@"',
      'aiospec-uml',
      setpriv!,
      '--pdeathsig',
      'KILL',
      '--',
      node,
      hostRelay,
      JSON.stringify(umlCommand),
    ],
  };
}
