/**
 * Which reports a command writes, and where. `--reporter NAME[:FILE]` may be
 * given several times (`--reporter human --reporter junit:report.xml`): a
 * reporter with a file writes there, at most one without writes to stdout.
 * `--out FILE` is the file of the one reporter that names none.
 */
import type { RunSummary } from '../engine/summary.js';
import { REPORTERS, type ReporterName, reportChunks } from '../report/index.js';
import { colorWanted } from './color.js';
import type { CommandResult } from './command-result.js';
import { OutputFile, writeWhole } from './output.js';
import { UsageError } from './usage-error.js';

export interface ReportPlan {
  readonly name: ReporterName;
  /** Where it goes; absent: stdout. */
  readonly file?: string;
  /** The flag that named the file, for messages. */
  readonly flag: string;
}

function reporterName(text: string, spec: string): ReporterName {
  if (!Object.hasOwn(REPORTERS, text))
    throw new UsageError(
      `--reporter: "${spec}" is not one of ${Object.keys(REPORTERS).join(', ')} (optionally NAME:FILE)`,
    );
  return text as ReporterName;
}

/** `human`, `junit:report.xml`: the name, then anything after the first colon is the file. */
function parseSpec(spec: string): ReportPlan {
  const colon = spec.indexOf(':');
  if (colon < 0) return { name: reporterName(spec, spec), flag: '--reporter' };
  const name = reporterName(spec.slice(0, colon), spec);
  const file = spec.slice(colon + 1);
  if (file === '') throw new UsageError(`--reporter: "${spec}" names no file after the colon`);
  return { name, file, flag: `--reporter ${name}` };
}

/** The reports asked for by the --reporter flags (human when none) and --out. */
export function planReports(specs: readonly string[], out: string | undefined): ReportPlan[] {
  let plans = (specs.length === 0 ? ['human'] : specs).map(parseSpec);
  const unnamed = plans.filter((p) => p.file === undefined);
  if (out !== undefined) {
    if (unnamed.length !== 1)
      throw new UsageError(
        unnamed.length === 0
          ? '--out: every --reporter already names its file'
          : `--out: names one file for ${unnamed.length} reporters (${unnamed.map((p) => p.name).join(', ')}); give them their own: --reporter NAME:FILE`,
      );
    plans = plans.map((p) => (p.file === undefined ? { ...p, file: out, flag: '--out' } : p));
  } else if (unnamed.length > 1) {
    throw new UsageError(
      `--reporter: ${unnamed.map((p) => p.name).join(' and ')} would both write to stdout; give all but one a file: --reporter NAME:FILE`,
    );
  }
  const files = plans.flatMap((p) => (p.file === undefined ? [] : [p.file]));
  const twice = files.find((f, i) => files.indexOf(f) !== i);
  if (twice !== undefined) throw new UsageError(`--reporter: two reports name the file ${twice}`);
  return plans;
}

/** The planned reports with their files opened: checked before the run, written after it. */
export class Reports {
  private constructor(
    private readonly plans: readonly ReportPlan[],
    private readonly files: ReadonlyMap<ReportPlan, OutputFile>,
  ) {}

  /** Open (create) every file now: one that cannot be written is refused before any work. */
  static open(plans: readonly ReportPlan[]): Reports {
    const files = new Map<ReportPlan, OutputFile>();
    try {
      for (const p of plans)
        if (p.file !== undefined) files.set(p, OutputFile.open(p.flag, p.file));
    } catch (e) {
      for (const f of files.values()) f.discard();
      throw e;
    }
    return new Reports(plans, files);
  }

  /** Whether a report lists cases one by one (TAP, JUnit, human's inconclusive ones): the run keeps them. */
  get listsCases(): boolean {
    return this.plans.some((p) => p.name !== 'json');
  }

  /**
   * Write the file reports (each whole or not at all) and return the one for
   * stdout, coloured when stdout wants colour (NO_COLOR, FORCE_COLOR, a terminal).
   */
  write(summary: RunSummary): CommandResult['out'] {
    let stdout: CommandResult['out'] = '';
    for (const p of this.plans) {
      const file = this.files.get(p);
      if (file) writeWhole(file, reportChunks(p.name, summary, { color: false }));
      else stdout = reportChunks(p.name, summary, { color: colorWanted(process.stdout) });
    }
    return stdout;
  }

  /** Remove the files not written (a failed or refused run); no-op for those in place. */
  discard(): void {
    for (const f of this.files.values()) f.discard();
  }
}
