/** `aiospec run` and `aiospec record`: the differential suites against a kernel, reported for people or for CI. */
import { existsSync, writeFileSync } from 'node:fs';
import { PROFILE_NAMES } from '../../model/index.js';
import { recoverAioMaxNr, SysctlRefused, withAioMaxNr } from '../../real/aio-max-nr-guard.js';
import { RealUnavailable } from '../../real/arch.js';
import { type Case, parseCase } from '../cases.js';
import { WorkerStartError } from '../engine/execute.js';
import type { ModelRules } from '../engine/mirror.js';
import type { RunSummary } from '../engine/summary.js';
import type { Suite } from '../engine/verdict.js';
import { humanReport, progressLine, REPORTERS, type ReporterName } from '../report/index.js';
import { type RunConfig, runConformance, SUITES } from '../run.js';
import { TraceWriter } from '../trace/writer.js';
import { type Options, type Parsed, parseFlags, stringFlag } from './args.js';
import { parseProfile } from './env-flags.js';
import { parseIntIn, parseU32, parseU64 } from './numbers.js';
import { launchOf, resolveTarget, TARGET_NAMES } from './targets.js';
import { EnvironmentError, UsageError } from './usage-error.js';

const SUITE_FLAGS = `  --suite S          table | props | stateful | all (default all)
  --runs N           props cases (default 10000); the stateful suite runs 3% as
                     many sequences (300 by default) unless --sequences says
  --sequences N      stateful sequences
  --seed=N           fast-check seed (default: random, printed in the report)
  --target NAME      where the calls run: ${TARGET_NAMES.join(' | ')} (default host)
  --reporter R       human (default) | tap (TAP 14) | junit (JUnit XML) | json`;

export const RUN_HELP = `usage: aiospec run [--suite table|props|stateful|all] [--runs N] [--seed=N]
                  [--profile NAME] [--target NAME] [--reporter human|tap|junit|json] [--out FILE]

Runs the same cases on the model and on a real kernel and reports every
difference, shrunk to a minimal case with the command that replays it.

${SUITE_FLAGS}
  --path P           replay the generated case at this path (with --seed and one --suite)
  --case JSON        replay one case, as printed in a report
  --profile NAME     the model's kernel profile: ${PROFILE_NAMES.join(' | ')} (default linux)
  --out FILE         write the report to FILE instead of stdout
  --set-aio-max-nr N run with /proc/sys/fs/aio-max-nr set to N (root; always restored)

Exit status: 0 conformant, 1 divergences found, 2 usage or environment error.`;

export const RECORD_HELP = `usage: aiospec record --out FILE [--target NAME] [--suite S] [--runs N] [--seed=N] [--profile NAME]

Runs the suites like \`run\` and writes everything the kernel did to FILE, a
trace (JSON Lines, see the README) that \`aiospec replay\` checks against the
model without a kernel. Prints the run's report like \`run\`.

  --out FILE         the trace to write (required)
${SUITE_FLAGS}
  --profile NAME     the profile the target is expected to conform to
                     (default: linux for host and uml, gvisor for gvisor)

Exit status: 0 conformant, 1 divergences found, 2 usage or environment error.`;

const COMMON: Options = {
  suite: { type: 'string' },
  runs: { type: 'string' },
  sequences: { type: 'string' },
  seed: { type: 'string' },
  profile: { type: 'string' },
  target: { type: 'string' },
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
    throw new UsageError(`--case: ${(e as Error).message}`);
  }
}

/** What run and record share: suites, sizes, seed, target and profile, reporter. */
function commonConfig(parsed: Parsed, profileDefault: 'linux' | 'target') {
  const s = (name: string) => stringFlag(parsed, name);
  const suites = parseSuites(s('suite'));
  const runs = s('runs') === undefined ? 10_000 : parseIntIn('--runs', s('runs'), 0, 10_000_000);
  const sequences =
    s('sequences') === undefined
      ? Math.max(1, Math.round(runs * 0.03))
      : parseIntIn('--sequences', s('sequences'), 0, 1_000_000);
  const seed =
    s('seed') === undefined
      ? Math.floor(Math.random() * 0x7fff_ffff)
      : parseU32('--seed', s('seed')) | 0;
  const target = resolveTarget(s('target'));
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
    seedGiven: s('seed') !== undefined,
  };
}

/** The part of a run's configuration that `run` and `record` take from the same flags. */
function suiteConfig(c: ReturnType<typeof commonConfig>) {
  const { suites, runs, sequences, seed, profile } = c;
  return { suites, runs, sequences, seed, profile, target: c.target.name };
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
  out: string | undefined,
  maxNr?: bigint,
) {
  const tty = reporter === 'human' && process.stderr.isTTY === true;
  let summary: RunSummary;
  try {
    if (config.target === 'host') recoverSysctl();
    const full: RunConfig = {
      ...config,
      launch: targetLaunch(),
      faultInjection: existsSync('/proc/self/fail-nth'),
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
    if (e instanceof RealUnavailable || e instanceof SysctlRefused || e instanceof WorkerStartError)
      throw new EnvironmentError(e.message);
    throw e;
  } finally {
    if (tty) process.stderr.write('\r\x1b[K');
  }
  const text =
    reporter === 'human'
      ? humanReport(summary, process.stdout.isTTY === true && out === undefined)
      : REPORTERS[reporter](summary);
  const code = summary.diverged > 0 ? 1 : 0;
  if (out !== undefined) {
    writeFileSync(out, text.endsWith('\n') ? text : `${text}\n`);
    return { out: '', code };
  }
  return { out: text, code };
}

/**
 * `aiospec run ARGV`. `internal.rules` replaces model rules: tests use it to
 * run a printed replay command exactly as printed, against a deliberately
 * broken model.
 */
export async function runCommand(
  argv: readonly string[],
  internal: { readonly rules?: ModelRules } = {},
): Promise<{ out: string; code: number }> {
  const parsed = parseFlags(argv, {
    ...COMMON,
    path: { type: 'string' },
    case: { type: 'string' },
    'set-aio-max-nr': { type: 'string' },
  });
  const s = (name: string) => stringFlag(parsed, name);
  const c = commonConfig(parsed, 'linux');
  const path = s('path');
  if (path !== undefined && !/^\d+(:\d+)*$/.test(path))
    throw new UsageError(`--path: "${path}" is not a fast-check path (like 42 or 42:0:1)`);
  if (path !== undefined && (c.suites.length !== 1 || c.suites[0] === 'table'))
    throw new UsageError('--path: give exactly one --suite, props or stateful');
  if (path !== undefined && !c.seedGiven)
    throw new UsageError('--path: needs the --seed the path belongs to');
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
  return execute(
    { ...config, ...(internal.rules ? { rules: internal.rules } : {}) },
    () => launchOf(c.target),
    c.reporter,
    s('out'),
    maxNr,
  );
}

export async function recordCommand(
  argv: readonly string[],
): Promise<{ out: string; code: number }> {
  const parsed = parseFlags(argv, { ...COMMON, out: { type: 'string' } });
  const c = commonConfig(parsed, 'target');
  const file = stringFlag(parsed, 'out');
  if (file === undefined)
    throw new UsageError('--out: missing (record needs the file to write the trace to)');
  const launch = launchOf(c.target); // fail before the file is created when the target cannot start
  const writer = new TraceWriter(file, {
    target: c.target.name,
    profile: c.profile,
    seed: c.seed,
    suites: c.suites,
    tool: 'aiospec 0.1.0',
  });
  try {
    // Shrinking replays cases of its own; a recording keeps to the suites' cases.
    return await execute(
      { ...suiteConfig(c), recorder: writer, shrinkMs: 0 },
      () => launch,
      c.reporter,
      undefined,
    );
  } finally {
    writer.close();
  }
}
