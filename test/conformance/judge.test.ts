/**
 * The judge watching for other processes: results as a worker reports them,
 * with aio-nr and aio-max-nr values chosen to show (or not) another process
 * at work. What a run must conclude follows from the worker's reads: between
 * two calls of one worker nothing of its own changes aio-nr.
 */
import { describe, expect, it } from 'vitest';
import { Judge } from '../../conformance/engine/judge.js';
import { DEFAULT_ENV, type Environment } from '../../model/index.js';
import type { SetupResult } from '../../real/protocol.js';

const env: Environment = { ...DEFAULT_ENV, possibleCpus: 2, aioNr: 0n, aioMaxNr: 65536n };
const PAGE = 0x7f00_0000_0000;

/** io_setup(nr) that succeeded as Linux does, with aio-nr read before and after (nr: for the reader). */
function made(_nr: number, before: number, after: number, ref: number): SetupResult {
  const handle = `0x${(PAGE - ref * 4096).toString(16)}`;
  return {
    op: 'setup',
    ret: 0,
    errno: 0,
    ref,
    handle,
    ctxAfter: handle,
    ring: {
      id: ref,
      nr: 127,
      head: 0,
      tail: 0,
      magic: 0xa10a10a1,
      compatFeatures: 1,
      incompatFeatures: 0,
      headerLength: 32,
    },
    mapBytes: 4096,
    aioNrBefore: before,
    aioNrAfter: after,
  };
}

const setup = (nr: number) => ({ steps: [{ op: 'setup' as const, nr, ctx: 'zero' as const }] });
const ok = (r: SetupResult) => ({ status: 'ok' as const, results: [r] });

describe('the judge', () => {
  it('marks the runs on both sides of a gap where aio-nr moved, and no others', () => {
    const j = new Judge(env);
    j.batch({ before: 65536, after: 65536 });
    const a = j.run(setup(1), ok(made(1, 0, 1, 0)), 0, [])!.attempt;
    const b = j.run(setup(2), ok(made(2, 1, 3, 1)), 0, [])!.attempt;
    // Someone else took 5 between b's call and c's.
    const c = j.run(setup(3), ok(made(3, 8, 11, 2)), 0, [])!.attempt;
    const d = j.run(setup(4), ok(made(4, 11, 15, 3)), 0, [])!.attempt;
    expect([a, b, c, d].map((x) => x.disturbed)).toEqual([
      null,
      'aio-nr moved by +5 before step 0 (another process)',
      'aio-nr moved by +5 before step 0 (another process)',
      null,
    ]);
    expect([a, b, c, d].every((x) => x.steps[0]!.diffs.length === 0)).toBe(true);
  });

  it('judges a charge another process inflated as a difference, but one in doubt only if it saw the counter move', () => {
    const j = new Judge(env);
    j.batch({ before: 65536, after: 65536 });
    // 427 more than the model's charge inside the call's own window: no gap shows it.
    const hidden = j.run(setup(62), ok(made(62, 0, 489, 0)), 0, [])!.attempt;
    expect(hidden.steps[0]!.diffs).toEqual([{ field: 'aioNrDelta', model: 62n, real: 489n }]);
    expect(hidden.disturbed).toBeNull();
  });

  it('puts a whole batch in doubt when aio-max-nr changed during it, and decides later calls with the new limit', () => {
    const j = new Judge(env);
    j.batch({ before: 65536, after: 100 });
    const a = j.run(setup(1), ok(made(1, 0, 1, 0)), 0, [])!.attempt;
    expect(a.disturbed).toBe('aio-max-nr changed from 65536 to 100 during the batch');
    j.batch({ before: 100, after: 100 });
    expect(j.mirror.env.aioMaxNr).toBe(100n);
    const b = j.run(setup(1), ok(made(1, 1, 2, 1)), 0, [])!.attempt;
    expect(b.disturbed).toBeNull();
  });

  it('gives a worker death no evidence, only its reason, and a case never run no run at all', () => {
    const j = new Judge(env);
    const died = j.run(
      setup(1),
      { status: 'crashed', signal: 'SIGKILL', code: null, stderr: '' },
      0,
      [],
    );
    expect(died!.attempt.failure).toBe('the worker died (SIGKILL)');
    expect(j.run(setup(1), { status: 'not-run' }, 0, [])).toBeNull();
  });

  it('follows fillers without turning any into a case, even one the model did not expect', () => {
    const j = new Judge(env);
    j.batch({ before: 65536, after: 65536 });
    // A filler refused with EAGAIN (another process took the room): the model expected success.
    j.fill({
      released: null,
      made: {
        op: 'fill',
        fillers: [
          { nr: 60000, result: made(60000, 0, 60000, 0) },
          {
            nr: 5536,
            result: {
              op: 'setup',
              ret: -1,
              errno: 11,
              ctxAfter: '0x0',
              aioNrBefore: 60100,
              aioNrAfter: 60100,
            },
          },
        ],
        reached: false,
        aioNrAfter: 60100,
      },
    });
    expect(j.mirror.state.contexts.size).toBe(1);
    expect(j.mirror.state.aioNr).toBe(60100n);
  });

  it('gives each case run after others in its batch the setups before it as its reproducer', () => {
    const j = new Judge(env);
    j.batch({ before: 65536, after: 65536 });
    const prefix: never[] = [];
    j.run(setup(1), ok(made(1, 0, 1, 0)), 0, prefix);
    const second = j.run(setup(2), ok(made(2, 1, 3, 1)), 0, prefix)!;
    expect(second.reproducer?.steps).toEqual([...setup(1).steps, ...setup(2).steps]);
  });

  it('calls a watched run quiet only if the counters held still around it and met its own reads', () => {
    const j = new Judge(env);
    j.batch({ before: 65536, after: 65536 });
    const still = (v: number) => ({
      aioNr: [v, v] as const,
      aioMaxNr: [65536, 65536] as const,
      reads: 900,
    });
    const report = (
      before: ReturnType<typeof still>,
      after: ReturnType<typeof still>,
      r: SetupResult,
    ) => ({
      status: 'ok' as const,
      results: [r],
      quiet: { before, after },
    });
    const quiet = j.run(setup(5), report(still(0), still(5), made(5, 0, 5, 0)), 0)!.attempt;
    expect(quiet).toMatchObject({ quiet: true, disturbed: null });
    // Something charged 3 for a moment while the counters were watched after the case.
    const blip = j.run(
      setup(5),
      report(still(5), { ...still(10), aioNr: [10, 13] }, made(5, 5, 10, 1)),
      0,
    )!.attempt;
    expect(blip.quiet).toBe(false);
    expect(blip.disturbed).toMatch(/aio-nr moved between 10 and 13 just after the case/);
    // The window before saw 10 held still, but the case's own first read was 12.
    const jumped = j.run(setup(1), report(still(10), still(13), made(1, 12, 13, 2)), 0)!.attempt;
    expect(jumped.quiet).toBe(false);
    expect(jumped.disturbed).toMatch(/aio-nr moved/);
  });
});
