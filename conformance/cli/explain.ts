/** `aiospec explain`: the model alone, no kernel needed. */
import { CTX_KIND_NAMES } from '../../model/index.js';
import { explainJson, explainText } from '../render/explain.js';
import { boolFlag, parseFlags } from './args.js';
import { ENV_FLAGS } from './env-flags.js';
import { caseQuery, explainInput, explainOutcome } from './explain-input.js';

export const EXPLAIN_HELP = `usage: aiospec explain --nr-events N [--ctx KIND] [environment flags] [--json] [--link]

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
  --no-aio           a kernel built without CONFIG_AIO
  --fail-alloc SITE  inject a kernel allocation failure: ioctx | ring | table
  --json             one JSON object instead of text
  --link             also print the playground link that opens this case
                     (JSON: a "link" field)`;

/** The built playground page (dist/playground/index.html), beside this file's dist/conformance/cli/. */
const PLAYGROUND_PAGE = new URL('../../playground/index.html', import.meta.url).href;

export function explainCommand(argv: readonly string[]): { out: string; code: number } {
  const parsed = parseFlags(argv, {
    ...ENV_FLAGS,
    'nr-events': { type: 'string' },
    ctx: { type: 'string' },
    json: { type: 'boolean' },
    link: { type: 'boolean' },
  });
  const input = explainInput(parsed.values);
  const outcome = explainOutcome(input);
  // The link keeps the flags as they were written (0x hex stays hex), so it reads like the command.
  const link = boolFlag(parsed, 'link') ? `${PLAYGROUND_PAGE}${caseQuery(parsed.values)}` : null;
  if (boolFlag(parsed, 'json')) {
    const json = explainJson(input.env, outcome);
    return { out: JSON.stringify(link === null ? json : { ...json, link }), code: 0 };
  }
  const text = explainText(input.env, outcome);
  return { out: link === null ? text : `${text}\n\nplayground: ${link}`, code: 0 };
}
