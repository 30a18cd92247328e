/** `aiospec explain`: the model alone, no kernel needed. */
import { CTX_KIND_NAMES, envProblem } from '../../model/index.js';
import { explainJson, explainText } from '../render/explain.js';
import { boolFlag, parseFlags, stringFlag } from './args.js';
import { ENV_FLAGS } from './env-flags.js';
import { explainCapacityCommand } from './explain-capacity.js';
import {
  EXPLAIN_FAMILY_HELP,
  EXPLAIN_FAMILY_USAGE,
  explainFamilyCommand,
} from './explain-family.js';
import { FAMILY_CALLS, isFamilyCall } from './explain-family-input.js';
import { caseQuery, type ExplainInput, explainInput, explainOutcome } from './explain-input.js';
import { nativeScmpArch, readSeccompProfile, resolveForModel } from './seccomp-profile-flag.js';
import { UsageError } from './usage-error.js';

export const EXPLAIN_HELP = `usage: aiospec explain [io_setup] --nr-events N [--ctx KIND] [environment flags] [--json] [--link]
${EXPLAIN_FAMILY_USAGE}

Runs one io_setup(nr_events, ctx_idp) through the model and shows the result,
the rules checked in order with their sources, and the ring the kernel maps.

  --nr-events N      nr_events, any u32 (decimal or 0x hex); required
  --ctx KIND         ${CTX_KIND_NAMES.join(' | ')} (default zero)
  --profile NAME     linux | linux-3.12 | gvisor (default linux)
  --aio-max-nr N     /proc/sys/fs/aio-max-nr, u64 (default 65536)
  --aio-nr N         /proc/sys/fs/aio-nr before the call, u64 (default 0)
  --cpus N           possible CPUs (default 4)
  --page-size N      4096 | 16384 | 65536 (default 4096)
  --as-headroom B    bytes the process may still map, or "unlimited" (default)
  --seccomp ERRNO    a seccomp filter answers io_setup with ERRNO (e.g. EPERM)
  --seccomp-profile FILE
                     the process runs under this seccomp profile (Docker/Podman
                     JSON or OCI linux.seccomp), resolved for x86_64 (arm64 on an
                     arm64 machine) and a process without capabilities
  --no-aio           a kernel built without CONFIG_AIO
  --fail-alloc SITE  inject a kernel allocation failure: ioctx | ring | table
  --json             one JSON object instead of text
  --link             also print the playground link that opens this case
                     (JSON: a "link" field)

${EXPLAIN_FAMILY_HELP}`;

/** The built playground page (dist/playground/index.html), beside this file's dist/conformance/cli/. */
const PLAYGROUND_PAGE = new URL('../../playground/index.html', import.meta.url).href;

/** The calls explain knows, for its first argument. */
const EXPLAIN_CALLS = ['io_setup', ...FAMILY_CALLS, 'capacity'];

/**
 * The call comes first (`explain io_submit --nr 2`) or after some flags
 * (`explain --profile gvisor io_cancel`): no flag value is ever a call's name.
 */
export function explainCommand(argv: readonly string[]): { out: string; code: number } {
  const at = argv.findIndex((a, i) => (i === 0 ? !a.startsWith('-') : EXPLAIN_CALLS.includes(a)));
  if (at < 0) return explainSetup(argv);
  const call = argv[at]!;
  const rest = [...argv.slice(0, at), ...argv.slice(at + 1)];
  if (call === 'io_setup') return explainSetup(rest);
  if (call === 'capacity') return explainCapacityCommand(rest);
  if (isFamilyCall(call)) return explainFamilyCommand(call, rest);
  throw new UsageError(`unknown call "${call}" (one of ${EXPLAIN_CALLS.join(', ')})`);
}

/** io_setup(nr_events, ctx_idp), the command's first and default call. */
function explainSetup(argv: readonly string[]): { out: string; code: number } {
  const parsed = parseFlags(argv, {
    ...ENV_FLAGS,
    'nr-events': { type: 'string' },
    ctx: { type: 'string' },
    json: { type: 'boolean' },
    'seccomp-profile': { type: 'string' },
    link: { type: 'boolean' },
  });
  const input = withProfile(explainInput(parsed.values), stringFlag(parsed, 'seccomp-profile'));
  const outcome = explainOutcome(input);
  // The link keeps the flags as they were written (0x hex stays hex), so it reads like the command.
  // A profile is a file on this machine: a link cannot carry it, and says so.
  const link = boolFlag(parsed, 'link') ? `${PLAYGROUND_PAGE}${caseQuery(parsed.values)}` : null;
  if (boolFlag(parsed, 'json')) {
    const json = explainJson(input.env, outcome);
    return { out: JSON.stringify(link === null ? json : { ...json, link }), code: 0 };
  }
  const text = explainText(input.env, outcome);
  const note =
    stringFlag(parsed, 'seccomp-profile') === undefined ? '' : ' (without the seccomp profile)';
  return { out: link === null ? text : `${text}\n\nplayground${note}: ${link}`, code: 0 };
}

/** The input under a seccomp profile read from `file`, resolved for this machine's arch and no capabilities. */
function withProfile(input: ExplainInput, file: string | undefined): ExplainInput {
  if (file === undefined) return input;
  const filter = resolveForModel(readSeccompProfile(file), {
    arch: nativeScmpArch() ?? 'SCMP_ARCH_X86_64',
    caps: new Set<string>(),
    kernel: '6.18',
  });
  const env = { ...input.env, seccompFilters: [filter] };
  const problem = envProblem(env);
  if (problem) throw new UsageError(problem);
  return { ...input, env };
}
