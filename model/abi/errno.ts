/**
 * Linux errno values of the generic table (include/uapi/asm-generic/errno-base.h
 * and errno.h), which x86_64, arm64, riscv64, ppc64 and s390x share. (alpha,
 * mips, parisc and sparc number some of them differently; they are not modelled.)
 */
export const ERRNO = {
  EPERM: { n: 1, text: 'Operation not permitted' },
  ENOENT: { n: 2, text: 'No such file or directory' },
  ESRCH: { n: 3, text: 'No such process' },
  EINTR: { n: 4, text: 'Interrupted system call' },
  EIO: { n: 5, text: 'Input/output error' },
  ENXIO: { n: 6, text: 'No such device or address' },
  E2BIG: { n: 7, text: 'Argument list too long' },
  ENOEXEC: { n: 8, text: 'Exec format error' },
  EBADF: { n: 9, text: 'Bad file descriptor' },
  ECHILD: { n: 10, text: 'No child processes' },
  EAGAIN: { n: 11, text: 'Resource temporarily unavailable' },
  ENOMEM: { n: 12, text: 'Cannot allocate memory' },
  EACCES: { n: 13, text: 'Permission denied' },
  EFAULT: { n: 14, text: 'Bad address' },
  ENOTBLK: { n: 15, text: 'Block device required' },
  EBUSY: { n: 16, text: 'Device or resource busy' },
  EEXIST: { n: 17, text: 'File exists' },
  ENODEV: { n: 19, text: 'No such device' },
  EISDIR: { n: 21, text: 'Is a directory' },
  EINVAL: { n: 22, text: 'Invalid argument' },
  ENFILE: { n: 23, text: 'Too many open files in system' },
  EMFILE: { n: 24, text: 'Too many open files' },
  EFBIG: { n: 27, text: 'File too large' },
  ENOSPC: { n: 28, text: 'No space left on device' },
  ESPIPE: { n: 29, text: 'Illegal seek' },
  EROFS: { n: 30, text: 'Read-only file system' },
  EPIPE: { n: 32, text: 'Broken pipe' },
  ERANGE: { n: 34, text: 'Numerical result out of range' },
  ENOSYS: { n: 38, text: 'Function not implemented' },
  ETIME: { n: 62, text: 'Timer expired' },
  EOVERFLOW: { n: 75, text: 'Value too large for defined data type' },
  EOPNOTSUPP: { n: 95, text: 'Operation not supported' },
  ETIMEDOUT: { n: 110, text: 'Connection timed out' },
  EINPROGRESS: { n: 115, text: 'Operation now in progress' },
  ECANCELED: { n: 125, text: 'Operation canceled' },
} as const;

export type ErrnoName = keyof typeof ERRNO;

export const ERRNO_NAMES = Object.keys(ERRNO) as ErrnoName[];

const BY_NUMBER = new Map<number, ErrnoName>(ERRNO_NAMES.map((name) => [ERRNO[name].n, name]));

export function errnoNumber(name: ErrnoName): number {
  return ERRNO[name].n;
}

/** The name of a known errno number, or undefined. */
export function errnoName(n: number): ErrnoName | undefined {
  return BY_NUMBER.get(n);
}

export function isErrnoName(s: string): s is ErrnoName {
  return Object.hasOwn(ERRNO, s);
}

/** `-1 EINVAL (Invalid argument)`, as strace and a C programmer would read it. */
export function describeErrno(name: ErrnoName): string {
  return `${name} (${ERRNO[name].text})`;
}
