/**
 * Who maps AIO rings on this host: every process whose /proc/PID/maps shows
 * the kernel's ring file ("/[aio] (deleted)"), with each ring's size. Host facts
 * only; what a ring's size says about nr_events is the model's business.
 *
 * Speed matters (a host may run thousands of processes, and a /proc read costs
 * tens of microseconds in syscalls alone): per pid one open, reads into one
 * reused buffer until EOF, one close (half the cost of readFileSync, which also
 * fstat()s, allocates and decodes; async reads cost more still), a byte search
 * before any decoding (most processes hold no ring, and kernel threads have
 * empty maps), and comm/cgroup/stat read only for the few that hold something.
 */
import { closeSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';

/** One context's ring as seen in a process: its ring file (dev:inode) and mapped bytes. */
export interface RingSeen {
  readonly file: string;
  readonly bytes: number;
}

export interface ScannedHolder {
  readonly pid: number;
  /** /proc/PID/comm (null when the process exited before it was read). */
  readonly comm: string | null;
  /** /proc/PID/cgroup as the kernel prints it (null when unreadable). */
  readonly cgroup: string | null;
  /** The rings that are this process's own contexts. */
  readonly rings: readonly RingSeen[];
  /**
   * Ring mappings this process got through fork(): the child keeps the parent's
   * ring mapping but not the context (only the creator's mm lists it), so they are
   * not counted as its contexts.
   */
  readonly inherited: number;
}

export interface HolderScan {
  readonly holders: readonly ScannedHolder[];
  /** Processes looked at (this one excluded). */
  readonly scanned: number;
  /** Processes whose maps could not be read (EACCES/EPERM: another user's, without root). */
  readonly unreadable: readonly { readonly pid: number; readonly comm: string | null }[];
  /** Processes that exited between the directory listing and the read: they hold nothing now. */
  readonly exited: number;
  /** Rings mapped by several processes none of which descends from another (the creator exited?). */
  readonly ambiguous: number;
  /** /proc is mounted with hidepid: other users' processes are not even listed. */
  readonly hidepid: boolean;
  readonly elapsedMs: number;
}

const RING_MARK = '/[aio]';
/** "start-end perms offset dev inode path" */
const MAP_LINE = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ (\S+) (\d+)/;

/** The rings in one maps text, merged per ring file (a ring split by mprotect is still one context). */
export function ringsInMaps(text: string): RingSeen[] {
  const byFile = new Map<string, number>();
  for (let at = text.indexOf(RING_MARK); at >= 0; at = text.indexOf(RING_MARK, at + 1)) {
    const start = text.lastIndexOf('\n', at) + 1;
    const end = text.indexOf('\n', at);
    const line = text.slice(start, end < 0 ? text.length : end);
    const m = MAP_LINE.exec(line);
    if (!m || !line.slice(m[0].length).trimStart().startsWith(RING_MARK)) continue;
    const bytes = Number(BigInt(`0x${m[2]}`) - BigInt(`0x${m[1]}`));
    const file = `${m[3]}:${m[4]}`;
    byFile.set(file, (byFile.get(file) ?? 0) + bytes);
  }
  return [...byFile].map(([file, bytes]) => ({ file, bytes }));
}

let buffer = Buffer.alloc(256 * 1024);

/** The whole of a /proc file into the shared buffer; returns its length. Throws like openSync/readSync. */
function readProc(path: string): number {
  const fd = openSync(path, 'r');
  try {
    let off = 0;
    for (;;) {
      if (off === buffer.length) {
        const bigger = Buffer.alloc(buffer.length * 2);
        buffer.copy(bigger);
        buffer = bigger;
      }
      const n = readSync(fd, buffer, off, buffer.length - off, null);
      if (n === 0) return off;
      off += n;
    }
  } finally {
    closeSync(fd);
  }
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return null;
  }
}

/** PPid from /proc/PID/stat (field 4, after the comm, which may hold spaces and parentheses). */
function parentOf(pid: number): number | null {
  const stat = readOrNull(`/proc/${pid}/stat`);
  if (stat === null) return null;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ppid = Number(fields[1]);
  return Number.isInteger(ppid) ? ppid : null;
}

/**
 * For a ring file mapped by several processes, the one that created it: the
 * member no other member is an ancestor of. Returns the owner and whether that
 * was clear (false: several unrelated members; the lowest pid is taken).
 */
function ownerOf(pids: readonly number[], parents: Map<number, number | null>): [number, boolean] {
  const members = new Set(pids);
  const parent = (p: number) => {
    if (!parents.has(p)) parents.set(p, parentOf(p));
    return parents.get(p) ?? null;
  };
  const roots = pids.filter((p) => {
    for (let a = parent(p), hops = 0; a !== null && a > 0 && hops < 4096; a = parent(a), hops++)
      if (members.has(a)) return false;
    return true;
  });
  const sorted = (roots.length > 0 ? roots : [...pids]).sort((a, b) => a - b);
  return [sorted[0]!, roots.length === 1];
}

function hidepidMounted(): boolean {
  const mounts = readOrNull('/proc/self/mountinfo') ?? '';
  return mounts
    .split('\n')
    .some((l) => l.split(' ')[4] === '/proc' && / - proc .*hidepid=(?!0\b|off\b)/.test(l));
}

/** Scan every process's maps for AIO rings. `exclude`: pids to leave out (this process is always left out). */
export function scanAioHolders(exclude: readonly number[] = []): HolderScan {
  const t0 = performance.now();
  const skip = new Set([process.pid, ...exclude]);
  const pids = readdirSync('/proc')
    .filter((n) => n.charCodeAt(0) >= 48 && n.charCodeAt(0) <= 57)
    .map(Number)
    .filter((p) => !skip.has(p));
  const unreadable: { pid: number; comm: string | null }[] = [];
  let exited = 0;
  const seen = new Map<number, RingSeen[]>();
  for (const pid of pids) {
    let length: number;
    try {
      length = readProc(`/proc/${pid}/maps`);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ESRCH') exited++;
      // Their name is public, and tells the reader whether they matter (mysqld or sshd?).
      else unreadable.push({ pid, comm: readOrNull(`/proc/${pid}/comm`)?.trimEnd() ?? null });
      continue;
    }
    if (buffer.subarray(0, length).indexOf(RING_MARK) < 0) continue;
    const rings = ringsInMaps(buffer.toString('latin1', 0, length));
    if (rings.length > 0) seen.set(pid, rings);
  }

  // A ring file mapped by more than one process was inherited through fork: only its creator holds the context.
  const mappers = new Map<string, number[]>();
  for (const [pid, rings] of seen)
    for (const r of rings) mappers.set(r.file, [...(mappers.get(r.file) ?? []), pid]);
  const owner = new Map<string, number>();
  const parents = new Map<number, number | null>();
  let ambiguous = 0;
  for (const [file, list] of mappers) {
    if (list.length < 2) continue;
    const [o, clear] = ownerOf(list, parents);
    owner.set(file, o);
    if (!clear) ambiguous++;
  }

  const holders: ScannedHolder[] = [];
  for (const [pid, rings] of seen) {
    const own = rings.filter((r) => (owner.get(r.file) ?? pid) === pid);
    holders.push({
      pid,
      comm: readOrNull(`/proc/${pid}/comm`)?.trimEnd() ?? null,
      cgroup: readOrNull(`/proc/${pid}/cgroup`),
      rings: own,
      inherited: rings.length - own.length,
    });
  }
  return {
    holders,
    scanned: pids.length,
    unreadable,
    exited,
    ambiguous,
    hidepid: hidepidMounted(),
    elapsedMs: performance.now() - t0,
  };
}

/**
 * The page size, without loading libc: the KernelPageSize of this process's
 * first mapping (the head of /proc/self/smaps). null if it cannot be read.
 */
export function pageSizeFromSmaps(): number | null {
  let fd: number | undefined;
  try {
    fd = openSync('/proc/self/smaps', 'r');
    const buf = Buffer.alloc(4096);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const m = /^KernelPageSize:\s+(\d+) kB/m.exec(buf.toString('latin1', 0, n));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
