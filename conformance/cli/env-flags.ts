/** Flags that describe a model environment, shared by `explain` and the model side of other commands. */
import type { Environment } from '../../model/index.js';
import type { Options, Parsed } from './args.js';
import { envFromValues } from './env-values.js';

export { parseProfile } from './env-values.js';

export const ENV_FLAGS: Options = {
  profile: { type: 'string' },
  'aio-max-nr': { type: 'string' },
  'aio-nr': { type: 'string' },
  cpus: { type: 'string' },
  'page-size': { type: 'string' },
  'as-headroom': { type: 'string' },
  seccomp: { type: 'string' },
  'no-aio': { type: 'boolean' },
  'fail-alloc': { type: 'string' },
};

/** The environment the flags describe; flags left out take DEFAULT_ENV's values. */
export function envFromFlags(parsed: Parsed): Environment {
  return envFromValues(parsed.values);
}
