/** `aiospec explain io_submit|io_getevents|io_pgetevents|io_cancel [flags]`: the model alone. */
import { familyFilterProblem } from '../../model/index.js';
import { explainFamilyJson, explainFamilyText } from '../render/explain-family.js';
import { boolFlag, type Options, parseFlags, stringFlag } from './args.js';
import { ENV_FLAGS } from './env-flags.js';
import {
  FAMILY_BOOLEAN_FLAGS,
  FAMILY_CALL_FLAGS,
  FAMILY_CALLS,
  FAMILY_COMMON_FLAGS,
  type FamilyCallName,
  type FamilyExplainInput,
  familyExplainInput,
} from './explain-family-input.js';
import { explainFamilyCall } from './explain-family-run.js';
import { nativeScmpArch, readSeccompProfile, resolveForModel } from './seccomp-profile-flag.js';
import { UsageError } from './usage-error.js';

/** Every flag any family call takes: a flag of another call is then refused by name, not as unknown. */
function familyOptions(): Options {
  const names = new Set<string>([
    ...FAMILY_COMMON_FLAGS,
    ...FAMILY_CALLS.flatMap((c) => FAMILY_CALL_FLAGS[c]),
  ]);
  const options: Options = {
    ...ENV_FLAGS,
    json: { type: 'boolean' },
    'seccomp-profile': { type: 'string' },
    'nr-events': { type: 'string' },
    ctx: { type: 'string' },
  };
  for (const n of names)
    options[n] = { type: FAMILY_BOOLEAN_FLAGS.includes(n) ? 'boolean' : 'string' };
  return options;
}

/**
 * `--nr -1` as `--nr=-1`: parseArgs takes a value starting with "-" for a flag,
 * but the family's counts are C longs, and a negative one is a case worth asking about.
 */
export function joinNegativeValues(argv: readonly string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    const name = a.startsWith('--') && !a.includes('=') ? a.slice(2) : null;
    if (name && options[name]?.type === 'string' && next !== undefined && /^-[0-9]/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

/** The input under a seccomp profile read from `file`: it filters the call (not the io_setup before it). */
function withProfile(input: FamilyExplainInput, file: string | undefined): FamilyExplainInput {
  if (file === undefined) return input;
  const filter = resolveForModel(readSeccompProfile(file), {
    arch: nativeScmpArch() ?? 'SCMP_ARCH_X86_64',
    caps: new Set<string>(),
    kernel: '6.18',
  });
  const problem = familyFilterProblem(filter);
  if (problem !== null) throw new UsageError(`--seccomp-profile: ${file}: ${problem}`);
  const filters = [filter, ...(input.callEnv.seccompFilters ?? [])];
  return {
    ...input,
    env: { ...input.env, seccompFilters: [filter] },
    callEnv: { ...input.callEnv, seccompFilters: filters },
  };
}

export function explainFamilyCommand(
  syscall: FamilyCallName,
  argv: readonly string[],
): { out: string; code: number } {
  const options = familyOptions();
  const parsed = parseFlags(joinNegativeValues(argv, options), options);
  const input = withProfile(
    familyExplainInput(syscall, parsed.values),
    stringFlag(parsed, 'seccomp-profile'),
  );
  const x = explainFamilyCall(input);
  if (boolFlag(parsed, 'json'))
    return { out: JSON.stringify(explainFamilyJson(input, x)), code: 0 };
  return { out: explainFamilyText(input, x), code: 0 };
}

export const EXPLAIN_FAMILY_USAGE = `       aiospec explain io_submit|io_getevents|io_pgetevents|io_cancel [call flags] [--json]
       aiospec explain capacity --nr-events N [--cpus N] [--page-size N] [--json]`;

export const EXPLAIN_FAMILY_HELP = `The rest of the family: one call against a context made by io_setup(--ctx-nr)
in the model (outside any filter), with the verdict as C, the rule trail with
sources (io_submit: each iocb's too), aio_key, the events, ring head/tail and
slots before and after. Longs may be negative (--nr -1).

  every call   --kernel 6.1|6.12|6.18 (default 6.18; ignored by --profile gvisor)
               --ctx-nr N (io_setup's nr_events, default 128); --bad-ctx (handle 0)
               --pending N (PREADs completed before, events in the ring)
               --in-flight N (FSYNCs submitted before, completing later)
               --fill N (bytes in the pipe, the eventfd's count); --rt-ioprio
               --profile linux|gvisor, --cpus, --page-size, --seccomp ERRNO (on
               this call), --seccomp-profile FILE, --no-aio, --aio-max-nr, --aio-nr
  io_submit    --opcode pread|pwrite|fsync|fdsync|poll|noop|preadv|pwritev|N (pread)
               --fd file[:r|w|rw]|pipe-read|pipe-write|eventfd|dir|closed|N (file)
               --buf N (bytes)|iov:N[,M..]|unmapped|kernel|0xVALUE (opcode's usual)
               --nbytes N, --offset N, --rw-flags NAMES|N (hipri|dsync|sync|nowait|
               append|noappend|atomic|dontcache), --reqprio rt:L|be:L|idle:L|N,
               --flags resfd|ioprio|N, --resfd FD (eventfd), --reserved2 N,
               --key N (aio_key before), --data N, --nr N (1), --iocbs K (copies
               of the iocb in iocbpp; default nr up to 4096), --iocbpp array|null|
               unmapped, --iocb readable|readonly|null|unmapped (iocbpp[i] points at)
  io_getevents --min-nr N (1), --nr N (1), --events buffer|null|unmapped|readonly,
               --timeout null|unmapped|SEC[.FRACTION]|SEC,NSEC (0)
  io_pgetevents the same, and --usig null|unmapped, --sigmask null|unmapped|empty|
               block-usr1, --sigsetsize N (8), --pending-usr1 (SIGUSR1 raised)
  io_cancel    --iocb pending-poll|completed|never-submitted|null|unmapped
               (pending-poll), --key N (aio_key at the call), --result buffer|null

capacity: ring->nr N, req_batch B, K (submissions from a pinned CPU before
EAGAIN) and the lower bound L of io_setup(--nr-events), with the arithmetic.`;
