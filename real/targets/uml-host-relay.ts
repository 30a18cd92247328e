/**
 * Runs on the host as the runner's child (see uml.ts), and starts UML with:
 *   fd 0  a pipe from this relay           -> guest /dev/ttyS0 input
 *   fd 1  the runner's stdout, inherited   <- guest /dev/ttyS0 output (the worker's JSON lines)
 *   fd 2  the runner's stderr, inherited   <- guest console
 *   fd 3  a pipe to this relay             <- guest /dev/ttyS1 output (the guest relay's acks)
 *
 * It passes the runner's stdin on to UML keeping at most WINDOW bytes sent
 * and not yet acknowledged by the guest relay (uml-guest-relay.ts says why).
 * End of the runner's stdin becomes an EOT byte once everything before it
 * went through. UML's exit becomes this process's exit: same status, and a
 * guest status 128+N (the worker killed by signal N) becomes signal N, so the
 * runner sees a crashed worker the way it sees one on the host.
 *
 * argv[2]: JSON {command, args} of the UML command line.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { Readable } from 'node:stream';

/** Bytes in flight; the guest tty throttles (and UML 6.1 then loses its input interrupt) near 3968. */
const WINDOW = 2048;
const EOT = Buffer.from([0x04]);

const { command, args } = JSON.parse(process.argv[2] ?? '{}') as {
  command: string;
  args: string[];
};
const child = spawn(command, args, { stdio: ['pipe', 'inherit', 'inherit', 'pipe'] });
const toGuest = child.stdin!;
const acks = child.stdio[3] as Readable;

const queue: Buffer[] = [];
let inFlight = 0;
let inputEnded = false;
let eotSent = false;

function pump(): void {
  while (inFlight < WINDOW && queue.length > 0) {
    const head = queue[0]!;
    const n = Math.min(head.length, WINDOW - inFlight);
    toGuest.write(head.subarray(0, n));
    inFlight += n;
    if (n === head.length) queue.shift();
    else queue[0] = head.subarray(n);
  }
  if (inputEnded && queue.length === 0 && !eotSent && inFlight < WINDOW) {
    eotSent = true;
    toGuest.write(EOT);
    inFlight += 1;
  }
}

process.stdin.on('data', (b: Buffer) => {
  queue.push(b);
  pump();
});
process.stdin.on('end', () => {
  inputEnded = true;
  pump();
});
process.stdin.on('error', () => {
  inputEnded = true;
  pump();
});
toGuest.on('error', () => {}); // UML gone: its exit is reported below

let ackText = '';
acks.setEncoding('utf8');
acks.on('data', (s: string) => {
  ackText += s;
  let nl = ackText.indexOf('\n');
  while (nl >= 0) {
    const n = Number.parseInt(ackText.slice(0, nl), 10);
    ackText = ackText.slice(nl + 1);
    if (n > 0) inFlight = Math.max(0, inFlight - n);
    nl = ackText.indexOf('\n');
  }
  pump();
});
acks.on('error', () => {});

// The runner kills this process with SIGKILL; anything else that would end it kills UML first.
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const)
  process.on(sig, () => {
    child.kill('SIGKILL');
  });

child.on('exit', (code, signal) => {
  const guestSignal =
    code !== null && code > 128 && code < 128 + 65
      ? Object.entries(constants.signals).find(([, n]) => n === code - 128)?.[0]
      : undefined;
  const sig = signal ?? guestSignal;
  if (sig) {
    process.removeAllListeners(sig);
    process.kill(process.pid, sig as NodeJS.Signals);
    // Signals whose default action is to continue or be ignored land here.
    setTimeout(() => process.exit(code ?? 1), 100);
    return;
  }
  process.exit(code ?? 1);
});
