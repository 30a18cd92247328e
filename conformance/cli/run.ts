/** `aiospec run` and `aiospec record`: the differential suites against a kernel, reported for people or for CI. */

import { readFileSync } from 'node:fs';
import { PROFILE_NAMES, type SeccompProfile } from '../../model/index.js';
import { recoverAioMaxNr, SysctlRefused, withAioMaxNr } from '../../real/aio-max-nr-guard.js';
import { RealUnavailable } from '../../real/arch.js';
import { type Case, parseCase } from '../cases.js';
import type { ModelRules } from '../engine/mirror.js';
import type { RunSummary } from '../engine/summary.js';
import type { Suite } from '../engine/verdict.js';
import { PathUnreachable, pathProblem } from '../gen/replay-path.js';
import { CaseRefused, type RunConfig, runConformance, SUITES } from '../run.js';
import { TraceWriter } from '../trace/writer.js';
import { type Options, type Parsed, parseFlags, stringFlag, stringsFlag } from './args.js';
import type { CommandResult } from './command-result.js';
import { parseProfile } from './env-flags.js';
import { catchInterrupts, INTERRUPTED } from './interrupt.js';
import { parseIntIn, parseU64 } from './numbers.js';
import { OutputFile } from './output.js';
import { ProgressDisplay } from './progress.js';
import { planReports, Reports } from './reporters.js';
import { TARGET_FLAGS, TARGET_FLAGS_HELP, targetFlags } from './run-target-flags.js';
import { parseSeed, randomSeed } from './seed.js';
import { STOP_OPTIONS, stopConfig } from './stop-flags.js';
import { launchOf, resolveTarget, TARGET_NAMES } from './targets.js';
import { EnvironmentError, UsageError } from './usage-error.js';
import { toolVersion } from './version.js';

const SUITE_FLAGS = `  --suite S          table | props | stateful | faults | family-table |
                     family-props | family-stateful | all (default all);
                     repeat it for several
  --runs N           props cases (default 10000); the stateful suite runs 3% as
                     many sequences (300 by default) unless --sequences says;
                     family-props runs 2% of N, family-stateful 1/15 of the
                     sequences
  --sequences N      stateful sequences
  --seed=N           fast-check seed, 0 to 4294967295 (default: random, printed
                     in the report)
  --target NAME      where the calls run: ${TARGET_NAMES.join(' | ')} (default host)
  --kernel NAME|PATH with --target uml: a kernel \`aiospec kernel build\` made, or a
                     UML binary (default: Debian's linux.uml)
  --reporter R[:FILE] human (default) | tap (TAP 14) | junit (JUnit XML) | json,
                     to FILE when given, else stdout; repeat it for several
                     reports (--reporter human --reporter junit:report.xml)
  --bail             stop at the first divergence (--max-divergences 1)
  --max-divergences N  stop once N cases have diverged
  --time-limit S     stop after S seconds (decimals allowed)
${TARGET_FLAGS_HELP}

A run that stops early (these flags, or Ctrl-C) reports the cases that ran;
a second Ctrl-C ends it at once.`;

export const RUN_HELP = `usage: aiospec run [--suite table|props|stateful|faults|all] [--runs N] [--seed=N]
                  [--profile NAME] [--target NAME] [--reporter NAME[:FILE]]... [--out FILE]
                  [--bail | --max-divergences N] [--time-limit S]

Runs the same cases on the model and on a real kernel and reports every
difference, shrunk to a minimal case with the command that replays it.

${SUITE_FLAGS}
  --path P           replay the generated case at this fast-check path: its index,
                     then any shrink steps (42 or 42:0:1; with --seed and one --suite)
  --case JSON        replay one case, as printed in a report
  --profile NAME     the model's kernel profile: ${PROFILE_NAMES.join(' | ')} (default linux)
  --out FILE         write the report that names no FILE there instead of stdout
                     (whole or not at all: FILE is checked before the run and
                     replaced at the end; so is every --reporter NAME:FILE)
  --set-aio-max-nr N run with /proc/sys/fs/aio-max-nr set to N (root; always restored)

Exit status: 0 conformant (in the cases that ran), 1 divergences found, 2 usage
or environment error, 3 internal error, 130 interrupted (Ctrl-C; after the
partial report).`;

export const RECORD_HELP = `usage: aiospec record --out FILE [--target NAME] [--suite S] [--runs N] [--seed=N] [--profile NAME]

Runs the suites like \`run\` and writes everything the kernel did to FILE, a
trace (JSON Lines, see the README) that \`aiospec replay\` checks against the
model without a kernel. Prints the run's report like \`run\`.

  --out FILE         the trace to write (required): written as the run goes to a
                     temporary file beside FILE, renamed to FILE when the run ends
                     (a failed or interrupted run leaves no FILE; one stopped by
                     --bail, --max-divergences or --time-limit leaves the cases
                     that ran)
${SUITE_FLAGS}
  --profile NAME     the profile the target is expected to conform to
                     (default: linux for host and uml, gvisor for gvisor)

Exit status: 0 conformant (in the cases that ran), 1 divergences found, 2 usage
or environment error, 3 internal error, 130 interrupted (Ctrl-C).`;

/** The most props cases and stateful sequences a run makes: the furthest a --path index can reach. */
const MOST_RUNS = 10_000_000;
const MOST_SEQUENCES = 1_000_000;

const COMMON: Options = {
  suite: { type: 'string', multiple: true },
  runs: { type: 'string' },
  sequences: { type: 'string' },
  seed: { type: 'string' },
  profile: { type: 'string' },
  target: { type: 'string' },
  kernel: { type: 'string' },
  reporter: { type: 'string', multiple: true },
  out: { type: 'string' },
  ...STOP_OPTIONS,
  ...TARGET_FLAGS,
};

/** --suite, repeatable: the suites named (in the run's usual order), or all of them. */
function parseSuites(texts: readonly string[]): Suite[] {
  const named = new Set<Suite>();
  for (const text of texts) {
    if (text === 'all') return [...SUITES];
    const suite = SUITES.find((s) => s === text);
    if (!suite) throw new UsageError(`--suite: "${text}" is not one of ${SUITES.join(', ')}, all`);
    named.add(suite);
  }
  return named.size === 0 ? [...SUITES] : SUITES.filter((s) => named.has(s));
}

function parseCaseFlag(text: string | undefined): Case | undefined {
  if (text === undefined) return undefined;
  try {
    return parseCase(JSON.parse(text));
  } catch (e) {
    throw new UsageError(`--case: ${(e as Error).message.replace(/^case: /, '')}`);
  }
}

/** What run and record share: suites, sizes, seed, target and profile, when to stop early. */
function commonConfig(parsed: Parsed, profileDefault: 'linux' | 'target') {
  const s = (name: string) => stringFlag(parsed, name);
  const suites = parseSuites(stringsFlag(parsed, 'suite'));
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
  const flags = targetFlags(parsed, target);
  return {
    flags,
    suites,
    runs,
    sequences,
    seed,
    target,
    profile,
    stop: stopConfig(parsed),
    kernel,
    seedGiven: s('seed') !== undefined,
  };
}

/**
 * Cases settled at a time under --bail / --max-divergences. Divergences are
 * counted as each chunk settles, and settling a diverging case takes its
 * re-runs (about 16 ms): with the default chunk a run where most cases diverge
 * would confirm 16,384 of them before stopping (over a minute), with this one
 * it stops within seconds. The cases are the same (fast-check's stream does not
 * depend on the chunk), and a conformant run was measured no slower.
 */
const LIMITED_CHUNK = 256;

/** The part of a run's configuration that `run` and `record` take from the same flags. */
function suiteConfig(c: ReturnType<typeof commonConfig>) {
  const { suites, runs, sequences, seed, profile, kernel } = c;
  const seccompProfile = c.flags.seccompProfile;
  return {
    suites,
    runs,
    sequences,
    seed,
    profile,
    target: c.target.name,
    ...c.stop,
    ...(c.stop.maxDivergences === undefined ? {} : { chunkSize: LIMITED_CHUNK }),
    ...(seccompProfile ? { seccompProfile } : {}),
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

/** A finished run: its summary, and whether Ctrl-C ended it. */
interface Ran {
  readonly summary: RunSummary;
  readonly interrupted: boolean;
}

/** The progress line, on stderr when it is a terminal (it is rewritten in place). */
function progressDisplay(): ProgressDisplay | null {
  if (process.stderr.isTTY !== true) return null;
  return new ProgressDisplay({
    write: (text) => process.stderr.write(text),
    columns: () => process.stderr.columns,
  });
}

/** Run the suites: Ctrl-C stops them (the summary counts what ran), a second Ctrl-C exits at once. */
async function execute(
  config: Omit<RunConfig, 'launch' | 'faultInjection' | 'onProgress' | 'signal'>,
  targetLaunch: () => ReturnType<typeof launchOf>,
  listsCases: boolean,
  maxNr?: bigint,
): Promise<Ran> {
  const progress = progressDisplay();
  const interrupts = catchInterrupts(() => progress?.clear());
  try {
    if (config.target === 'host') recoverSysctl();
    const full: RunConfig = {
      ...config,
      launch: targetLaunch(),
      // The JSON summary lists no case one by one; the others do (TAP, JUnit, human's inconclusive ones).
      keepResults: listsCases,
      signal: interrupts.signal,
      ...(progress ? { onProgress: (p) => progress.update(p) } : {}),
    };
    const summary =
      maxNr === undefined
        ? await runConformance(full)
        : await withAioMaxNr(maxNr, true, () => runConformance(full), true);
    return { summary, interrupted: interrupts.signal.aborted };
  } catch (e) {
    if (e instanceof RealUnavailable || e instanceof SysctlRefused)
      throw new EnvironmentError(e.message);
    if (e instanceof PathUnreachable || e instanceof CaseRefused) throw new UsageError(e.message);
    throw e;
  } finally {
    progress?.clear();
    interrupts.release();
  }
}

/** Say on stderr that the report is partial (it goes to the CI log whatever the reporters). */
function noteStopped(command: string, s: RunSummary): void {
  if (s.stopped === undefined) return;
  process.stderr.write(
    `aiospec ${command}: stopped early: ${s.stopped}; the report counts the ${s.cases} cases that ran\n`,
  );
}

/** The exit status of a run: Ctrl-C wins, then divergences. */
function exitCode(ran: Ran): number {
  if (ran.interrupted) return INTERRUPTED;
  return ran.summary.diverged > 0 ? 1 : 0;
}

/** --path, before the run: its form, its suite and seed, and an index the run generates. */
function checkPath(
  path: string,
  c: ReturnType<typeof commonConfig>,
  runsGiven: boolean,
  sequencesGiven: boolean,
): void {
  if (!/^\d+(:\d+)*$/.test(path)) throw new UsageError(pathProblem(path)!);
  if (c.suites.length !== 1 || c.suites[0] === 'table' || c.suites[0] === 'family-table')
    throw new UsageError(
      '--path: give exactly one --suite, props, stateful, family-props or family-stateful',
    );
  if (!c.seedGiven) throw new UsageError('--path: needs the --seed the path belongs to');
  // A report's replay command names no --runs: without one, any index a run can make is allowed.
  const reach =
    c.suites[0] === 'props' || c.suites[0] === 'family-props'
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
  const plans = planReports(stringsFlag(parsed, 'reporter'), s('out'));
  // Checked (created) before the run: a report that cannot be written is known before the work is done.
  const reports = Reports.open(plans);
  try {
    const ran = await execute(
      { ...config, ...(internal.rules ? { rules: internal.rules } : {}) },
      () => launchOf(c.target, c.flags.options),
      reports.listsCases,
      maxNr,
    );
    noteStopped('run', ran.summary);
    return { out: reports.write(ran.summary), code: exitCode(ran) };
  } finally {
    reports.discard(); // a no-op once the reports are in place
  }
}

/** The profile as the trace keeps it: its file name and JSON (already read and checked). */
function profileForTrace(p: SeccompProfile | undefined) {
  return p
    ? { seccompProfile: { source: p.source, json: JSON.parse(readFileSync(p.source, 'utf8')) } }
    : {};
}

export async function recordCommand(argv: readonly string[]): Promise<CommandResult> {
  const parsed = parseFlags(argv, COMMON);
  const c = commonConfig(parsed, 'target');
  const file = stringFlag(parsed, 'out');
  if (file === undefined)
    throw new UsageError('--out: missing (record needs the file to write the trace to)');
  // --out is the trace: every report goes to stdout or its own file.
  const plans = planReports(stringsFlag(parsed, 'reporter'), undefined);
  const launch = launchOf(c.target, c.flags.options); // fail before the file is created when the target cannot start
  // The trace goes to a temporary file as the run goes, renamed to FILE only when the run ended well.
  const out = OutputFile.open('--out', file);
  const writer = new TraceWriter(out, {
    target: c.target.name,
    profile: c.profile,
    seed: c.seed,
    suites: c.suites,
    tool: `aiospec ${toolVersion()}`,
    ...profileForTrace(c.flags.seccompProfile),
  });
  let reports: Reports | undefined;
  try {
    reports = Reports.open(plans);
    // Shrinking replays cases of its own; a recording keeps to the suites' cases.
    const ran = await execute(
      { ...suiteConfig(c), recorder: writer, shrinkMs: 0 },
      () => launch,
      reports.listsCases,
    );
    // An interrupted recording leaves no trace (as a killed one); one stopped by a flag keeps what ran.
    if (!ran.interrupted) {
      writer.end();
      out.commit();
    }
    noteStopped('record', ran.summary);
    return { out: reports.write(ran.summary), code: exitCode(ran) };
  } finally {
    reports?.discard();
    out.discard(); // the run failed, was refused or interrupted: no trace under FILE
  }
}
