/**
 * `aiospec matrix`: the suites on every target this machine can offer, one
 * after the other (host, a runc container, Debian's UML kernel, each kernel in
 * the cache, gVisor), as `run` would run each, in one table with the union of
 * their rule coverage. Rows run one at a time: they share aio-nr (host, oci)
 * and the machine's CPUs, and a row's timing should be its own.
 */

import { builtKernels } from '../kernel/cache.js';
import { type MatrixOutcome, matrixDiverged } from '../matrix/outcome.js';
import { renderMatrixHuman } from '../matrix/report-human.js';
import { renderMatrixJson } from '../matrix/report-json.js';
import { matrixJunitChunks } from '../matrix/report-junit.js';
import { matrixRows } from '../matrix/rows.js';
import { type RowConfig, type RowOutcome, runRow } from '../matrix/run-row.js';
import { unionCoverage } from '../matrix/union-coverage.js';
import { type Parsed, parseFlags, stringFlag, stringsFlag } from './args.js';
import { colorWanted } from './color.js';
import type { CommandResult } from './command-result.js';
import { catchInterrupts, INTERRUPTED } from './interrupt.js';
import { parseIntIn } from './numbers.js';
import { OutputFile, writeWhole } from './output.js';
import { ProgressDisplay } from './progress.js';
import { planReports, type ReportPlan } from './reporters.js';
import { parseSuites } from './run.js';
import { profileFlags } from './run-target-flags.js';
import { parseSeed, randomSeed } from './seed.js';
import { resolveTarget } from './targets.js';
import { UsageError } from './usage-error.js';

/** Smaller than run's 10,000: measured here, the whole matrix at 2,000 takes about 35 s. */
const DEFAULT_RUNS = 2000;

export const MATRIX_HELP = `usage: aiospec matrix [--suite S] [--runs N] [--sequences N] [--seed=N]
                     [--seccomp-profile FILE]... [--reporter NAME[:FILE]]... [--out FILE]

Runs the suites on every target: host, oci (runc), uml (Debian's linux.uml),
uml with each kernel \`aiospec kernel build\` made, gvisor; each against the
profile it should conform to. Prints one table (target, kernel release,
features, cases, verdict, rules covered, wall time) and the union of the rows'
rule coverage, saying why each rule no row reached is uncovered. A target that
cannot run here is a skipped row with the reason (or the command that builds
the missing kernel).

  --suite S          table | props | stateful | faults | all (default all; faults
                     runs within all only on a kernel with fault injection)
  --runs N           props cases per row (default ${DEFAULT_RUNS}); the stateful suite
                     runs 3% as many sequences unless --sequences says
  --sequences N      stateful sequences per row
  --seed=N           fast-check seed for every row (default: random, printed)
  --seccomp-profile FILE
                     adds rows host+NAME and oci+NAME running under this profile
                     (UML and gVisor cannot take one); repeat it for several
                     profiles: the seccomp rules need them
  --reporter R[:FILE] human (default) | junit (one testsuite per row and suite,
                     named ROW/suite) | json (schema/matrix.schema.json); to FILE
                     when given, else stdout; repeat it for several reports
  --out FILE         the file of the one reporter that names none

Exit status: 0 every row that ran conformed, 1 a row diverged, 2 usage or
environment error, 3 internal error, 130 interrupted (Ctrl-C; after the partial
table).`;

const MATRIX_REPORTERS = ['human', 'json', 'junit'] as const;

function plans(parsed: Parsed): ReportPlan[] {
  const planned = planReports(stringsFlag(parsed, 'reporter'), stringFlag(parsed, 'out'));
  const other = planned.find((p) => !(MATRIX_REPORTERS as readonly string[]).includes(p.name));
  if (other)
    throw new UsageError(
      `--reporter: ${other.name} is not one for matrix (${MATRIX_REPORTERS.join(', ')}; \`aiospec run --reporter ${other.name}\` per target)`,
    );
  return planned;
}

/** The --seccomp-profile files, each read and checked now (a bad file is a usage error before any row runs). */
function profileFiles(parsed: Parsed): string[] {
  const files = stringsFlag(parsed, 'seccomp-profile');
  for (const f of files) profileFlags(f, resolveTarget('host'));
  return files;
}

function render(
  name: ReportPlan['name'],
  m: MatrixOutcome,
  color: boolean,
): string | Iterable<string> {
  if (name === 'json') return renderMatrixJson(m);
  if (name === 'junit') return matrixJunitChunks(m);
  return renderMatrixHuman(m, { color });
}

function progressDisplay(): ProgressDisplay | null {
  if (process.stderr.isTTY !== true) return null;
  return new ProgressDisplay({
    write: (text) => process.stderr.write(text),
    columns: () => process.stderr.columns,
  });
}

export async function matrixCommand(argv: readonly string[]): Promise<CommandResult> {
  const parsed = parseFlags(argv, {
    suite: { type: 'string', multiple: true },
    runs: { type: 'string' },
    sequences: { type: 'string' },
    seed: { type: 'string' },
    'seccomp-profile': { type: 'string', multiple: true },
    reporter: { type: 'string', multiple: true },
    out: { type: 'string' },
  });
  const s = (name: string) => stringFlag(parsed, name);
  const suites = parseSuites(stringsFlag(parsed, 'suite'));
  const runs =
    s('runs') === undefined ? DEFAULT_RUNS : parseIntIn('--runs', s('runs'), 0, 10_000_000);
  const sequences =
    s('sequences') === undefined
      ? Math.max(1, Math.round(runs * 0.03))
      : parseIntIn('--sequences', s('sequences'), 0, 1_000_000);
  const seed = s('seed') === undefined ? randomSeed() : parseSeed(s('seed'));
  const profiles = profileFiles(parsed);
  const planned = plans(parsed);
  const files = new Map<ReportPlan, OutputFile>();
  const progress = progressDisplay();
  const interrupts = catchInterrupts(() => progress?.clear());
  const started = Date.now();
  try {
    for (const p of planned)
      if (p.file !== undefined) files.set(p, OutputFile.open(p.flag, p.file));
    const cfg: RowConfig = {
      suites,
      runs,
      sequences,
      seed,
      keepResults: planned.some((p) => p.name === 'junit'),
      signal: interrupts.signal,
      ...(progress ? { onProgress: (p) => progress.update(p) } : {}),
    };
    const rows: RowOutcome[] = [];
    for (const spec of matrixRows(builtKernels(), profiles)) {
      rows.push(await runRow(spec, cfg));
      progress?.clear();
    }
    const ran = rows.flatMap((r) =>
      'summary' in r ? [{ label: r.spec.label, coverage: r.summary.coverage }] : [],
    );
    const interrupted = interrupts.signal.aborted;
    const m: MatrixOutcome = {
      seed,
      suites,
      runs,
      sequences,
      rows,
      coverage: unionCoverage(ran),
      wallMs: Date.now() - started,
      ...(interrupted ? { stopped: 'interrupted (SIGINT)' } : {}),
    };
    if (interrupted)
      process.stderr.write(
        'aiospec matrix: stopped early: interrupted (SIGINT); the rows after it did not run\n',
      );
    let out: CommandResult['out'] = '';
    for (const p of planned) {
      const file = files.get(p);
      if (file) writeWhole(file, render(p.name, m, false));
      else out = render(p.name, m, colorWanted(process.stdout));
    }
    return { out, code: interrupted ? INTERRUPTED : matrixDiverged(m) ? 1 : 0 };
  } finally {
    progress?.clear();
    interrupts.release();
    for (const f of files.values()) f.discard();
  }
}
