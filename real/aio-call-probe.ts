/**
 * One harmless AIO call in a process of its own, to see what the seccomp
 * filters this process inherited do to it (the doctor's question "does a
 * filter block or change io_setup here?"). A KILL action kills only this
 * process, so it runs apart from the doctor and from its worker.
 *
 * Both calls are answered EINVAL by a kernel that lets them through, and make
 * nothing: io_setup(nr, ctxp) with *ctxp nonzero fails its `ctx || nr_events
 * == 0` check before any allocation (fs/aio.c), and io_destroy(0) finds no
 * context. A filter decides on the same number and arguments a real call has
 * (nr_events, a user pointer; the handle).
 *
 * usage: node aio-call-probe.js io_setup NR | io_destroy
 * prints one JSON line: {ret, errno, sigsys}
 */
import { libc } from './libc.js';

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

async function main(): Promise<void> {
  const [call, nrText] = process.argv.slice(2);
  let sigsys = false;
  // A TRAP sends SIGSYS: listened for, it is an observation instead of a death.
  process.on('SIGSYS', () => {
    sigsys = true;
  });
  const c = libc();
  let ret: number;
  if (call === 'io_setup') {
    const ctx = Buffer.alloc(8);
    ctx.writeBigUInt64LE(1n);
    ret = c.syscallU32Ptr(c.arch.syscalls.io_setup, Number(nrText ?? '1') >>> 0, c.addressOf(ctx));
  } else if (call === 'io_destroy') {
    ret = c.syscallU64(c.arch.syscalls.io_destroy, 0n);
  } else {
    process.stderr.write(`unknown call ${call}\n`);
    process.exit(2);
  }
  const errno = ret === -1 ? c.errno() : 0;
  // libuv turns the signal into an event on a later turn of the loop.
  await turn();
  await turn();
  process.stdout.write(`${JSON.stringify({ ret, errno, sigsys })}\n`);
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(3);
});
