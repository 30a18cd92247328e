/**
 * Kernel fault injection for one call: /proc/thread-self/fail-nth
 * (Documentation/fault-injection/fault-injection.rst). Writing K makes the
 * K-th allocation the calling thread makes from then on fail (failslab,
 * fail_page_alloc); reading it back after the call says whether that
 * allocation happened (0: it was made to fail) or not (the count left).
 *
 * Everything goes through libc on the calling thread, with the file opened
 * before the count is armed: between the write that arms it and the syscall
 * under test the thread makes no other syscall (a Node fs call, a read of
 * aio-nr would allocate and take the failure).
 */
import type { Libc } from './libc.js';

export const FAIL_NTH_PATH = '/proc/thread-self/fail-nth';
const O_RDWR = 2;
const O_CLOEXEC = 0o2000000;

export interface ArmedFault {
  /** Disarm and say whether the K-th allocation was reached (and failed) during the call. */
  readonly disarm: () => boolean;
}

/** Arm fail-nth with `nth` for the next syscalls of this thread. Throws when the kernel has no fail-nth. */
export function armFailNth(c: Libc, nth: number): ArmedFault {
  const fd = c.open(FAIL_NTH_PATH, O_RDWR | O_CLOEXEC);
  if (fd < 0) throw new Error(`open ${FAIL_NTH_PATH} failed: errno ${c.errno()}`);
  const buf = Buffer.alloc(16);
  const text = Buffer.from(`${nth}`);
  text.copy(buf);
  const bufAddr = c.addressOf(buf);
  // Prepared before arming: nothing but the write below runs between it and the call.
  const zero = Buffer.from('0');
  const zeroAddr = c.addressOf(zero);
  if (c.write(fd, bufAddr, text.length) !== text.length) {
    const errno = c.errno();
    c.close(fd);
    throw new Error(`writing ${nth} to ${FAIL_NTH_PATH} failed: errno ${errno}`);
  }
  return {
    disarm: () => {
      const n = c.pread(fd, bufAddr, buf.length, 0);
      const left = n > 0 ? Number.parseInt(buf.subarray(0, n).toString('latin1'), 10) : Number.NaN;
      // Whatever was left must not fail a later allocation of this thread.
      c.write(fd, zeroAddr, 1);
      c.close(fd);
      if (!Number.isInteger(left)) throw new Error(`reading ${FAIL_NTH_PATH} back failed`);
      return left === 0;
    },
  };
}
