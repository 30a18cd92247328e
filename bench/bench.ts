/**
 * The same stream of single-call cases (the props suite's, fixed seed) run by
 *   (a) aiospec's engine: generation + model + real call in a worker + comparison,
 *   (b) a minimal C harness making only the syscalls, releasing contexts in bulk
 *       as the worker does (a pool of threads; done when each context is out of
 *       the process's table): the floor,
 *   (c) a naive C harness that io_destroys each context before the next case.
 * Then the family stream: family-props cases (io_setup, io_submit of one
 * iocb, io_getevents, io_cancel, write/read on pipes and eventfds), run by
 *   (a) the engine, each case read alone as `aiospec run` reads them (its
 *       contexts released and its files closed as it ends),
 *   (b) bench/c/family.c making the same syscalls per case, and nothing else.
 * Prints cases/s for each and the ratios; `--json` prints one line.
 * The engines and the C references each run their stream --repeat times (the
 * median counts); the engine's first run is its cold start (JIT warm-up),
 * reported separately, as `aiospec run` pays it once per run.
 *   npm run bench [-- --json] [-- --cases N] [-- --naive-cases N] [-- --repeat R]
 *                 [-- --family-cases N (0: no family stream)]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Case } from '../conformance/cases.js';
import { Engine, executionOrder } from '../conformance/engine/execute.js';
import { familyPropsCases } from '../conformance/gen/family-props.js';
import { propsCases } from '../conformance/gen/props.js';
import { CTX_KIND_NAMES, type PageSize } from '../model/index.js';
import { familyStream } from './family-stream.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, here.includes('/dist/') ? '../..' : '..');
const out = join(root, 'bench/out');

function streamLine(c: Case): string {
  const s = c.steps[0];
  if (s?.op !== 'setup') throw new Error('bench cases are single io_setup calls');
  return `${c.headroom ?? -1} ${s.nr} ${CTX_KIND_NAMES.indexOf(s.ctx)} ${s.asHeadroom ?? -1}`;
}

function compile(name: string, libs: string[] = []): string | null {
  const bin = join(out, name);
  const r = spawnSync('gcc', ['-O2', '-o', bin, join(root, `bench/c/${name}.c`), ...libs], {
    encoding: 'utf8',
  });
  if (r.error || r.status !== 0) return null;
  return bin;
}

function runC(bin: string, args: string[]): { cases: number; seconds: number } {
  const [cases, seconds] = execFileSync(bin, args, { encoding: 'utf8' })
    .trim()
    .split(' ')
    .map(Number);
  return { cases: cases!, seconds: seconds! };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean' },
      cases: { type: 'string' },
      'naive-cases': { type: 'string' },
      seed: { type: 'string' },
      repeat: { type: 'string' },
      'family-cases': { type: 'string' },
    },
  });
  const repeat = Math.max(1, Number(values.repeat ?? 3));
  const n = Number(values.cases ?? 10_000);
  const naiveN = Number(values['naive-cases'] ?? 300);
  const stride = Math.max(1, Math.floor(n / naiveN));
  const seed = Number(values.seed ?? 1);
  const familyN = Math.max(0, Number(values['family-cases'] ?? 500));
  mkdirSync(out, { recursive: true });

  const engine = new Engine({ profile: 'linux' });
  await engine.start();
  const h = engine.host;
  const available = BigInt(h.aioMaxNr ?? 65536) - BigInt(h.aioNr ?? 0);
  const host = { possibleCpus: h.possibleCpus, pageSize: h.pageSize as PageSize, available };

  // (a) the engine: generation + model + real calls + comparison. The first
  // run is cold (V8 compiles as it goes); the median of the next ones is the figure.
  let cases: Case[] = [];
  let diverged = 0;
  const engineRuns: number[] = [];
  for (let i = 0; i <= repeat; i++) {
    const t0 = performance.now();
    cases = propsCases(host, n, seed);
    const verdicts = await engine.run('props', cases);
    engineRuns.push((performance.now() - t0) / 1000);
    diverged += verdicts.filter((v) => v.status === 'diverge').length;
  }
  const family = familyN > 0 ? await familyBench(engine, familyN, seed, repeat) : null;
  await engine.close();
  const coldSeconds = engineRuns[0]!;
  const engineSeconds = median(engineRuns.slice(1));

  // The same cases, in the order the engine ran them, for the C harnesses.
  const stream = join(out, 'stream.txt');
  writeFileSync(stream, `${executionOrder(cases).map(streamLine).join('\n')}\n`);
  const ref = compile('reference', ['-lpthread']);
  const naive = compile('naive');
  if (!ref || !naive) throw new Error('gcc could not build bench/c (apt-get install gcc)');
  const refRuns = Array.from({ length: repeat }, () => runC(ref, [stream]));
  const reference = { cases: refRuns[0]!.cases, seconds: median(refRuns.map((r) => r.seconds)) };
  const naiveRun = runC(naive, [stream, String(stride)]);

  const engineCasesPerSec = n / engineSeconds;
  const cReferenceCasesPerSec = reference.cases / reference.seconds;
  const naiveCasesPerSec = naiveRun.cases / naiveRun.seconds;
  const result = {
    engineCasesPerSec: Math.round(engineCasesPerSec),
    cReferenceCasesPerSec: Math.round(cReferenceCasesPerSec),
    naiveCasesPerSec: Math.round(naiveCasesPerSec),
    engineColdCasesPerSec: Math.round(n / coldSeconds),
    ratio: Number((engineCasesPerSec / cReferenceCasesPerSec).toFixed(3)),
    ratioToNaive: Number((engineCasesPerSec / naiveCasesPerSec).toFixed(1)),
    ...(family ? { family: family.json } : {}),
  };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const row = (name: string, cs: number, detail: string) =>
    `  ${name.padEnd(34)} ${String(Math.round(cs)).padStart(9)} cases/s   ${detail}`;
  process.stdout.write(
    [
      `aiospec bench: ${n} props cases (seed ${seed}) on Linux ${release()}, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}); median of ${repeat} runs`,
      row(
        '(a) engine (gen+model+call+compare)',
        engineCasesPerSec,
        `${engineSeconds.toFixed(2)} s, ${diverged} diverged in ${repeat + 1} runs`,
      ),
      row('    its cold first run', n / coldSeconds, `${coldSeconds.toFixed(2)} s (JIT warm-up)`),
      row(
        '(b) C reference (bulk release)',
        cReferenceCasesPerSec,
        `${reference.seconds.toFixed(2)} s`,
      ),
      row(
        '(c) naive C (io_destroy each)',
        naiveCasesPerSec,
        `${naiveRun.seconds.toFixed(2)} s for every ${stride}th case (${naiveRun.cases})`,
      ),
      `  engine / C reference = ${result.ratio}x   engine / naive = ${result.ratioToNaive}x`,
      ...(family ? family.lines(row) : []),
    ].join('\n') + '\n',
  );
}

type Row = (name: string, cs: number, detail: string) => string;

/**
 * The family stream: `n` family-props cases through the engine (read alone, as
 * `aiospec run` reads the family suites) and through bench/c/family.c.
 */
async function familyBench(engine: Engine, n: number, seed: number, repeat: number) {
  let cases: Case[] = [];
  const runs: number[] = [];
  let diverged = 0;
  for (let i = 0; i <= repeat; i++) {
    const t0 = performance.now();
    cases = familyPropsCases(n, seed);
    const verdicts = await engine.run('family-props', cases, { alone: true });
    runs.push((performance.now() - t0) / 1000);
    diverged += verdicts.filter((v) => v.status === 'diverge').length;
  }
  const stream = join(out, 'family-stream.txt');
  writeFileSync(stream, familyStream(cases));
  const bin = compile('family', ['-lpthread']);
  if (!bin) throw new Error('gcc could not build bench/c/family.c (apt-get install gcc)');
  const cRuns = Array.from({ length: repeat }, () => runC(bin, [stream]));
  const cSeconds = median(cRuns.map((r) => r.seconds));
  const engineSeconds = median(runs.slice(1));
  const engineCasesPerSec = n / engineSeconds;
  const cCasesPerSec = cRuns[0]!.cases / cSeconds;
  const json = {
    cases: n,
    engineCasesPerSec: Math.round(engineCasesPerSec),
    cReferenceCasesPerSec: Math.round(cCasesPerSec),
    engineColdCasesPerSec: Math.round(n / runs[0]!),
    ratio: Number((engineCasesPerSec / cCasesPerSec).toFixed(3)),
  };
  const lines = (row: Row) => [
    `family stream: ${n} family-props cases (seed ${seed}), each read alone`,
    row(
      '(a) engine (gen+model+call+compare)',
      engineCasesPerSec,
      `${engineSeconds.toFixed(2)} s, ${diverged} diverged in ${repeat + 1} runs`,
    ),
    row('    its cold first run', n / runs[0]!, `${runs[0]!.toFixed(2)} s (JIT warm-up)`),
    row('(b) C reference (same syscalls)', cCasesPerSec, `${cSeconds.toFixed(2)} s`),
    `  engine / C reference = ${json.ratio}x`,
  ];
  return { json, lines };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

main().catch((e) => {
  process.stderr.write(`bench: ${e instanceof Error ? e.message : e}\n`);
  process.exitCode = 2;
});
