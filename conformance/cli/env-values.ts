/**
 * The model environment from flag values, with the flags' own checks and
 * messages. Node-free (no parseArgs here): the playground builds the same
 * environment from its URL's query parameters, named after these flags.
 */
import {
  type AllocSite,
  DEFAULT_ENV,
  type Environment,
  ERRNO_NAMES,
  isErrnoName,
  isProfileName,
  MAX_POSSIBLE_CPUS,
  PAGE_SIZES,
  type PageSize,
  PROFILE_NAMES,
  type ProfileName,
} from '../../model/index.js';
import { parseIntIn, parseU64 } from './numbers.js';
import { UsageError } from './usage-error.js';

/** Flag values by name (without the dashes): a string, or true for a boolean flag that is set. */
export type FlagValues = Readonly<Record<string, string | boolean | string[] | undefined>>;

import { ALLOC_SITES } from '../../model/index.js';

export function parseProfile(
  text: string | undefined,
  fallback: ProfileName = 'linux',
): ProfileName {
  if (text === undefined) return fallback;
  if (!isProfileName(text))
    throw new UsageError(
      `--profile: unknown profile "${text}" (one of ${PROFILE_NAMES.join(', ')})`,
    );
  return text;
}

function parsePageSize(text: string | undefined): PageSize {
  if (text === undefined) return DEFAULT_ENV.pageSize;
  const short: Record<string, PageSize> = { '4k': 4096, '16k': 16384, '64k': 65536 };
  const n = short[text.toLowerCase()] ?? Number(text);
  const size = PAGE_SIZES.find((s) => s === n);
  if (size === undefined)
    throw new UsageError(`--page-size: "${text}" is not one of 4096, 16384, 65536`);
  return size;
}

function parseHeadroom(text: string | undefined): bigint | null {
  if (text === undefined || text === 'unlimited') return null;
  return parseU64('--as-headroom', text);
}

function parseSeccomp(text: string | undefined): Environment['seccomp'] {
  if (text === undefined || text === 'allow') return { action: 'allow' };
  const name = text.toUpperCase();
  if (!isErrnoName(name))
    throw new UsageError(
      `--seccomp: "${text}" is not an errno name (e.g. EPERM, ENOSYS; known: ${ERRNO_NAMES.join(' ')})`,
    );
  return { action: 'errno', errno: name };
}

function parseFailAlloc(text: string | undefined): AllocSite | null {
  if (text === undefined) return null;
  const site = ALLOC_SITES.find((s) => s === text);
  if (!site)
    throw new UsageError(`--fail-alloc: "${text}" is not one of ${ALLOC_SITES.join(', ')}`);
  return site;
}

/** The environment the flags describe; flags left out take DEFAULT_ENV's values. */
export function envFromValues(values: FlagValues): Environment {
  const s = (name: string) => {
    const v = values[name];
    return typeof v === 'string' ? v : undefined;
  };
  const cpus = s('cpus');
  return {
    profile: parseProfile(s('profile')),
    aioMaxNr:
      s('aio-max-nr') === undefined
        ? DEFAULT_ENV.aioMaxNr
        : parseU64('--aio-max-nr', s('aio-max-nr')),
    aioNr: s('aio-nr') === undefined ? DEFAULT_ENV.aioNr : parseU64('--aio-nr', s('aio-nr')),
    possibleCpus:
      cpus === undefined
        ? DEFAULT_ENV.possibleCpus
        : parseIntIn('--cpus', cpus, 1, MAX_POSSIBLE_CPUS),
    pageSize: parsePageSize(s('page-size')),
    asHeadroom: parseHeadroom(s('as-headroom')),
    aioCompiled: values['no-aio'] !== true,
    seccomp: parseSeccomp(s('seccomp')),
    failAlloc: parseFailAlloc(s('fail-alloc')),
  };
}
