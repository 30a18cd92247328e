/**
 * The C functions the real backend calls, bound once through koffi.
 * Addresses are bigints (koffi 3 represents pointers as BigInt). Nothing here
 * dereferences memory in JavaScript; reads of untrusted addresses go through
 * the kernel (see safe-memory.ts).
 */
import koffi from 'koffi';
import { type ArchInfo, currentArch, RealUnavailable } from './arch.js';

export const PROT_NONE = 0;
export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const MAP_SHARED = 0x01;
export const MAP_PRIVATE = 0x02;
export const MAP_ANONYMOUS = 0x20;
export const MAP_FIXED_NOREPLACE = 0x10_0000;
export const MAP_FAILED = (1n << 64n) - 1n;
export const MADV_DONTFORK = 10;
export const RLIMIT_AS = 9;
export const PR_SET_PDEATHSIG = 1;
export const PR_SET_NO_NEW_PRIVS = 38;
export const SIGKILL = 9;
export const O_RDONLY = 0;
export const O_CLOEXEC = 0o2000000;
export const O_NONBLOCK = 0o4000;
export const F_GETFL = 3;
export const F_SETFL = 4;
export const SIG_BLOCK = 0;
export const SIG_SETMASK = 2;
/** sizeof(struct sigaction) in glibc on x86_64 and arm64: handler, 128-byte sa_mask, flags, restorer. */
export const SIGACTION_BYTES = 152;
/** glibc's sigset_t (1024 bits); the kernel reads only its first 8 bytes. */
export const GLIBC_SIGSET_BYTES = 128;

export interface Libc {
  readonly arch: ArchInfo;
  /** syscall(nr, a, b) with a u32 and a pointer: io_setup(nr_events, ctxp). */
  readonly syscallU32Ptr: (nr: number, a: number, b: bigint) => number;
  /** syscall(nr, a) with one u64: io_destroy(ctx). */
  readonly syscallU64: KoffiFn<(nr: number, a: bigint) => number>;
  /** syscall(nr, a..f), six u64 arguments (pointers as addresses, 0 for NULL): the rest of the AIO family. */
  readonly syscall6: (
    nr: number,
    ...args: [bigint, bigint, bigint, bigint, bigint, bigint]
  ) => number;
  /** syscall(nr, a, b, c): seccomp(op, flags, args). */
  readonly syscall3: (nr: number, a: number, b: number, c: bigint) => number;
  /** syscall(nr, ctx, min_nr, nr, events, timeout): io_getevents. */
  readonly syscallGetevents: (
    nr: number,
    ctx: bigint,
    minNr: number,
    n: number,
    events: bigint | null,
    timeout: bigint | null,
  ) => number;
  /** syscall(nr, ctx, n, p): io_submit(ctx, nr, iocbpp). */
  readonly syscallSubmit: (nr: number, ctx: bigint, n: number, iocbpp: bigint) => number;
  /** syscall(nr, ctx, iocb, result): io_cancel. */
  readonly syscallCancel: (nr: number, ctx: bigint, iocb: bigint, result: bigint) => number;
  /** syscall(nr, ctx, min_nr, nr, events, timeout, usig): io_pgetevents. */
  readonly syscallPgetevents: (
    nr: number,
    ctx: bigint,
    minNr: number,
    n: number,
    events: bigint,
    timeout: bigint,
    usig: bigint,
  ) => number;
  readonly eventfd: (initval: number, flags: number) => number;
  /** fcntl(fd, cmd, arg) with an integer argument (F_GETFL/F_SETFL). */
  readonly fcntl: (fd: number, cmd: number, arg: number) => number;
  readonly sigaction: (sig: number, act: bigint, old: bigint) => number;
  readonly pthreadSigmask: (how: number, set: bigint, old: bigint) => number;
  /** raise(3): a thread-directed signal (tgkill) to the calling thread. */
  readonly raise: (sig: number) => number;
  readonly sigpending: (set: bigint) => number;
  readonly sigtimedwait: (set: bigint, info: bigint, timeout: bigint) => number;
  /** sched_{get,set}affinity(0, size, mask): the calling thread's CPU mask. */
  readonly schedGetaffinity: (pid: number, size: number, mask: bigint) => number;
  readonly schedSetaffinity: (pid: number, size: number, mask: bigint) => number;
  /** A C function pointer `void (*)(int)` that calls `fn` (a signal handler); kept alive until unregistered. */
  readonly signalHandler: (fn: (sig: number) => void) => { address: bigint; free: () => void };
  readonly mmap: (
    addr: bigint | null,
    len: number,
    prot: number,
    flags: number,
    fd: number,
    off: number,
  ) => bigint;
  readonly mprotect: (addr: bigint, len: number, prot: number) => number;
  readonly munmap: (addr: bigint, len: number) => number;
  readonly madvise: (addr: bigint, len: number, advice: number) => number;
  readonly mincore: (addr: bigint, len: number, vec: bigint) => number;
  readonly pipe2: (fds: Int32Array, flags: number) => number;
  readonly read: (fd: number, buf: bigint, len: number) => number;
  readonly write: (fd: number, buf: bigint, len: number) => number;
  readonly pread: (fd: number, buf: bigint, len: number, off: number) => number;
  readonly open: (path: string, flags: number) => number;
  readonly close: (fd: number) => number;
  readonly prctl: (option: number, a2: bigint, a3: bigint, a4: bigint, a5: bigint) => number;
  readonly getrlimit: (resource: number, rlim: BigUint64Array) => number;
  readonly setrlimit: (resource: number, rlim: BigUint64Array) => number;
  readonly getpid: () => number;
  readonly getppid: () => number;
  readonly errno: () => number;
  /** sysconf(_SC_PAGESIZE). */
  readonly pageSize: () => number;
  /** The address of a Buffer's bytes. */
  readonly addressOf: (b: Buffer) => bigint;
  /** An ArrayBuffer over memory this process owns and keeps mapped. */
  readonly view: (addr: bigint, len: number) => ArrayBuffer;
}

/** A koffi function also callable on libuv's thread pool. */
export type KoffiFn<F extends (...args: never[]) => unknown> = F & {
  async: (...args: [...Parameters<F>, (err: unknown, res: ReturnType<F>) => void]) => void;
};

let bound: Libc | undefined;
let handlerProto: ReturnType<typeof koffi.proto> | undefined;

/** Bind libc once. Throws RealUnavailable off Linux, on an unknown architecture, or if koffi cannot load. */
export function libc(): Libc {
  if (bound) return bound;
  const arch = currentArch();
  let lib: ReturnType<typeof koffi.load>;
  try {
    // Many concurrent io_destroy calls wait for RCU grace periods on the thread pool; allow them.
    koffi.config({
      ...koffi.config(),
      max_async_calls: 4096,
      resident_async_pools: 32,
      async_stack_size: 64 * 1024,
      async_heap_size: 64 * 1024,
    });
    lib = koffi.load('libc.so.6');
  } catch (e) {
    throw new RealUnavailable(`cannot load libc.so.6 through koffi (${(e as Error).message})`);
  }
  const f = <T>(decl: string) => lib.func(decl) as unknown as T;
  const sysconf = f<(name: number) => number>('long sysconf(int name)');
  bound = {
    arch,
    syscallU32Ptr: f('long syscall(long nr, uint32_t a, void *b)'),
    syscallU64: f('long syscall(long nr, uint64_t a)'),
    syscall6: f(
      'long syscall(long nr, uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, uint64_t f)',
    ),
    syscall3: f('long syscall(long nr, unsigned int a, unsigned int b, void *c)'),
    syscallGetevents: f(
      'long syscall(long nr, uint64_t ctx, long min, long n, void *ev, void *ts)',
    ),
    syscallSubmit: f('long syscall(long nr, uint64_t ctx, long n, void *iocbpp)'),
    syscallCancel: f('long syscall(long nr, uint64_t ctx, void *iocb, void *result)'),
    syscallPgetevents: f(
      'long syscall(long nr, uint64_t ctx, long min, long n, void *ev, void *ts, void *usig)',
    ),
    eventfd: f('int eventfd(unsigned int initval, int flags)'),
    fcntl: f('int fcntl(int fd, int cmd, long arg)'),
    sigaction: f('int sigaction(int sig, void *act, void *old)'),
    pthreadSigmask: f('int pthread_sigmask(int how, void *set, void *old)'),
    raise: f('int raise(int sig)'),
    sigpending: f('int sigpending(void *set)'),
    sigtimedwait: f('int sigtimedwait(void *set, void *info, void *timeout)'),
    schedGetaffinity: f('int sched_getaffinity(int pid, size_t size, void *mask)'),
    schedSetaffinity: f('int sched_setaffinity(int pid, size_t size, void *mask)'),
    signalHandler: (fn) => {
      handlerProto ??= koffi.proto('void AiospecSignalHandler(int sig)');
      const cb = koffi.register(fn, koffi.pointer(handlerProto));
      return {
        address: koffi.address(cb) as unknown as bigint,
        free: () => koffi.unregister(cb),
      };
    },
    mmap: f('void *mmap(void *addr, size_t len, int prot, int flags, int fd, int64_t off)'),
    mprotect: f('int mprotect(void *addr, size_t len, int prot)'),
    munmap: f('int munmap(void *addr, size_t len)'),
    madvise: f('int madvise(void *addr, size_t len, int advice)'),
    mincore: f('int mincore(void *addr, size_t len, void *vec)'),
    pipe2: f('int pipe2(_Out_ int *fds, int flags)'),
    read: f('long read(int fd, void *buf, size_t len)'),
    write: f('long write(int fd, void *buf, size_t len)'),
    pread: f('long pread(int fd, void *buf, size_t len, int64_t off)'),
    open: f('int open(const char *path, int flags)'),
    close: f('int close(int fd)'),
    prctl: f('int prctl(int option, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)'),
    getrlimit: f('int getrlimit(int resource, _Out_ uint64_t *rlim)'),
    setrlimit: f('int setrlimit(int resource, uint64_t *rlim)'),
    getpid: f('int getpid()'),
    getppid: f('int getppid()'),
    pageSize: () => sysconf(30), // _SC_PAGESIZE on Linux
    addressOf: (b) => koffi.address(b) as unknown as bigint,
    errno: () => koffi.errno(),
    view: (addr, len) => koffi.view(addr, len),
  };
  return bound;
}
