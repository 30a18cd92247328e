/**
 * The files a family case opens (RealCase.files): regular files and a
 * directory in a private directory on tmpfs, pipes, eventfds. Nothing stays on
 * disk: the private directory (mode 0700, named after the worker's pid) is
 * emptied and removed as soon as everything in it is open, so a worker killed
 * later leaves no entry behind; the fds go with the process, or are closed
 * when the case ends.
 */
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmdirSync,
  rmSync,
  statfsSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WireFdRef, WireFileSpec } from './family-protocol.js';
import type { Libc } from './libc.js';
import { F_GETFL, F_SETFL, O_CLOEXEC, O_NONBLOCK } from './libc.js';

const O_WRONLY = 0o1;
const O_RDWR = 0o2;
const O_APPEND = 0o2000;
const O_DIRECTORY = 0o200000;
/** statfs f_type of tmpfs (include/uapi/linux/magic.h TMPFS_MAGIC). */
const TMPFS_MAGIC = 0x01021994;

/** One opened file: its fds (a pipe has a read and a write end). */
export interface OpenFile {
  readonly spec: WireFileSpec;
  /** The fd a ref without `end` names (a pipe's read end). */
  readonly fd: number;
  readonly read?: number;
  readonly write?: number;
}

/** Byte i of a regular file and of a pipe's fill: i & 0xff (model/family/steps.ts). */
export function pattern(bytes: number): Buffer {
  const b = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) b[i] = i & 0xff;
  return b;
}

/** The first tmpfs directory a process may write to: /dev/shm, else the temp dir; null if neither is tmpfs. */
export function tmpfsRoot(): string | null {
  for (const dir of ['/dev/shm', tmpdir()]) {
    try {
      if (statfsSync(dir).type === TMPFS_MAGIC) return dir;
    } catch {
      // absent here: try the next
    }
  }
  return null;
}

/** The private directories' name prefix: the worker's pid, so whoever started it can tell them apart. */
export function privateDirPrefix(pid = process.pid): string {
  return `aiospec-family-${pid}-`;
}

export class CaseFiles {
  readonly files: OpenFile[] = [];

  constructor(
    private readonly c: Libc,
    specs: readonly WireFileSpec[],
  ) {
    try {
      this.open(specs);
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /** The fd a ref names (a literal fd is passed as it is, as a u32). */
  fd(ref: WireFdRef): number {
    if ('fd' in ref) return ref.fd >>> 0;
    const f = this.files[ref.file];
    if (!f) throw new Error(`family case: no file #${ref.file}`);
    if (ref.end === 'write') return f.write ?? f.fd;
    if (ref.end === 'read') return f.read ?? f.fd;
    return f.fd;
  }

  /** The kind of file a ref names, when it is one of the case's. */
  kind(ref: WireFdRef): WireFileSpec['kind'] | null {
    return 'file' in ref ? (this.files[ref.file]?.spec.kind ?? null) : null;
  }

  close(): void {
    for (const f of this.files.splice(0))
      for (const fd of new Set([f.fd, f.read, f.write])) if (fd !== undefined) this.c.close(fd);
  }

  private open(specs: readonly WireFileSpec[]): void {
    const onDisk = specs.some((s) => s.kind === 'file' || s.kind === 'dir');
    const dir = onDisk ? this.privateDir() : null;
    try {
      specs.forEach((spec, i) => {
        this.files.push(this.openOne(spec, dir === null ? '' : join(dir, `f${i}`)));
      });
    } finally {
      if (dir !== null) rmSync(dir, { recursive: true, force: true });
    }
  }

  private privateDir(): string {
    const root = tmpfsRoot();
    if (root === null)
      throw new Error('family case: no tmpfs directory (/dev/shm or the temp dir) to put files in');
    return mkdtempSync(join(root, privateDirPrefix())); // mode 0700
  }

  private openOne(spec: WireFileSpec, path: string): OpenFile {
    switch (spec.kind) {
      case 'file': {
        writeFileSync(path, pattern(spec.size ?? 0), { mode: 0o600 });
        const access = spec.mode === 'r' ? 0 : spec.mode === 'w' ? O_WRONLY : O_RDWR;
        const fd = openSync(path, access | (spec.append ? O_APPEND : 0));
        unlinkSync(path);
        return { spec, fd };
      }
      case 'dir': {
        mkdirSync(path, { mode: 0o700 });
        const fd = openSync(path, O_DIRECTORY);
        rmdirSync(path);
        return { spec, fd };
      }
      case 'pipe':
        return this.pipe(spec);
      case 'eventfd': {
        const fd = this.c.eventfd(spec.count ?? 0, O_CLOEXEC | (spec.nonblock ? O_NONBLOCK : 0));
        if (fd < 0) throw new Error(`family case: eventfd errno ${this.c.errno()}`);
        return { spec, fd };
      }
    }
  }

  private pipe(spec: Extract<WireFileSpec, { kind: 'pipe' }>): OpenFile {
    const fds = new Int32Array(2);
    if (this.c.pipe2(fds, O_CLOEXEC | (spec.nonblock ? O_NONBLOCK : 0)) !== 0)
      throw new Error(`family case: pipe2 errno ${this.c.errno()}`);
    const [read, write] = [fds[0]!, fds[1]!];
    const file = { spec, fd: read, read, write };
    const fill = spec.fill ?? 0;
    if (fill > 0) {
      // Written without blocking whatever the pipe's mode: a fill beyond its capacity is an error, not a hang.
      const flags = this.c.fcntl(write, F_GETFL, 0);
      this.c.fcntl(write, F_SETFL, flags | O_NONBLOCK);
      const data = pattern(fill);
      const n = this.c.write(write, this.c.addressOf(data), fill);
      this.c.fcntl(write, F_SETFL, flags);
      if (n !== fill) {
        closeSync(read);
        closeSync(write);
        throw new Error(`family case: filling a pipe with ${fill} bytes wrote ${n}`);
      }
    }
    return file;
  }
}
