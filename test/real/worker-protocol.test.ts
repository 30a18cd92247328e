/**
 * The runner's side of the worker protocol when a worker's output is not
 * protocol: a cut or garbled JSON line (a console write landing inside it
 * under UML) must end the batch as a crash, inconclusive, with the line in
 * the reason, not throw inside the runner's stream handler.
 */
import { describe, expect, it } from 'vitest';
import { WorkerProcess } from '../../real/worker-process.js';

/** A stand-in worker: says ready, then answers the first request with half a line. */
const GARBLER = `
process.stdout.write(JSON.stringify({ type: 'ready', host: {} }) + '\\n');
process.stdin.once('data', () => process.stdout.write('{"type":"batch","id":0,"cas\\n'));
setInterval(() => {}, 1000);
`;

describe('a worker that prints a malformed protocol line', () => {
  it('is killed, and its batch ends as a crash that names the line', async () => {
    const w = await WorkerProcess.start({ command: process.execPath, args: ['-e', GARBLER] });
    const out = await w.run([{ id: 7, steps: [] }], 10_000);
    expect(out.cases).toHaveLength(1);
    const only = out.cases[0]!;
    expect(only.status).toBe('crashed');
    expect(only.status === 'crashed' && only.stderr).toContain(
      'malformed protocol line: {"type":"batch","id":0,"cas',
    );
    expect(w.alive).toBe(false);
  });
});
