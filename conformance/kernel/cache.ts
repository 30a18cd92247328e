/**
 * The kernel cache: UML kernels built by `aiospec kernel build`, one directory
 * each, $XDG_CACHE_HOME/aiospec/kernels/<name>/ (~/.cache when unset):
 *
 *   linux       the UML kernel binary (`--target uml --kernel <name>` boots it)
 *   meta.json   what it was built from and with (BuiltKernel), written last:
 *               a directory without it holds no finished kernel
 *   build/      the kernel's object tree (make O=), kept for incremental rebuilds
 *   build.log   the output of the last build
 *
 * Extracted source packages live beside it in aiospec/sources/.
 */
import { accessSync, constants, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** What a kernel offers, as its configuration says (the guest's own detection confirms it at run time). */
export interface BuiltFeatures {
  readonly faultInjection: boolean;
  readonly aio: boolean;
}

export type KernelSource =
  | {
      readonly kind: 'debian';
      readonly version: string;
      readonly package: string;
      readonly packageVersion: string;
    }
  | { readonly kind: 'dir'; readonly path: string };

export interface BuiltKernel {
  readonly name: string;
  /** The binary to boot. */
  readonly path: string;
  /** `make kernelrelease`, e.g. 6.12.57. */
  readonly release: string;
  readonly source: KernelSource;
  readonly features: BuiltFeatures;
  /** The configuration's base (`defconfig`, or aiospec's `small` one). */
  readonly base: string;
  /** Identifies source, base and options: a build with the same key is already done. */
  readonly key: string;
  readonly builtAt: string;
  readonly buildSeconds: number;
  /** Compiler invocations of the build (the progress display's total next time). */
  readonly objects: number;
}

export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME?.startsWith('/') ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'aiospec');
}

export function kernelsDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot(env), 'kernels');
}

export function kernelDir(name: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(kernelsDir(env), name);
}

/** Names are directory names and command-line words: letters, digits, . _ + - only. */
export function nameProblem(name: string): string | null {
  return /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/.test(name)
    ? null
    : `"${name}" is not a kernel name (letters, digits, . _ + -, at most 64, not starting with a symbol)`;
}

/** The kernel named so, when it is built (its meta.json read and its binary executable); else null. */
export function builtKernel(
  name: string,
  env: NodeJS.ProcessEnv = process.env,
): BuiltKernel | null {
  if (nameProblem(name) !== null) return null;
  try {
    const meta = JSON.parse(
      readFileSync(join(kernelDir(name, env), 'meta.json'), 'utf8'),
    ) as BuiltKernel;
    accessSync(meta.path, constants.X_OK);
    return statSync(meta.path).isFile() && meta.name === name ? meta : null;
  } catch {
    return null;
  }
}

/** Every kernel built in the cache, by name. */
export function builtKernels(env: NodeJS.ProcessEnv = process.env): BuiltKernel[] {
  let names: string[];
  try {
    names = readdirSync(kernelsDir(env));
  } catch {
    return [];
  }
  return names
    .sort()
    .map((n) => builtKernel(n, env))
    .filter((k): k is BuiltKernel => k !== null);
}

/** The first built kernel that offers these features (for tests and suites that need one). */
export function kernelWith(
  wanted: Partial<BuiltFeatures>,
  env: NodeJS.ProcessEnv = process.env,
): BuiltKernel | null {
  return (
    builtKernels(env).find((k) =>
      (Object.keys(wanted) as (keyof BuiltFeatures)[]).every((f) => k.features[f] === wanted[f]),
    ) ?? null
  );
}

/**
 * The binary `--kernel ARG` names: a path (it holds a /), or a kernel built in
 * the cache; or why neither.
 */
export function kernelBinary(
  arg: string,
  env: NodeJS.ProcessEnv = process.env,
): { readonly path: string } | { readonly problem: string } {
  if (arg.includes('/')) return { path: arg };
  const k = builtKernel(arg, env);
  if (k !== null) return { path: k.path };
  const names = builtKernels(env).map((b) => b.name);
  return {
    problem: `no kernel named "${arg}" in ${kernelsDir(env)} (${names.length > 0 ? `built: ${names.join(', ')}` : 'none built'}; aiospec kernel build makes one, or give a path)`,
  };
}
