/**
 * Harmless AIO calls in a process of their own, to see what the seccomp
 * filters this process inherited (or the kernel, or the sandbox) do to each of
 * the six (the doctor's question "may this process make this call?"). A KILL
 * action kills only this process, so it runs apart from the doctor and from
 * its worker; under a filter the doctor gives each call a process of its own.
 *
 * Every call is answered with an error by a kernel that lets it through, and
 * makes nothing (fs/aio.c; /work/shared/notes/aio-family.md §2-5):
 * - io_setup(nr, ctxp) with *ctxp nonzero: EINVAL from its `ctx || nr_events
 *   == 0` check, before any allocation;
 * - io_destroy(0), io_submit(0, 0, NULL), io_getevents(0, 0, 0, NULL, NULL),
 *   io_pgetevents(0, 0, 0, NULL, NULL, NULL): EINVAL, no context has handle 0
 *   (lookup_ioctx; io_pgetevents with a NULL usig changes no mask first);
 * - io_cancel(0, NULL, NULL): EFAULT, the iocb's aio_key is read first.
 * A filter decides on the same number and arguments a real call has.
 *
 * usage: node aio-call-probe.js CALL... (io_setup takes NR after it)
 * prints one JSON line per call, in order: {call, ret, errno, sigsys}
 */
import { type Libc, libc } from './libc.js';

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** One call, made; its raw return. */
function make(c: Libc, call: string, nrText: string | undefined): number {
  const n = c.arch.syscalls;
  switch (call) {
    case 'io_setup': {
      const ctx = Buffer.alloc(8);
      ctx.writeBigUInt64LE(1n);
      return c.syscallU32Ptr(n.io_setup, Number(nrText ?? '1') >>> 0, c.addressOf(ctx));
    }
    case 'io_destroy':
      return c.syscallU64(n.io_destroy, 0n);
    case 'io_submit':
      return c.syscall6(n.io_submit, 0n, 0n, 0n, 0n, 0n, 0n);
    case 'io_getevents':
      return c.syscall6(n.io_getevents, 0n, 0n, 0n, 0n, 0n, 0n);
    case 'io_pgetevents':
      return c.syscall6(n.io_pgetevents, 0n, 0n, 0n, 0n, 0n, 0n);
    case 'io_cancel':
      return c.syscall6(n.io_cancel, 0n, 0n, 0n, 0n, 0n, 0n);
    default:
      throw new Error(`unknown call ${call}`);
  }
}

/** The argument list as calls, io_setup taking the number after it. */
function parseCalls(argv: readonly string[]): [string, string | undefined][] {
  const calls: [string, string | undefined][] = [];
  for (let i = 0; i < argv.length; i++)
    calls.push(argv[i] === 'io_setup' ? ['io_setup', argv[++i]] : [argv[i]!, undefined]);
  return calls;
}

async function main(): Promise<void> {
  let sigsys = false;
  // A TRAP sends SIGSYS: listened for, it is an observation instead of a death.
  process.on('SIGSYS', () => {
    sigsys = true;
  });
  const c = libc();
  for (const [call, nrText] of parseCalls(process.argv.slice(2))) {
    sigsys = false;
    const ret = make(c, call, nrText);
    const errno = ret === -1 ? c.errno() : 0;
    // libuv turns the signal into an event on a later turn of the loop.
    await turn();
    await turn();
    process.stdout.write(`${JSON.stringify({ call, ret, errno, sigsys })}\n`);
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(3);
});
