/** `aiospec run` and `aiospec record`: the differential suites against a kernel, reported for people or for CI. */

import { PROFILE_NAMES } from '../../model/index.js';
import { recoverAioMaxNr, SysctlRefused, withAioMaxNr } from '../../real/aio-max-nr-guard.js';
import { RealUnavailable } from '../../real/arch.js';
import { type Case, parseCase } from '../cases.js';
import type { ModelRules } from '../engine/mirror.js';
import type { RunSummary } from '../engine/summary.js';
import type { Suite } from '../engine/verdict.js';
import { PathUnreachable, pathProblem } from '../gen/replay-path.js';
import { progressLine, REPORTERS, type ReporterName, reportChunks } from '../report/index.js';
import { CaseRefused, type RunConfig, runConformance, SUITES } from '../run.js';
import { TraceWriter } from '../trace/writer.js';
import { type Options, type Parsed, parseFlags, stringFlag } from './args.js';
import type { CommandResult } from './command-result.js';
import { parseProfile } from './env-flags.js';
import { parseIntIn, parseU64 } from './numbers.js';
import { OutputFile, writeWhole } from './output.js';
import { parseSeed, randomSeed } from './seed.js';
import { launchOf, resolveTarget, TARGET_NAMES } from './targets.js';
import { EnvironmentError, UsageError } from './usage-error.js';
import { toolVersion } from './version.js';

const SUITE_FLAGS = `  --suite S          table | props | stateful | all (default all)
  --runs N           props cases (default 10000); the stateful suite runs 3% as
                     many sequences (300 by default) unless --sequences says
  --sequences N      stateful sequences
  --seed=N           fast-check seed, 0 to 4294967295 (default: random, printed
                     in the report)
  --target NAME      where the calls run: ${TARGET_NAMES.join(' | ')} (default host)
  --kernel NAME|PATH with --target uml: a kernel \`aiospec kernel build\` made, or a
                     UML binary (default: Debian's linux.uml)
  --reporter R       human (default) | tap (TAP 14) | junit (JUnit XML) | json`;

export const RUN_HELP = `usage: aiospec run [--suite table|props|stateful|all] [--runs N] [--seed=N]
                  [--profile NAME] [--target NAME] [--reporter human|tap|junit|json] [--out FILE]

Runs the same cases on the model and on a real kernel and reports every
difference, shrunk to a minimal case with the command that replays it.

${SUITE_FLAGS}
  --path P           replay the generated case at this fast-check path: its index,
                     then any shrink steps (42 or 42:0:1; with --seed and one --suite)
  --case JSON        replay one case, as printed in a report
  --profile NAME     the model's kernel profile: ${PROFILE_NAMES.join(' | ')} (default linux)
  --out FILE         write the report to FILE instead of stdout (whole or not at
                     all: FILE is checked before the run and replaced at the end)
  --set-aio-max-nr N run with /proc/sys/fs/aio-max-nr set to N (root; always restored)

Exit status: 0 conformant, 1 divergences found, 2 usage or environment error,
3 internal error.`;

export const RECORD_HELP = `usage: aiospec record --out FILE [--target NAME] [--suite S] [--runs N] [--seed=N] [--profile NAME]

Runs the suites like \`run\` and writes everything the kernel did to FILE, a
trace (JSON Lines, see the README) that \`aiospec replay\` checks against the
model without a kernel. Prints the run's report like \`run\`.

  --out FILE         the trace to write (required): written as the run goes to a
                     temporary file beside FILE, renamed to FILE when the run ends
                     (a failed or interrupted run leaves no FILE)
${SUITE_FLAGS}
  --profile NAME     the profile the target is expected to conform to
                     (default: linux for host and uml, gvisor for gvisor)

Exit status: 0 conformant, 1 divergences found, 2 usage or environment error,
3 internal error.`;

/** The most props cases and stateful sequences a run makes: the furthest a --path index can reach. */
const MOST_RUNS = 10_000_000;
const MOST_SEQUENCES = 1_000_000;

const COMMON: Options = {
  suite: { type: 'string' },
  runs: { type: 'string' },
  sequences: { type: 'string' },
  seed: { type: 'string' },
  profile: { type: 'string' },
  target: { type: 'string' },
  kernel: { type: 'string' },
  reporter: { type: 'string' },
  out: { type: 'string' },
};

function parseSuites(text: string | undefined): Suite[] {
  if (text === undefined || text === 'all') return [...SUITES];
  const suite = SUITES.find((s) => s === text);
  if (!suite) throw new UsageError(`--suite: "${text}" is not one of ${SUITES.join(', ')}, all`);
  return [suite];
}

export function parseReporter(text: string | undefined): ReporterName {
  if (text === undefined) return 'human';
  if (!Object.hasOwn(REPORTERS, text))
    throw new UsageError(
      `--reporter: "${text}" is not one of ${Object.keys(REPORTERS).join(', ')}`,
    );
  return text as ReporterName;
}

function parseCaseFlag(text: string | undefined): Case | undefined {
  if (text === undefined) return undefined;
  try {
    return parseCase(JSON.parse(text));
  } catch (e) {
    throw new UsageError(`--case: ${(e as Error).message.replace(/^case: /, '')}`);
  }
}

/** What run and record share: suites, sizes, seed, target and profile, reporter. */
function commonConfig(parsed: Parsed, profileDefault: 'linux' | 'target') {
  const s = (name: string) => stringFlag(parsed, name);
  const suites = parseSuites(s('suite'));
  const runs = s('runs') === undefined ? 10_000 : parseIntIn('--runs', s('runs'), 0, MOST_RUNS);
  const sequences =
    s('sequences') === undefined
      ? Math.max(1, Math.round(runs * 0.03))
      : parseIntIn('--sequences', s('sequences'), 0, MOST_SEQUENCES);
  const seed = s('seed') === undefined ? randomSeed() : parseSeed(s('seed'));
  const kernel = s('kernel');
  const target = resolveTarget(s('target'), kernel);
  const profile = parseProfile(
    s('profile'),
    profileDefault === 'target' ? target.expects : 'linux',
  );
  const reporter = parseReporter(s('reporter'));
  return {
    suites,
    runs,
    sequences,
    seed,
    target,
    profile,
    reporter,
    kernel,
    seedGiven: s('seed') !== undefined,
  };
}

/** The part of a run's configuration that `run` and `record` take from the same flags. */
function suiteConfig(c: ReturnType<typeof commonConfig>) {
  const { suites, runs, sequences, seed, profile, kernel } = c;
  return {
    suites,
    runs,
    sequences,
    seed,
    profile,
    target: c.target.name,
    ...(kernel === undefined ? {} : { kernel }),
  };
}

/** Put back an aio-max-nr that a killed run left changed (host target; needs root to write). */
function recoverSysctl(): void {
  try {
    const stale = recoverAioMaxNr();
    if (stale)
      process.stderr.write(
        `aiospec: restored aio-max-nr to ${stale.original} (a killed run, pid ${stale.pid}, had left it at ${stale.value})\n`,
      );
  } catch {
    // not root: nothing we may restore
  }
}

async function execute(
  config: Omit<RunConfig, 'launch' | 'faultInjection' | 'onProgress'>,
  targetLaunch: () => ReturnType<typeof launchOf>,
  reporter: ReporterName,
  out: OutputFile | undefined,
  maxNr?: bigint,
) {
  const tty = reporter === 'human' && process.stderr.isTTY === true;
  let summary: RunSummary;
  try {
    if (config.target === 'host') recoverSysctl();
    const full: RunConfig = {
      ...config,
      launch: targetLaunch(),
      // The JSON summary lists no case one by one; the others do (TAP, JUnit, human's inconclusive ones).
      keepResults: reporter !== 'json',
      ...(tty
        ? {
            onProgress: (suite: Suite, done: number, total: number) =>
              process.stderr.write(`\r${progressLine(suite, done, total)}\x1b[K`),
          }
        : {}),
    };
    summary =
      maxNr === undefined
        ? await runConformance(full)
        : await withAioMaxNr(maxNr, true, () => runConformance(full));
  } catch (e) {
    if (e instanceof RealUnavailable || e instanceof SysctlRefused)
      throw new EnvironmentError(e.message);
    if (e instanceof PathUnreachable || e instanceof CaseRefused) throw new UsageError(e.message);
    throw e;
  } finally {
    if (tty) process.stderr.write('\r\x1b[K');
  }
  const text = reportChunks(reporter, summary, {
    color: process.stdout.isTTY === true && out === undefined,
  });
  const code = summary.diverged > 0 ? 1 : 0;
  if (out !== undefined) {
    writeWhole(out, text);
    return { out: '', code };
  }
  return { out: text, code };
}

/** --path, before the run: its form, its suite and seed, and an index the run generates. */
function checkPath(
  path: string,
  c: ReturnType<typeof commonConfig>,
  runsGiven: boolean,
  sequencesGiven: boolean,
): void {
  if (!/^\d+(:\d+)*$/.test(path)) throw new UsageError(pathProblem(path)!);
  if (c.suites.length !== 1 || c.suites[0] === 'table')
    throw new UsageError('--path: give exactly one --suite, props or stateful');
  if (!c.seedGiven) throw new UsageError('--path: needs the --seed the path belongs to');
  // A report's replay command names no --runs: without one, any index a run can make is allowed.
  const reach =
    c.suites[0] === 'props'
      ? runsGiven
        ? { generated: c.runs, why: `--runs ${c.runs}` }
        : { generated: MOST_RUNS, why: `--runs is at most ${MOST_RUNS}` }
      : sequencesGiven
        ? { generated: c.sequences, why: `--sequences ${c.sequences}` }
        : runsGiven
          ? { generated: c.sequences, why: `--runs ${c.runs} makes ${c.sequences} sequences` }
          : { generated: MOST_SEQUENCES, why: `--sequences is at most ${MOST_SEQUENCES}` };
  const problem = pathProblem(path, reach);
  if (problem !== null) throw new UsageError(problem);
}

/**
 * `aiospec run ARGV`. `internal.rules` replaces model rules: tests use it to
 * run a printed replay command exactly as printed, against a deliberately
 * broken model.
 */
export async function runCommand(
  argv: readonly string[],
  internal: { readonly rules?: ModelRules } = {},
): Promise<CommandResult> {
  const parsed = parseFlags(argv, {
    ...COMMON,
    path: { type: 'string' },
    case: { type: 'string' },
    'set-aio-max-nr': { type: 'string' },
  });
  const s = (name: string) => stringFlag(parsed, name);
  const c = commonConfig(parsed, 'linux');
  const path = s('path');
  if (path !== undefined) checkPath(path, c, s('runs') !== undefined, s('sequences') !== undefined);
  const only = parseCaseFlag(s('case'));
  const maxNr =
    s('set-aio-max-nr') === undefined
      ? undefined
      : parseU64('--set-aio-max-nr', s('set-aio-max-nr'));
  if (maxNr !== undefined && c.target.name !== 'host')
    throw new UsageError(
      `--set-aio-max-nr: only for --target host (the ${c.target.name} target has its own kernel)`,
    );
  const config = {
    ...suiteConfig(c),
    ...(only ? { only } : {}),
    ...(path !== undefined ? { path } : {}),
  };
  const outPath = s('out');
  // Checked (created) before the run: a report that cannot be written is known before the work is done.
  const out = outPath === undefined ? undefined : OutputFile.open('--out', outPath);
  try {
    return await execute(
      { ...config, ...(internal.rules ? { rules: internal.rules } : {}) },
      () => launchOf(c.target),
      c.reporter,
      out,
      maxNr,
    );
  } finally {
    out?.discard(); // a no-op once the report is in place
  }
}

export async function recordCommand(argv: readonly string[]): Promise<CommandResult> {
  const parsed = parseFlags(argv, { ...COMMON, out: { type: 'string' } });
  const c = commonConfig(parsed, 'target');
  const file = stringFlag(parsed, 'out');
  if (file === undefined)
    throw new UsageError('--out: missing (record needs the file to write the trace to)');
  const launch = launchOf(c.target); // fail before the file is created when the target cannot start
  // The trace goes to a temporary file as the run goes, renamed to FILE only when the run ended well.
  const out = OutputFile.open('--out', file);
  const writer = new TraceWriter(out, {
    target: c.target.name,
    profile: c.profile,
    seed: c.seed,
    suites: c.suites,
    tool: `aiospec ${toolVersion()}`,
  });
  try {
    // Shrinking replays cases of its own; a recording keeps to the suites' cases.
    const result = await execute(
      { ...suiteConfig(c), recorder: writer, shrinkMs: 0 },
      () => launch,
      c.reporter,
      undefined,
    );
    writer.end();
    out.commit();
    return result;
  } finally {
    out.discard(); // the run failed or was refused: no trace under FILE
  }
}
