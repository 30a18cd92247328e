/**
 * `aiospec kernel build` and `aiospec kernel list`: UML kernels to run the
 * suites against (`run --target uml --kernel NAME`), built from Debian's
 * kernel source packages or from a tree of one's own, kept in a cache.
 */

import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { BuildFailed, buildKernel, defaultName } from '../kernel/build.js';
import { duration, progressText } from '../kernel/build-progress.js';
import { installPackages, missingPackages } from '../kernel/build-tools.js';
import {
  type BuiltKernel,
  builtKernels,
  cacheRoot,
  kernelsDir,
  nameProblem,
} from '../kernel/cache.js';
import type { ConfigBase } from '../kernel/config-options.js';
import {
  debianPackage,
  debianTarball,
  debianVersionProblem,
  extractDebian,
  packageVersion,
  type SourceTree,
  sourceDirProblem,
  userTree,
} from '../kernel/source-tree.js';
import { boolFlag, parseFlags, stringFlag } from './args.js';
import type { CommandResult } from './command-result.js';
import { parseIntIn } from './numbers.js';
import { EnvironmentError, UsageError } from './usage-error.js';

export const KERNEL_HELP = `usage: aiospec kernel build (--debian VERSION | --source DIR) [--fault-injection] [--no-aio]
                           [--config small|defconfig] [--name NAME] [--jobs N]
       aiospec kernel list [--json]

build   configures and compiles a user-mode Linux kernel into the kernel cache
        (${kernelsDir().replace(cacheRoot(), '$XDG_CACHE_HOME/aiospec')}), for \`aiospec run --target uml --kernel NAME\`.
        Nothing is done when the cache already holds the same build.
  --debian VERSION   Debian's kernel source package linux-source-VERSION (6.1,
                     6.12, ...), installed with apt-get when missing (root)
  --source DIR       a Linux source tree of your own (kept clean: objects go to
                     the cache; make runs again, incrementally, each time)
  --fault-injection  CONFIG_FAULT_INJECTION, FAILSLAB, FAIL_PAGE_ALLOC and their
                     debugfs files: /proc/thread-self/fail-nth in the guest
  --no-aio           CONFIG_AIO=n (io_setup and io_destroy are ENOSYS)
  --config BASE      small (default): tinyconfig plus what the guest needs;
                     defconfig: the architecture's default configuration
  --name NAME        the cache entry (default: debian-VERSION or DIR's name,
                     then -fault, -noaio)
  --jobs N           make -jN (default: the number of CPUs)

list    the kernels in the cache: name, release, features, source, binary
  --json             as a JSON array (name, path, release, features, source, ...)

Exit status: 0 built or listed, 2 usage error, missing tools or a failed build
(one line naming the build log), 3 internal error.`;

export async function kernelCommand(argv: readonly string[]): Promise<CommandResult> {
  const [sub, ...rest] = argv;
  if (sub === 'build') return kernelBuild(rest);
  if (sub === 'list') return kernelList(rest);
  throw new UsageError(
    sub === undefined
      ? 'missing subcommand (build or list)'
      : `"${sub}" is not a subcommand (build or list)`,
  );
}

const BASES: readonly ConfigBase[] = ['small', 'defconfig'];

function parseBase(text: string | undefined): ConfigBase {
  if (text === undefined) return 'small';
  const base = BASES.find((b) => b === text);
  if (!base) throw new UsageError(`--config: "${text}" is not one of ${BASES.join(', ')}`);
  return base;
}

async function kernelBuild(argv: readonly string[]): Promise<CommandResult> {
  const parsed = parseFlags(argv, {
    debian: { type: 'string' },
    source: { type: 'string' },
    'fault-injection': { type: 'boolean' },
    'no-aio': { type: 'boolean' },
    config: { type: 'string' },
    name: { type: 'string' },
    jobs: { type: 'string' },
  });
  const s = (n: string) => stringFlag(parsed, n);
  const debian = s('debian');
  const dir = s('source');
  if ((debian === undefined) === (dir === undefined))
    throw new UsageError('give exactly one of --debian VERSION and --source DIR');
  const versionProblem = debian === undefined ? null : debianVersionProblem(debian);
  if (versionProblem !== null) throw new UsageError(`--debian: ${versionProblem}`);
  const dirProblem = dir === undefined ? null : sourceDirProblem(dir);
  if (dirProblem !== null) throw new UsageError(`--source: ${dirProblem}`);
  const options = {
    base: parseBase(s('config')),
    faultInjection: boolFlag(parsed, 'fault-injection'),
    noAio: boolFlag(parsed, 'no-aio'),
  };
  const name = s('name');
  const problem = name === undefined ? null : nameProblem(name);
  if (problem !== null) throw new UsageError(`--name: ${problem}`);
  const jobs =
    s('jobs') === undefined ? Math.max(1, cpus().length) : parseIntIn('--jobs', s('jobs'), 1, 1024);

  const status = statusLine();
  const tree = debian === undefined ? userTree(dir!) : debianTree(debian, status);
  const kernelName = name ?? defaultName(tree.label, options);
  if (nameProblem(kernelName) !== null)
    throw new UsageError(`--name: the default name "${kernelName}" is not usable; give --name`);
  try {
    const { kernel, built } = await buildKernel({
      tree,
      name: kernelName,
      options,
      jobs,
      onProgress: (p) => status.show(progressText(p), p.phase),
    });
    status.done();
    const how = built
      ? `built in ${duration(kernel.buildSeconds * 1000)}`
      : 'already built (same source and configuration)';
    return {
      out: `kernel ${kernel.name}: Linux ${kernel.release}${featureText(kernel)}, ${how}\n  ${kernel.path}\n  aiospec run --target uml --kernel ${kernel.name}\n`,
      code: 0,
    };
  } catch (e) {
    status.done();
    if (e instanceof BuildFailed)
      throw new EnvironmentError(`kernel build ${kernelName}: ${e.message}`);
    throw e;
  }
}

/** Debian's package tree, installing the package and the build tools first when missing. */
function debianTree(version: string, status: ReturnType<typeof statusLine>): SourceTree {
  const pkg = debianPackage(version);
  const missing = missingPackages(existsSync(debianTarball(version)) ? [] : [pkg]);
  if (missing.length > 0) {
    status.show(`installing ${missing.join(', ')} (apt-get)`);
    const why = installPackages(missing);
    status.done();
    if (why !== null) throw new EnvironmentError(`kernel build: ${why}`);
  }
  const version_ = packageVersion(pkg);
  if (version_ === null || !existsSync(debianTarball(version)))
    throw new EnvironmentError(
      `kernel build: ${pkg} is installed but ${debianTarball(version)} is missing`,
    );
  try {
    return extractDebian(version, version_, join(cacheRoot(), 'sources'), () =>
      status.show(`extracting ${debianTarball(version)}`),
    );
  } catch (e) {
    throw new EnvironmentError(`kernel build: ${(e as Error).message}`);
  } finally {
    status.done();
  }
}

/**
 * Progress on stderr: one line rewritten in place on a terminal; elsewhere (a
 * log, CI) a line when the phase changes and at most one a minute.
 */
function statusLine() {
  const tty = process.stderr.isTTY === true;
  let lastPhase = '';
  let lastAt = 0;
  let shown = false;
  return {
    /** `phase`: lines of one phase are shown at most once a minute off a terminal. */
    show(text: string, phase = text) {
      if (tty) {
        process.stderr.write(`\r${text.slice(0, (process.stderr.columns ?? 100) - 1)}\x1b[K`);
        shown = true;
        return;
      }
      if (phase === lastPhase && Date.now() - lastAt < 60_000) return;
      lastPhase = phase;
      lastAt = Date.now();
      process.stderr.write(`${text}\n`);
    },
    done() {
      if (tty && shown) process.stderr.write('\r\x1b[K');
      shown = false;
    },
  };
}

function featureText(k: BuiltKernel): string {
  const f = [
    k.features.faultInjection ? 'fault injection' : '',
    k.features.aio ? '' : 'no AIO',
  ].filter(Boolean);
  return f.length === 0 ? '' : ` (${f.join(', ')})`;
}

function sourceText(k: BuiltKernel): string {
  return k.source.kind === 'debian'
    ? `${k.source.package} ${k.source.packageVersion}`
    : k.source.path;
}

function kernelList(argv: readonly string[]): CommandResult {
  const parsed = parseFlags(argv, { json: { type: 'boolean' } });
  const kernels = builtKernels();
  if (boolFlag(parsed, 'json')) return { out: `${JSON.stringify(kernels)}\n`, code: 0 };
  if (kernels.length === 0)
    return {
      out: `no kernels built in ${kernelsDir()} (aiospec kernel build --debian 6.12 builds one)\n`,
      code: 0,
    };
  const width = Math.max(...kernels.map((k) => k.name.length));
  const rows = kernels.map(
    (k) =>
      `${k.name.padEnd(width)}  Linux ${k.release}${featureText(k)} · ${k.base} · ${sourceText(k)} · built ${k.builtAt.slice(0, 16).replace('T', ' ')} in ${duration(k.buildSeconds * 1000)}\n${' '.repeat(width)}  ${k.path}`,
  );
  return { out: `${rows.join('\n')}\n`, code: 0 };
}
