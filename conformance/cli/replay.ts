/** `aiospec replay FILE`: a recorded trace checked against the model, no kernel involved. */

import { readFileSync } from 'node:fs';
import type { RunSummary } from '../engine/summary.js';
import { TraceError } from '../trace/format.js';
import { replayTrace } from '../trace/replay.js';
import { parseFlags, stringFlag, stringsFlag } from './args.js';
import type { CommandResult } from './command-result.js';
import { parseProfile } from './env-flags.js';
import { describeErrno } from './output.js';
import { planReports, Reports } from './reporters.js';
import { EnvironmentError, UsageError } from './usage-error.js';

export const REPLAY_HELP = `usage: aiospec replay FILE [--profile NAME] [--reporter NAME[:FILE]]... [--out FILE]

Checks a trace written by \`aiospec record\` against the model, with no kernel
involved, and reports like \`run\` (same reporters and exit codes).

  --profile NAME     judge with this profile instead of the one the trace names
  --reporter R[:FILE] human (default) | tap | junit | json, to FILE when given,
                     else stdout; repeat it for several reports
  --out FILE         write the report that names no FILE there instead of stdout
                     (whole or not at all)

A worker that crashed or hung while recording a case makes that case
inconclusive (the reason names its trace line), never a divergence.

Exit status: 0 conformant, 1 divergences found, 2 usage error, a trace that
cannot be read (the error names the line and the field), or a trace with no
cases to judge, 3 internal error.`;

export async function replayCommand(argv: readonly string[]): Promise<CommandResult> {
  const parsed = parseFlags(
    argv,
    {
      profile: { type: 'string' },
      reporter: { type: 'string', multiple: true },
      out: { type: 'string' },
    },
    1,
  );
  const file = parsed.positionals[0];
  if (file === undefined) throw new UsageError('FILE: missing (replay needs the trace to check)');
  const plans = planReports(stringsFlag(parsed, 'reporter'), stringFlag(parsed, 'out'));
  const profileText = stringFlag(parsed, 'profile');
  const profile = profileText === undefined ? {} : { profile: parseProfile(profileText) };
  const reports = Reports.open(plans);
  try {
    const summary = await judge(file, profile);
    return { out: reports.write(summary), code: summary.diverged > 0 ? 1 : 0 };
  } finally {
    reports.discard(); // a no-op once the reports are in place
  }
}

/** The trace in FILE judged by the model: the run's summary, as `run` would have made it. */
export async function judge(
  file: string,
  profile: Parameters<typeof replayTrace>[1],
): Promise<RunSummary> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new EnvironmentError(
      `${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : describeErrno(e)}`,
    );
  }
  try {
    return (await replayTrace(text, profile)).summary;
  } catch (e) {
    if (e instanceof TraceError) throw new EnvironmentError(`${file}: ${e.message}`);
    throw e;
  }
}
