/**
 * The aiospec command line: dispatch, one-line errors, exit codes (0 ok, 1
 * divergence, 2 usage/environment; bin/aiospec turns anything else into 3, an
 * internal error).
 */
import { RealUnavailable } from '../../real/arch.js';
import { WorkerStartError } from '../../real/worker-process.js';
import { printable } from '../report/printable.js';
import { type CommandResult, writeOut } from './command-result.js';
import { DOCTOR_HELP, doctorCommand } from './doctor.js';
import { EXPLAIN_HELP, explainCommand } from './explain.js';
import { openFilesMessage } from './fd-limit.js';
import { KERNEL_HELP, kernelCommand } from './kernel.js';
import { MATRIX_HELP, matrixCommand } from './matrix.js';
import { PLAYGROUND_HELP, playgroundCommand } from './playground.js';
import { REPLAY_HELP, replayCommand } from './replay.js';
import { RECORD_HELP, RUN_HELP, recordCommand, runCommand } from './run.js';
import { EnvironmentError, UsageError } from './usage-error.js';
import { toolVersion } from './version.js';

type Command = (argv: readonly string[]) => CommandResult | Promise<CommandResult>;

const COMMANDS: Record<string, { run: Command; help: string; summary: string }> = {
  run: {
    run: runCommand,
    help: RUN_HELP,
    summary: 'the model against a real kernel: every difference, shrunk and replayable',
  },
  record: {
    run: recordCommand,
    help: RECORD_HELP,
    summary: 'run the suites and write what the kernel did to a trace',
  },
  matrix: {
    run: matrixCommand,
    help: MATRIX_HELP,
    summary:
      'the suites on every target here (host, oci, UML kernels, gVisor): one table, coverage united',
  },
  replay: {
    run: replayCommand,
    help: REPLAY_HELP,
    summary: 'check a recorded trace against the model, no kernel needed',
  },
  explain: {
    run: explainCommand,
    help: EXPLAIN_HELP,
    summary:
      'one AIO call (io_setup, io_submit, io_getevents, io_pgetevents, io_cancel) through the model, step by step',
  },
  doctor: {
    run: doctorCommand,
    help: DOCTOR_HELP,
    summary: 'why io_setup fails with EAGAIN here: what is left, who holds it, will N fit',
  },
  playground: {
    run: playgroundCommand,
    help: PLAYGROUND_HELP,
    summary: 'the model in a browser page: single calls, sequences, replayed traces',
  },
  kernel: {
    run: kernelCommand,
    help: KERNEL_HELP,
    summary:
      'build user-mode Linux kernels to run against (Debian sources or your tree); list them',
  },
};

function commandList(): string {
  return `one of ${Object.keys(COMMANDS).join(', ')}`;
}

function usage(): string {
  const rows = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return [
    'usage: aiospec COMMAND [flags]   (aiospec help COMMAND, or COMMAND --help, for its flags)',
    '       aiospec --version',
    '',
    ...rows,
  ].join('\n');
}

/** `aiospec help [COMMAND]`: the command's help, or the overview. */
function help(args: readonly string[]): number {
  const [topic, ...extra] = args;
  if (extra.length > 0) {
    process.stderr.write(`aiospec help: unexpected argument "${printable(extra[0]!)}"\n`);
    return 2;
  }
  if (topic === undefined) {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  const cmd = COMMANDS[topic];
  if (!cmd) {
    process.stderr.write(
      `aiospec help: unknown command "${printable(topic)}" (${commandList()})\n`,
    );
    return 2;
  }
  process.stdout.write(`${cmd.help}\n`);
  return 0;
}

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    process.stderr.write(`aiospec: missing command (${commandList()}; aiospec --help says more)\n`);
    return 2;
  }
  if (name === '--help' || name === '-h') return help([]);
  if (name === 'help') return help(rest);
  if (name === '--version') {
    process.stdout.write(`aiospec ${toolVersion()}\n`);
    return 0;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    process.stderr.write(
      `aiospec: unknown command "${printable(name)}" (${commandList()}; aiospec --help says more)\n`,
    );
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${cmd.help}\n`);
    return 0;
  }
  try {
    const { out, code } = await cmd.run(rest);
    writeOut(out);
    return code;
  } catch (e) {
    const why = environmentProblem(e);
    if (why === null) throw e;
    // Messages quote arguments, file names and trace content: one line, nothing a terminal acts on.
    process.stderr.write(`aiospec ${name}: ${printable(oneLine(why))}\n`);
    return 2;
  }
}

/** What went wrong, when it is the command line or this machine rather than aiospec (exit 2); else null. */
function environmentProblem(e: unknown): string | null {
  const files = openFilesMessage(e);
  if (files !== null) return files;
  if (
    e instanceof UsageError ||
    e instanceof EnvironmentError ||
    e instanceof RealUnavailable ||
    e instanceof WorkerStartError
  )
    return e.message;
  return null;
}

/** Messages can carry a worker's stderr: keep the promise of one line. */
function oneLine(text: string): string {
  const flat = text.trim().replace(/\s*\n\s*/g, ' | ');
  return flat.length > 600 ? `${flat.slice(0, 600)}...` : flat;
}
