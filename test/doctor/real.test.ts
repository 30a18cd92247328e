/**
 * `aiospec doctor` on this kernel, end to end through the built CLI: it must
 * name every process holding contexts of known sizes with the right counts,
 * and its largest accepted nr_events must be exactly what io_setup accepts
 * then, also with aio-nr filled close to the limit. Every holder is a worker
 * process that keeps its contexts until closed; aio-nr goes back to its baseline.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SetupResult } from '../../real/protocol.js';
import { WorkerProcess } from '../../real/worker-process.js';
import { aioMaxNr, aioNr, REAL } from '../support/real.js';
import { steps } from '../support/worker.js';

const BIN = resolve(import.meta.dirname, '../../bin/aiospec');
const EAGAIN = 11;

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

function doctor(...args: string[]) {
  const r = aiospec('--json', ...args);
  expect(r.code, r.err).toBe(0);
  return JSON.parse(r.out);
}

async function waitFor(cond: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A worker holding contexts of these sizes (created, never released until closed). */
async function holder(sizes: readonly number[]) {
  const w = await WorkerProcess.start();
  const results = (await steps(
    w,
    sizes.map((nr) => ({ op: 'setup', nr, ctx: 'zero' }) as const),
  )) as SetupResult[];
  for (const r of results) expect(r.ret, `io_setup(${sizes})`).toBe(0);
  const pages = results.reduce((n, r) => n + r.mapBytes! / w.host.pageSize, 0);
  return { w, sizes, pages, sum: sizes.reduce((a, b) => a + b, 0) };
}

/**
 * What io_setup accepts right now, asked in a fresh worker: does `largest`
 * succeed and `largest + 1` fail (the first context released in between)?
 * null when aio-nr was not `at` during the calls (someone else moved it).
 */
async function kernelAccepts(checker: WorkerProcess, largest: number, at: bigint) {
  const r = (await steps(checker, [
    { op: 'setup', nr: largest, ctx: 'zero' },
    { op: 'release' },
    { op: 'setup', nr: largest + 1, ctx: 'zero' },
    { op: 'release' },
  ])) as SetupResult[];
  const [first, , second] = r;
  if (BigInt(first!.aioNrBefore!) !== at || BigInt(second!.aioNrBefore!) !== at) return null;
  return { largest: first!.ret, next: second!.ret === 0 ? 0 : second!.errno };
}

/** Run the doctor and check its largestAccepted against the kernel, retrying if aio-nr moves under us. */
async function checkLargest(checker: WorkerProcess, ...args: string[]) {
  for (let attempt = 0; attempt < 5; attempt++) {
    const j = doctor(...args);
    const seen = await kernelAccepts(checker, j.largestAccepted, BigInt(j.aioNr));
    if (seen === null) continue;
    expect(seen).toEqual({ largest: 0, next: EAGAIN });
    return j;
  }
  throw new Error('aio-nr kept moving: could not check largestAccepted');
}

describe.skipIf(REAL !== null)(
  `aiospec doctor on this kernel${REAL ? ` (skipped: ${REAL})` : ''}`,
  () => {
    let baseline: bigint;
    const started: WorkerProcess[] = [];
    let holders: Awaited<ReturnType<typeof holder>>[] = [];
    let checker: WorkerProcess;

    beforeAll(async () => {
      baseline = aioNr();
      // Sizes across page edges: one page (1..62 on 2 CPUs), two pages, a 79-page ring, several contexts.
      holders = [];
      for (const sizes of [[1], [100, 7], [5000, 300, 300], [63, 64, 126, 127]]) {
        const h = await holder(sizes);
        started.push(h.w);
        holders.push(h);
      }
      checker = await WorkerProcess.start();
      started.push(checker);
    });

    afterAll(async () => {
      await Promise.all(started.map((w) => w.close()));
      await waitFor(() => aioNr() === baseline);
    });

    it('names every holder with its contexts, ring pages and nr_events bounds', () => {
      const j = doctor();
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
      // Everything these holders hold is in aio-nr.
      const held = holders.reduce((n, h) => n + h.sum, 0);
      expect(BigInt(j.aioNrAtScan)).toBeGreaterThanOrEqual(baseline + BigInt(held));
    });

    it('largestAccepted is exactly what io_setup accepts now', async () => {
      const j = await checkLargest(checker);
      expect(j.largestAccepted).toBe(Number(BigInt(j.aioMaxNr) - BigInt(j.aioNr)));
      expect(j.available).toBe(j.largestAccepted);
    });

    it('with aio-nr filled close to the limit: largest, request verdicts and --probe all agree with the kernel', async () => {
      const filler = await WorkerProcess.start();
      started.push(filler);
      const [fill] = await steps(filler, [{ op: 'fill', headroom: 300 }]);
      expect(fill!.op === 'fill' && fill!.reached).toBe(true);
      const j = await checkLargest(checker, '--probe');
      expect(j.largestAccepted).toBe(300);
      expect(j.confirmation).toMatchObject({ status: 'confirmed', largest: 300 });
      expect(j.confirmation.calls).toEqual([
        { nrEvents: 300, errno: null, predicted: null },
        { nrEvents: 301, errno: 'EAGAIN', predicted: 'EAGAIN' },
      ]);
      // The filler shows up too, holding what it filled.
      const row = (j.holders as DoctorHolder[]).find((x) => x.pid === filler.pid)!;
      const fillers = fill!.op === 'fill' ? fill!.fillers : [];
      const filled = fillers.reduce((n, f) => n + f.nr, 0);
      expect(row.contexts).toBe(fillers.length);
      expect(row.nrEventsMin).toBeLessThanOrEqual(filled);
      expect(row.nrEventsMax).toBeGreaterThanOrEqual(filled);
      expect(j.advice.sysctl).toMatchObject({ name: 'fs.aio-max-nr' });

      const verdict = (nr: number) => doctor('--nr-events', String(nr)).request;
      expect(verdict(300)).toMatchObject({ verdict: 'ok', errno: null });
      expect(verdict(301)).toMatchObject({ verdict: 'transient', errno: 'EAGAIN', mustRelease: 1 });
      const max = Number(aioMaxNr());
      expect(verdict(max + 1)).toMatchObject({ verdict: 'alone-exceeds', errno: 'EAGAIN' });
      expect(verdict(4_194_305)).toMatchObject({ verdict: 'internal-limit', errno: 'EINVAL' });

      await filler.close();
    });

    it('human output: the numbers, the holders and the advice with the exact sysctl', () => {
      const r = aiospec('--nr-events', '100000');
      expect(r.code, r.err).toBe(0);
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
