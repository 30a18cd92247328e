/** `aiospec replay FILE`: a recorded trace checked against the model, no kernel involved. */

import { readFileSync } from 'node:fs';
import { type ReporterName, reportChunks } from '../report/index.js';
import { TraceError } from '../trace/format.js';
import { replayTrace } from '../trace/replay.js';
import { parseFlags, stringFlag } from './args.js';
import type { CommandResult } from './command-result.js';
import { parseProfile } from './env-flags.js';
import { describeErrno, OutputFile, writeWhole } from './output.js';
import { parseReporter } from './run.js';
import { EnvironmentError, UsageError } from './usage-error.js';

export const REPLAY_HELP = `usage: aiospec replay FILE [--profile NAME] [--reporter human|tap|junit|json] [--out FILE]

Checks a trace written by \`aiospec record\` against the model, with no kernel
involved, and reports like \`run\` (same reporters and exit codes).

  --profile NAME     judge with this profile instead of the one the trace names
  --reporter R       human (default) | tap | junit | json
  --out FILE         write the report to FILE instead of stdout (whole or not at all)

A worker that crashed or hung while recording a case makes that case
inconclusive (the reason names its trace line), never a divergence.

Exit status: 0 conformant, 1 divergences found, 2 usage error, a trace that
cannot be read (the error names the line and the field), or a trace with no
cases to judge, 3 internal error.`;

export async function replayCommand(argv: readonly string[]): Promise<CommandResult> {
  const parsed = parseFlags(
    argv,
    { profile: { type: 'string' }, reporter: { type: 'string' }, out: { type: 'string' } },
    1,
  );
  const file = parsed.positionals[0];
  if (file === undefined) throw new UsageError('FILE: missing (replay needs the trace to check)');
  const reporter = parseReporter(stringFlag(parsed, 'reporter'));
  const profileText = stringFlag(parsed, 'profile');
  const profile = profileText === undefined ? {} : { profile: parseProfile(profileText) };
  const outPath = stringFlag(parsed, 'out');
  const out = outPath === undefined ? undefined : OutputFile.open('--out', outPath);
  try {
    return await judge(file, profile, reporter, out);
  } finally {
    out?.discard(); // a no-op once the report is in place
  }
}

async function judge(
  file: string,
  profile: Parameters<typeof replayTrace>[1],
  reporter: ReporterName,
  out: OutputFile | undefined,
): Promise<CommandResult> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new EnvironmentError(
      `${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : describeErrno(e)}`,
    );
  }
  let summary: Awaited<ReturnType<typeof replayTrace>>['summary'];
  try {
    ({ summary } = await replayTrace(text, profile));
  } catch (e) {
    if (e instanceof TraceError) throw new EnvironmentError(`${file}: ${e.message}`);
    throw e;
  }
  const report = reportChunks(reporter, summary, {
    color: process.stdout.isTTY === true && out === undefined,
  });
  const code = summary.diverged > 0 ? 1 : 0;
  if (out !== undefined) {
    writeWhole(out, report);
    return { out: '', code };
  }
  return { out: report, code };
}
