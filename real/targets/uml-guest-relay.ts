/**
 * Runs inside the UML guest, between the protocol's serial line and the
 * worker (see uml.ts): stdin is /dev/ttyS0 (raw), stdout a FIFO the worker
 * reads as its stdin, fd 3 is /dev/ttyS1 (raw, output only).
 *
 * Why it exists: UML 6.1's line driver disables the serial line's input
 * interrupt the first time the tty layer throttles it (more than ~3968 bytes
 * waiting for a reader) and never enables it again, after which input that
 * arrives while the line is not throttled is never read: the session hangs.
 * So the host relay (uml-host-relay.ts) keeps at most a window of bytes (2 KiB)
 * sent and not acknowledged, and this relay acknowledges on fd 3 ("<bytes>\n")
 * what it has read from the tty and passed on to the worker: the tty never
 * holds more than the window, whatever the worker is doing.
 *
 * A 0x04 byte (EOT, never present in JSON text) from the host means the
 * runner closed the worker's stdin: the relay ends the FIFO and stops.
 */
import { writeSync } from 'node:fs';

const EOT = 0x04;
const ACK_FD = 3;

/** Write all of `b` to `fd` (blocking descriptors opened by the init script; EAGAIN just in case). */
function writeAll(fd: number, b: Buffer): void {
  let off = 0;
  while (off < b.length) {
    try {
      off += writeSync(fd, b, off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') process.exit(0); // the worker is gone
      if (code !== 'EAGAIN') throw e;
    }
  }
}

// The FIFO write blocks while the worker is busy; meanwhile nothing is
// acknowledged, so the host sends nothing more and the tty holds at most a window.
process.stdin.on('data', (chunk: Buffer) => {
  const eot = chunk.indexOf(EOT);
  writeAll(1, eot >= 0 ? chunk.subarray(0, eot) : chunk);
  writeAll(ACK_FD, Buffer.from(`${chunk.length}\n`));
  if (eot >= 0) process.exit(0); // closes the FIFO: the worker sees EOF
});
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
