/** `aiospec explain`: the model alone, no kernel needed. */
import {
  CTX_KIND_NAMES,
  decideIoSetup,
  envProblem,
  isCtxKind,
  newProcessState,
} from '../../model/index.js';
import { explainJson, explainText } from '../render/explain.js';
import { boolFlag, parseFlags, stringFlag } from './args.js';
import { ENV_FLAGS, envFromFlags } from './env-flags.js';
import { parseU32 } from './numbers.js';
import { nativeScmpArch, readSeccompProfile, resolveForModel } from './seccomp-profile-flag.js';
import { UsageError } from './usage-error.js';

export const EXPLAIN_HELP = `usage: aiospec explain --nr-events N [--ctx KIND] [environment flags] [--json]

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
  --json             one JSON object instead of text`;

export function explainCommand(argv: readonly string[]): { out: string; code: number } {
  const parsed = parseFlags(argv, {
    ...ENV_FLAGS,
    'nr-events': { type: 'string' },
    ctx: { type: 'string' },
    json: { type: 'boolean' },
    'seccomp-profile': { type: 'string' },
  });
  const nrText = stringFlag(parsed, 'nr-events');
  if (nrText === undefined)
    throw new UsageError(
      '--nr-events: missing (explain needs the nr_events to call io_setup with)',
    );
  const nrEvents = parseU32('--nr-events', nrText);
  const ctx = stringFlag(parsed, 'ctx') ?? 'zero';
  if (!isCtxKind(ctx))
    throw new UsageError(`--ctx: unknown kind "${ctx}" (one of ${CTX_KIND_NAMES.join(', ')})`);
  const profileFile = stringFlag(parsed, 'seccomp-profile');
  const base = envFromFlags(parsed);
  const env =
    profileFile === undefined
      ? base
      : {
          ...base,
          seccompFilters: [
            resolveForModel(readSeccompProfile(profileFile), {
              arch: nativeScmpArch() ?? 'SCMP_ARCH_X86_64',
              caps: new Set<string>(),
              kernel: '6.18',
            }),
          ],
        };
  const problem = envProblem(env);
  if (problem) throw new UsageError(problem);
  const outcome = decideIoSetup(env, newProcessState(env), { nrEvents, ctx });
  const out = boolFlag(parsed, 'json')
    ? JSON.stringify(explainJson(env, outcome))
    : explainText(env, outcome);
  return { out, code: 0 };
}
