/**
 * The guardian of a changed aio-max-nr (see aio-max-nr-guard.ts). Started
 * detached, in its own session, so that killing the runner or its process
 * group does not kill it. When its stdin closes — the runner finished or died —
 * it restores the original value if the state file still names the runner.
 */
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';

const [file, owner] = process.argv.slice(2);

function restoreIfOrphaned(): void {
  let state: { original: string; value: string; pid: number };
  try {
    state = JSON.parse(readFileSync(file!, 'utf8'));
  } catch {
    return; // the runner restored and removed it
  }
  if (String(state.pid) !== owner) return;
  const now = readFileSync('/proc/sys/fs/aio-max-nr', 'utf8').trim();
  if (now === state.value) writeFileSync('/proc/sys/fs/aio-max-nr', `${state.original}\n`);
  unlinkSync(file!);
}

process.stdin.resume();
process.stdin.on('close', () => {
  restoreIfOrphaned();
  process.exit(0);
});
process.stdin.on('error', () => {});
