/**
 * Global setup: mark this test run, so that everything it starts can be found
 * at its end (see leftovers.ts). The mark is set in this process's environment
 * before vitest starts its pool workers; they, the tests' children and their
 * children all inherit it.
 *
 * How the run is failed: vitest 4 catches an error thrown by a global teardown
 * and only logs it ("error during close") without changing the exit status
 * (Vitest.close() in vitest/dist/chunks/cli-api.*.js), so the teardown prints
 * its own report on stderr and sets process.exitCode = 1, which vitest leaves
 * as it is when it exits.
 */
import { randomUUID } from 'node:crypto';
import { leftoverReport, sweepLeftovers } from './leftovers.js';

export const RUN_MARK = 'AIOSPEC_TEST_RUN';

export default function setup(): () => Promise<void> {
  const id = randomUUID();
  process.env[RUN_MARK] = id;
  return async () => {
    const left = await sweepLeftovers(`${RUN_MARK}=${id}`);
    if (left.length === 0) return;
    process.stderr.write(`\n${leftoverReport(left)}\n\n`);
    process.exitCode = 1;
  };
}
