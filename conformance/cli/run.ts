/** `aiospec run`: the differential suites against a kernel, reported for people or for CI. */
import { existsSync, writeFileSync } from 'node:fs';
import { PROFILE_NAMES } from '../../model/index.js';
import { recoverAioMaxNr, SysctlRefused, withAioMaxNr } from '../../real/aio-max-nr-guard.js';
import { RealUnavailable } from '../../real/arch.js';
import { type Case, parseCase } from '../cases.js';
import type { RunSummary } from '../engine/summary.js';
import type { Suite } from '../engine/verdict.js';
import { humanReport, progressLine, REPORTERS, type ReporterName } from '../report/index.js';
import { runConformance, SUITES } from '../run.js';
import { boolFlag, parseFlags, stringFlag } from './args.js';
import { parseProfile } from './env-flags.js';
import { parseIntIn, parseU32, parseU64 } from './numbers.js';
import { resolveTarget, TARGET_NAMES } from './targets.js';
import { EnvironmentError, UsageError } from './usage-error.js';

export const RUN_HELP = `usage: aiospec run [--suite table|props|stateful|all] [--runs N] [--seed=N]
                  [--profile NAME] [--target NAME] [--reporter human|tap|junit|json] [--out FILE]

Runs the same cases on the model and on a real kernel and reports every
difference, shrunk to a minimal case with the command that replays it.

  --suite S          table | props | stateful | all (default all)
  --runs N           props cases (default 10000); the stateful suite runs 3% as
                     many sequences (300 by default) unless --sequences says
  --sequences N      stateful sequences
  --seed=N           fast-check seed (default: random, printed in the report)
  --path P           replay the generated case at this path (with --seed and one --suite)
  --case JSON        replay one case, as printed in a report
  --profile NAME     the model's kernel profile: ${PROFILE_NAMES.join(' | ')} (default linux)
  --target NAME      where the calls run: ${TARGET_NAMES.join(' | ')} (default host)
  --reporter R       human (default) | tap (TAP 14) | junit (JUnit XML) | json
  --out FILE         write the report to FILE instead of stdout
  --set-aio-max-nr N run with /proc/sys/fs/aio-max-nr set to N (root; always restored)

Exit status: 0 conformant, 1 divergences found, 2 usage or environment error.`;

function parseSuites(text: string | undefined): Suite[] {
  if (text === undefined || text === 'all') return [...SUITES];
  const suite = SUITES.find((s) => s === text);
  if (!suite) throw new UsageError(`--suite: "${text}" is not one of ${SUITES.join(', ')}, all`);
  return [suite];
}

function parseReporter(text: string | undefined): ReporterName {
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

export async function runCommand(argv: readonly string[]): Promise<{ out: string; code: number }> {
  const parsed = parseFlags(argv, {
    suite: { type: 'string' },
    runs: { type: 'string' },
    sequences: { type: 'string' },
    seed: { type: 'string' },
    path: { type: 'string' },
    case: { type: 'string' },
    profile: { type: 'string' },
    target: { type: 'string' },
    reporter: { type: 'string' },
    out: { type: 'string' },
    'set-aio-max-nr': { type: 'string' },
  });
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
  const path = s('path');
  if (path !== undefined && !/^\d+(:\d+)*$/.test(path))
    throw new UsageError(`--path: "${path}" is not a fast-check path (like 42 or 42:0:1)`);
  if (path !== undefined && (suites.length !== 1 || suites[0] === 'table'))
    throw new UsageError('--path: give exactly one --suite, props or stateful');
  if (path !== undefined && s('seed') === undefined)
    throw new UsageError('--path: needs the --seed the path belongs to');
  const only = parseCaseFlag(s('case'));
  const profile = parseProfile(s('profile'));
  const reporter = parseReporter(s('reporter'));
  const target = resolveTarget(s('target'));
  const maxNr =
    s('set-aio-max-nr') === undefined
      ? undefined
      : parseU64('--set-aio-max-nr', s('set-aio-max-nr'));
  if (boolFlag(parsed, 'help')) return { out: RUN_HELP, code: 0 };

  if (target.name === 'host') {
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
  const tty = reporter === 'human' && process.stderr.isTTY === true;
  const config = {
    suites,
    runs,
    sequences,
    seed,
    profile,
    target: target.name,
    launch: target.launch(),
    ...(only ? { only } : {}),
    ...(path !== undefined ? { path } : {}),
    faultInjection: existsSync('/proc/self/fail-nth'),
    ...(tty
      ? {
          onProgress: (suite: Suite, done: number, total: number) =>
            process.stderr.write(`\r${progressLine(suite, done, total)}\x1b[K`),
        }
      : {}),
  };
  let summary: RunSummary;
  try {
    summary =
      maxNr === undefined
        ? await runConformance(config)
        : await withAioMaxNr(maxNr, true, () => runConformance(config));
  } catch (e) {
    if (e instanceof RealUnavailable || e instanceof SysctlRefused)
      throw new EnvironmentError(e.message);
    throw e;
  } finally {
    if (tty) process.stderr.write('\r\x1b[K');
  }
  const text =
    reporter === 'human'
      ? humanReport(summary, process.stdout.isTTY === true && s('out') === undefined)
      : REPORTERS[reporter](summary);
  const code = summary.diverged > 0 ? 1 : 0;
  if (s('out') !== undefined) {
    writeFileSync(s('out')!, text.endsWith('\n') ? text : `${text}\n`);
    return { out: '', code };
  }
  return { out: text, code };
}
