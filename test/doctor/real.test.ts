/**
 * `aiospec doctor` on this kernel, end to end through the built CLI: it must
 * name every process holding contexts of known sizes with the right counts,
 * and its largest accepted nr_events must be exactly what io_setup accepts
 * then, also with aio-nr filled close to the limit. Every holder is a worker
 * process that keeps its contexts until closed; once closed, no process maps
 * their rings any more.
 *
 * Other processes on the host may create and destroy contexts meanwhile, so a
 * doctor report is compared with the kernel only when aio-nr was the same for
 * both (otherwise the comparison is made again).
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SetupResult } from '../../real/protocol.js';
import { WorkerProcess } from '../../real/worker-process.js';
import { aioRings, processesHoldingAio, waitFor } from '../support/processes.js';
import { quietCase, releaseAll, settle } from '../support/quiet-aio-nr.js';
import { aioMaxNr, REAL } from '../support/real.js';
import { startedProcesses } from '../support/started.js';
import { steps } from '../support/worker.js';

const BIN = resolve(import.meta.dirname, '../../bin/aiospec');
const EAGAIN = 11;
/** Doctor runs are retried while other processes move aio-nr under them: give such tests time. */
const RETRYING = 300_000;

function aiospec(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, 'doctor', ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

interface DoctorHolder {
  pid: number;
  comm: string;
  contexts: number;
  ringPages: number;
  nrEventsMin: number;
  nrEventsMax: number;
  cgroup: string | null;
}

/** `aiospec doctor --json ...args`: its report, which must have been made (exit 0, or 1 for a no). */
function doctorReport(...args: string[]) {
  const r = aiospec('--json', ...args);
  expect([0, 1], r.err).toContain(r.code);
  return { code: r.code, j: JSON.parse(r.out) };
}

function doctor(...args: string[]) {
  const { code, j } = doctorReport(...args);
  expect(code).toBe(0);
  return j;
}

/**
 * Why the doctor's own io_setup(1) could not tell the accounting, when it could
 * not: it checks that aio-nr came back afterwards, and says so when others moved it.
 */
function probeDisturbed(j: {
  profileSource: string;
  profileProbe: { note: string | null } | null;
}) {
  return j.profileSource === 'probe' ? null : `the doctor's probe: ${j.profileProbe?.note}`;
}

/** A worker holding contexts of these sizes (created, never released until closed). */
async function holder(w: WorkerProcess, sizes: readonly number[]) {
  const results = (await quietCase(
    `io_setup(${sizes})`,
    w,
    sizes.map((nr) => ({ op: 'setup', nr, ctx: 'zero' }) as const),
    { room: true, confirm: false },
  )) as SetupResult[];
  for (const r of results) expect(r.ret, `io_setup(${sizes})`).toBe(0);
  const pages = results.reduce((n, r) => n + r.mapBytes! / w.host.pageSize, 0);
  return { w, sizes, pages, sum: sizes.reduce((a, b) => a + b, 0) };
}

/**
 * What io_setup accepts right now, asked in a worker: does `largest` succeed
 * and `largest + 1` fail (the first context released in between)? null when
 * aio-nr was not `at` around the calls (someone else moved it).
 */
async function kernelAccepts(checker: WorkerProcess, largest: number, at: bigint) {
  const r = (await steps(checker, [
    { op: 'setup', nr: largest, ctx: 'zero' },
    { op: 'release' },
    { op: 'setup', nr: largest + 1, ctx: 'zero' },
    { op: 'release' },
  ])) as SetupResult[];
  const [first, , second] = r;
  const steady =
    BigInt(first!.aioNrBefore!) === at &&
    BigInt(second!.aioNrBefore!) === at &&
    BigInt(second!.aioNrAfter!) === at;
  if (!steady) return null;
  return { largest: first!.ret, next: second!.ret === 0 ? 0 : second!.errno };
}

/**
 * Run the doctor and check its largestAccepted against the kernel, again
 * while aio-nr moves under either. Agreement is believed at once; a
 * disagreement only when an undisturbed retry shows it again.
 */
async function checkLargest(checker: WorkerProcess, ...args: string[]) {
  return settle(
    'largestAccepted against io_setup',
    async () => {
      const { j } = doctorReport(...args);
      const seen = await kernelAccepts(checker, j.largestAccepted, BigInt(j.aioNr));
      const moved =
        j.confirmation?.status === 'moved' ? 'the doctor saw aio-nr move under --probe' : null;
      return {
        disturbed:
          probeDisturbed(j) ??
          moved ??
          (seen === null ? `aio-nr moved after the doctor read ${j.aioNr}` : null),
        outcome: JSON.stringify({ seen, confirmation: j.confirmation?.status }),
        value: { j, seen },
      };
    },
    {
      confirm: ({ j, seen }) =>
        !(seen?.largest === 0 && seen.next === EAGAIN) ||
        (j.confirmation !== null && j.confirmation.status !== 'confirmed'),
    },
  );
}

describe.skipIf(REAL !== null)(
  `aiospec doctor on this kernel${REAL ? ` (skipped: ${REAL})` : ''}`,
  () => {
    const started = startedProcesses();
    let holders: Awaited<ReturnType<typeof holder>>[] = [];
    let checker: WorkerProcess;

    beforeAll(async () => {
      // Sizes across page edges: one page (1..62 on 2 CPUs), two pages, a 79-page ring, several contexts.
      holders = [];
      for (const sizes of [[1], [100, 7], [5000, 300, 300], [63, 64, 126, 127]])
        holders.push(await holder(started.worker(await WorkerProcess.start()), sizes));
      checker = started.worker(await WorkerProcess.start());
    });

    it(
      'names every holder with its contexts, ring pages and nr_events bounds',
      async () => {
        const j = await settle(
          'doctor',
          async () => {
            const report = doctor();
            return { disturbed: probeDisturbed(report), outcome: '', value: report };
          },
          { confirm: () => false },
        );
        expect(j.profile).toBe('linux');
        expect(j.profileSource).toBe('probe');
        expect(j.aio.state).toBe('available');
        expect(BigInt(j.aioMaxNr)).toBe(aioMaxNr());
        for (const h of holders) {
          const row = (j.holders as DoctorHolder[]).find((x) => x.pid === h.w.pid);
          expect(row, `holder ${h.w.pid} (${h.sizes})`).toBeDefined();
          expect(row).toMatchObject({ comm: 'node', contexts: h.sizes.length, ringPages: h.pages });
          expect(row!.nrEventsMin).toBeLessThanOrEqual(h.sum);
          expect(row!.nrEventsMax).toBeGreaterThanOrEqual(h.sum);
          expect(typeof row!.cgroup === 'string' || row!.cgroup === null).toBe(true);
        }
        // Sorted biggest first; the 5000+300+300 holder tops ours.
        const ours = (j.holders as DoctorHolder[]).filter((x) =>
          holders.some((h) => h.w.pid === x.pid),
        );
        expect(ours[0]!.pid).toBe(holders[2]!.w.pid);
        expect(typeof j.unreadable).toBe('number');
        // Everything these holders hold is in aio-nr (with whatever others hold besides).
        const held = holders.reduce((n, h) => n + h.sum, 0);
        expect(BigInt(j.aioNrAtScan)).toBeGreaterThanOrEqual(BigInt(held));
      },
      RETRYING,
    );

    it(
      'largestAccepted is exactly what io_setup accepts now',
      async () => {
        const { j, seen } = await checkLargest(checker);
        expect(seen).toEqual({ largest: 0, next: EAGAIN });
        expect(j.largestAccepted).toBe(Number(BigInt(j.aioMaxNr) - BigInt(j.aioNr)));
        expect(j.available).toBe(j.largestAccepted);
      },
      RETRYING,
    );

    it(
      'with aio-nr filled close to the limit: largest, request verdicts and --probe all agree with the kernel',
      async () => {
        const filler = started.worker(await WorkerProcess.start());
        const level = aioMaxNr() - 300n;
        /** Fill to 300 free again (others' contexts come and go), and check that it took. */
        const refill = async () => {
          await releaseAll(filler);
          const [fill] = await steps(filler, [{ op: 'fill', headroom: 300 }]);
          return fill!.op === 'fill' ? fill! : null;
        };
        /** Why a report cannot be taken as made at the filled level, or null. */
        const notAtLevel = (
          fill: Awaited<ReturnType<typeof refill>>,
          j: ReturnType<typeof doctorReport>['j'],
        ): string | null => {
          if (!fill?.reached) return 'the fill did not reach 300 free (others moved aio-nr)';
          if (BigInt(j.aioNr) !== level)
            return `the doctor read aio-nr ${j.aioNr}, not the filled ${level}`;
          // --probe reads aio-nr for itself, before the doctor's last reading.
          if (j.confirmation && BigInt(j.confirmation.aioNr) !== level)
            return `--probe ran at aio-nr ${j.confirmation.aioNr}, not the filled ${level}`;
          if (j.confirmation?.status === 'moved') return 'aio-nr moved under --probe';
          return probeDisturbed(j);
        };
        /** A doctor report made while aio-nr was at the filled level; retried until one is. */
        const whileFilled = (what: string, run: () => ReturnType<typeof doctorReport>) =>
          settle(
            what,
            async () => {
              const fill = await refill();
              const { code, j } = run();
              return {
                disturbed: notAtLevel(fill, j),
                outcome: JSON.stringify({ code, confirmation: j.confirmation?.status }),
                value: { j, fill: fill!, code },
              };
            },
            // A disagreement found by --probe is believed only if it comes again.
            {
              confirm: ({ j }) => j.confirmation !== null && j.confirmation.status !== 'confirmed',
            },
          );

        const { j, fill } = await whileFilled('doctor --probe at 300 free', () =>
          doctorReport('--probe'),
        );
        expect(j.largestAccepted).toBe(300);
        expect(j.confirmation).toMatchObject({ status: 'confirmed', largest: 300 });
        expect(j.confirmation.calls).toEqual([
          { nrEvents: 300, errno: null, predicted: null },
          { nrEvents: 301, errno: 'EAGAIN', predicted: 'EAGAIN' },
        ]);
        // The filler shows up too, holding what it filled.
        const row = (j.holders as DoctorHolder[]).find((x) => x.pid === filler.pid)!;
        const filled = fill.fillers.reduce((n, f) => n + f.nr, 0);
        expect(row.contexts).toBe(fill.fillers.length);
        expect(row.nrEventsMin).toBeLessThanOrEqual(filled);
        expect(row.nrEventsMax).toBeGreaterThanOrEqual(filled);
        expect(j.advice.sysctl).toMatchObject({ name: 'fs.aio-max-nr' });
        // And the kernel agrees at that level.
        const { seen } = await checkLargest(checker);
        expect(seen).toEqual({ largest: 0, next: EAGAIN });

        // The exit status gates a start: 0 only for what fits now.
        const verdict = async (nr: number) => {
          const { j, code } = await whileFilled(`doctor --nr-events ${nr} at 300 free`, () =>
            doctorReport('--nr-events', String(nr)),
          );
          return { code, request: j.request };
        };
        expect(await verdict(300)).toMatchObject({
          code: 0,
          request: { verdict: 'ok', errno: null },
        });
        expect(await verdict(301)).toMatchObject({
          code: 1,
          request: { verdict: 'transient', errno: 'EAGAIN', mustRelease: 1 },
        });
        // These two do not depend on what others hold.
        const max = Number(aioMaxNr());
        expect(doctorReport('--nr-events', String(max + 1))).toMatchObject({
          code: 1,
          j: { request: { verdict: 'alone-exceeds', errno: 'EAGAIN' } },
        });
        expect(doctorReport('--nr-events', '4194305')).toMatchObject({
          code: 1,
          j: { request: { verdict: 'internal-limit', errno: 'EINVAL' } },
        });
      },
      RETRYING,
    );

    it('human output: the numbers, the holders and the advice with the exact sysctl', () => {
      const r = aiospec('--nr-events', '100000');
      expect(r.code, r.err).toBe(1); // more than aio-max-nr (65536 here): it does not fit
      expect(r.out).toMatch(/can it ever fit\? only with fs\.aio-max-nr >= \d+/);
      expect(r.out).toContain('aio-max-nr');
      expect(r.out).toContain('largest io_setup');
      for (const h of holders)
        expect(r.out).toMatch(
          new RegExp(`^\\s+${h.w.pid}\\s+node\\s+${h.sizes.length}\\s+${h.pages}\\s`, 'm'),
        );
      expect(r.out).toContain('sysctl -w fs.aio-max-nr=');
      expect(r.out).toContain('/etc/sysctl.d/');
      expect(r.out).toMatch(/node-wide/);
    });

    it('its holders give their contexts back when closed: no process maps their rings any more', async () => {
      const rings = holders.flatMap((h) => aioRings(h.w.pid).map((r) => r.file));
      expect(rings.length).toBe(holders.reduce((n, h) => n + h.sizes.length, 0));
      await Promise.all(holders.map((h) => h.w.close()));
      await waitFor(
        () => processesHoldingAio().every((p) => p.rings.every((r) => !rings.includes(r.file))),
        "no process maps the closed holders' rings",
      );
    });
  },
);

describe('aiospec doctor usage errors', () => {
  it.each([
    [['--nr-events', 'x'], '--nr-events'],
    [['--nr-events', '0x100000000'], '--nr-events'],
    [['--nr-events'], '--nr-events'],
    [['--profile', 'bsd'], '--profile'],
    [['--frobnicate'], '--frobnicate'],
    [['--probe=yes'], '--probe'],
    [['extra'], 'extra'],
  ])('%j names %s and exits 2', (args, flag) => {
    const r = aiospec(...args);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    const lines = r.err.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(flag);
  });

  it('--help prints the flags', () => {
    const r = aiospec('--help');
    expect(r.code).toBe(0);
    for (const f of ['--nr-events', '--probe', '--json', '--profile']) expect(r.out).toContain(f);
  });
});
