/**
 * The safety net under every test's own cleanup: at the end of a test run, any
 * process still carrying the run's mark (AIOSPEC_TEST_RUN=<id>, inherited by
 * everything the tests start) was left behind by a test. It is killed, and the
 * run is failed loudly, so a forgotten holder of AIO contexts is neither left
 * on a shared host nor forgotten.
 */
import {
  aioRings,
  commandOf,
  isGone,
  parentOf,
  processesCarrying,
  processRef,
} from './processes.js';
import { killQuietly } from './started.js';

export interface Leftover {
  readonly pid: number;
  readonly command: string;
  readonly rings: number;
}

/**
 * Vitest's own processes carry the mark too (its pool workers are forked from
 * the main process after the global setup set it); they are its business.
 * Everything a test starts is a child of a pool worker, or an orphan.
 */
export function vitestOwn(pid: number): boolean {
  return parentOf(pid) === process.pid && /vitest/.test(commandOf(pid));
}

/** Live processes carrying `mark`, vitest's own and this one excepted. */
export function carryingMark(mark: string): Leftover[] {
  return processesCarrying(mark)
    .filter((pid) => pid !== process.pid && !vitestOwn(pid))
    .map((pid) => ({ pid, command: commandOf(pid), rings: aioRings(pid).length }));
}

/**
 * Find what is left with `mark`, after a short grace for processes already on
 * their way out (killed by a test's afterAll, a worker dying with its parent),
 * kill it and wait until it is gone. Returns what had to be killed.
 */
export async function sweepLeftovers(mark: string, graceMs = 2000): Promise<Leftover[]> {
  const end = Date.now() + graceMs;
  let left = carryingMark(mark);
  while (left.length > 0 && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 50));
    left = carryingMark(mark);
  }
  const refs = left.flatMap((l) => processRef(l.pid) ?? []);
  for (const l of left) killQuietly(l.pid);
  for (let i = 0; i < 100 && !refs.every(isGone); i++) await new Promise((r) => setTimeout(r, 20));
  return left;
}

/** The message for a run that left processes behind. */
export function leftoverReport(left: readonly Leftover[]): string {
  return [
    `aiospec tests: ${left.length} process(es) started by this test run were still running at its end.`,
    'They are killed now, and this run FAILS: a test started them and did not stop them',
    '(stop what a test starts in finally/afterEach/afterAll: see test/support/started.ts).',
    ...left.map(
      (l) =>
        `  pid ${l.pid}  ${l.command.replace(/\s+/g, ' ').slice(0, 200)}  (${l.rings} AIO rings)`,
    ),
  ].join('\n');
}
