/**
 * SIGSYS as a worker under a seccomp filter sees it. A TRAP action sends
 * SIGSYS and skips the call; a process without a handler dies of it (the
 * default action), so a worker that may be filtered listens for it and a TRAP
 * becomes an observable: the call's raw return and "SIGSYS delivered".
 * (KILL_PROCESS needs no handler: the kernel resets SIGSYS to its default and
 * kills whatever the process asked for.)
 *
 * Node's listener does not run inside the signal: libuv's handler only writes
 * to a pipe that the event loop reads in its poll phase. So after each call
 * the worker lets the loop turn twice (two setImmediate hops put a poll phase
 * between the call and the check) before it asks whether SIGSYS came.
 */

export class SigsysWatch {
  private delivered = 0;

  constructor() {
    process.on('SIGSYS', () => {
      this.delivered++;
    });
  }

  /** Make a call (io_destroy's runs on a thread-pool thread: the signal is that thread's, the listener still this one); with it, whether SIGSYS arrived while it ran. */
  async around<T>(
    call: () => T | Promise<T>,
  ): Promise<{ readonly result: T; readonly sigsys: boolean }> {
    const before = this.delivered;
    const result = await call();
    await turn();
    await turn();
    return { result, sigsys: this.delivered !== before };
  }
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
