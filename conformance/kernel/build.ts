/**
 * `aiospec kernel build`: configure and compile a UML kernel from a source
 * tree into the kernel cache (cache.ts), reusing what is there:
 * - the same Debian package, base and options (the same key) as the cached
 *   kernel: nothing to do;
 * - a tree of the user's own with the same key: make runs again, incrementally
 *   (the tree may have changed), without reconfiguring;
 * - anything else: the object tree is configured anew and built. A kernel not
 *   built before starts from a copy of the objects of another kernel built
 *   from the same tree: kbuild records which CONFIG_ symbols each object
 *   depends on, so only the objects that a changed option touches compile again.
 *
 * Every command's output goes to build.log; a failure names it with its last error.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { compiledFile, OBJECTS_ESTIMATE, type Progress } from './build-progress.js';
import { onPath } from './build-tools.js';
import { type BuiltKernel, builtKernel, builtKernels, kernelDir } from './cache.js';
import {
  BASE_TARGET,
  type BuildOptions,
  type ConfigBase,
  type ConfigOption,
  configOptions,
  treeOptions,
  unmetOptions,
} from './config-options.js';
import type { SourceTree } from './source-tree.js';

export class BuildFailed extends Error {
  override name = 'BuildFailed';
}

export interface BuildRequest {
  readonly tree: SourceTree;
  readonly name: string;
  readonly options: BuildOptions;
  /** make -j (default: the CPUs this process may use). */
  readonly jobs?: number;
  readonly onProgress?: (p: Progress) => void;
}

export interface BuildResult {
  readonly kernel: BuiltKernel;
  /** Whether anything was built (false: the cached kernel was already this one). */
  readonly built: boolean;
}

/** The default name: the source's label and the options that differ from a plain kernel. */
export function defaultName(label: string, o: BuildOptions): string {
  return `${label}${o.faultInjection ? '-fault' : ''}${o.noAio ? '-noaio' : ''}`;
}

/** What makes two builds the same: the source (and its package version), the base, the options. */
export function buildKey(tree: SourceTree, o: BuildOptions): string {
  const what = JSON.stringify({
    source: tree.source,
    base: o.base,
    options: wantedOptions(tree, o),
  });
  return createHash('sha256').update(what).digest('hex').slice(0, 16);
}

/** The options this build sets: configOptions with what the tree itself needs (TREE_OPTIONS). */
export function wantedOptions(tree: SourceTree, o: BuildOptions): ConfigOption[] {
  return configOptions(
    o,
    treeOptions((file) => readFileSyncOr(join(tree.dir, file))),
  );
}

export async function buildKernel(req: BuildRequest): Promise<BuildResult> {
  const dir = kernelDir(req.name);
  const key = buildKey(req.tree, req.options);
  const cached = builtKernel(req.name);
  if (cached?.key === key && req.tree.source.kind === 'debian')
    return { kernel: cached, built: false };
  mkdirSync(dir, { recursive: true });
  const unlock = lock(dir, req.name);
  try {
    return { kernel: await build(req, dir, key, cached?.key === key ? cached : null), built: true };
  } finally {
    unlock();
  }
}

/** One build per kernel at a time: a lock directory holding the builder's pid. */
function lock(dir: string, name: string): () => void {
  const path = join(dir, '.lock');
  try {
    mkdirSync(path);
  } catch {
    const pid = Number(readFileSyncOr(join(path, 'pid')));
    if (pid > 0 && alive(pid))
      throw new BuildFailed(`another build of ${name} is running (pid ${pid})`);
    rmSync(path, { recursive: true, force: true });
    mkdirSync(path);
  }
  writeFileSync(join(path, 'pid'), String(process.pid));
  return () => rmSync(path, { recursive: true, force: true });
}

function readFileSyncOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

async function build(
  req: BuildRequest,
  dir: string,
  key: string,
  same: BuiltKernel | null,
): Promise<BuiltKernel> {
  const started = Date.now();
  const out = join(dir, 'build');
  const logPath = join(dir, 'build.log');
  const log = openSync(logPath, 'w');
  const jobs = req.jobs ?? Math.max(1, cpus().length);
  const make = (args: readonly string[], onLine?: (line: string) => void) =>
    run(log, req.tree.dir, ['make', 'ARCH=um', `O=${out}`, ...args], onLine);
  const report = (phase: string, extra: Partial<Progress> = {}) =>
    req.onProgress?.({
      name: req.name,
      phase,
      done: 0,
      total: null,
      elapsedMs: Date.now() - started,
      last: null,
      ...extra,
    });
  try {
    const seed = existsSync(join(out, '.config')) ? null : sibling(req);
    if (seed !== null) {
      report(`copying the objects of ${seed.name}`);
      await run(log, dir, ['cp', '-a', '--reflink=auto', join(kernelDir(seed.name), 'build'), out]);
    }
    if (same === null) {
      report('configuring');
      rmSync(join(out, '.config'), { force: true });
      mkdirSync(out, { recursive: true });
      await make([BASE_TARGET[req.options.base]]);
      const wanted = wantedOptions(req.tree, req.options);
      await run(log, req.tree.dir, [
        join(req.tree.dir, 'scripts/config'),
        '--file',
        join(out, '.config'),
        ...wanted.flatMap(([sym, v]) => [v === 'y' ? '--enable' : '--disable', sym]),
      ]);
      await make(['olddefconfig']);
      const unmet = unmetOptions(readFileSync(join(out, '.config'), 'utf8'), wanted);
      if (unmet.length > 0)
        throw new BuildFailed(
          `Kconfig did not accept ${unmet.join(', ')} (a dependency is missing in this tree)`,
        );
    }
    const total = same?.objects ?? (seed === null ? OBJECTS_ESTIMATE[req.options.base] : null);
    let done = 0;
    let lastShown = 0;
    report('compiling', { total });
    await make([`-j${jobs}`, 'linux'], (line) => {
      const file = compiledFile(line);
      if (file === null) return;
      done++;
      if (Date.now() - lastShown < 250) return;
      lastShown = Date.now();
      report('compiling', { done, total, last: file });
    });
    report('installing');
    const release = (
      await capture(req.tree.dir, ['make', '-s', 'ARCH=um', `O=${out}`, 'kernelrelease'])
    ).trim();
    const binary = join(dir, 'linux');
    copyFileSync(join(out, 'linux'), `${binary}.new`);
    renameSync(`${binary}.new`, binary);
    const kernel: BuiltKernel = {
      name: req.name,
      path: binary,
      release,
      source: req.tree.source,
      features: { faultInjection: req.options.faultInjection, aio: !req.options.noAio },
      base: req.options.base,
      key,
      builtAt: new Date().toISOString(),
      buildSeconds: Math.round((Date.now() - started) / 1000),
      objects: objectCount(done, same ?? seed, req.options.base),
    };
    writeFileSync(join(dir, 'meta.json.new'), `${JSON.stringify(kernel, null, 2)}\n`);
    renameSync(join(dir, 'meta.json.new'), join(dir, 'meta.json'));
    return kernel;
  } catch (e) {
    const why = e instanceof BuildFailed ? e.message : (e as Error).message;
    throw new BuildFailed(`${why}; full log: ${logPath}`);
  } finally {
    closeSync(log);
  }
}

/**
 * The objects a full build of this kernel compiles, for the next progress
 * display: what a cold build counted; an incremental one (or one started from
 * a sibling's objects) compiles only what changed, so keep the earlier count.
 */
export function objectCount(done: number, earlier: BuiltKernel | null, base: ConfigBase): number {
  if (earlier === null && done > 0) return done;
  return Math.max(done, earlier?.objects || OBJECTS_ESTIMATE[base]);
}

/** Another kernel built from the same tree with the same base, whose objects a first build can start from. */
function sibling(req: BuildRequest): BuiltKernel | null {
  return (
    builtKernels().find(
      (k) =>
        k.name !== req.name &&
        k.base === req.options.base &&
        JSON.stringify(k.source) === JSON.stringify(req.tree.source) &&
        existsSync(join(kernelDir(k.name), 'build', 'linux')),
    ) ?? null
  );
}

/** The error make ended on: its last line naming an error, else its last line. */
export function lastError(lines: readonly string[]): string {
  const meaningful = lines.filter((l) => l.trim() !== '');
  const err = [...meaningful]
    .reverse()
    .find((l) => /error|\*\*\*/i.test(l) && !/^make(\[\d+\])?: \*\*\* \[/.test(l));
  return (err ?? meaningful.at(-1) ?? 'no output').trim();
}

/**
 * Run a command in `cwd`, its output (both streams) into the log, each line
 * also to onLine. It dies with this process (setpriv --pdeathsig, where the
 * host has it), and on SIGINT/SIGTERM of this process it is killed first.
 */
function run(
  log: number,
  cwd: string,
  argv: readonly string[],
  onLine?: (line: string) => void,
): Promise<void> {
  const setpriv = onPath('setpriv');
  const [cmd, ...args] = setpriv ? [setpriv, '--pdeathsig', 'KILL', '--', ...argv] : argv;
  writeSync(log, `$ ${argv.join(' ')}\n`);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd!, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const onSignal = (sig: NodeJS.Signals) => {
      child.kill('SIGKILL');
      process.kill(process.pid, sig);
    };
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
    for (const s of signals) process.once(s, onSignal);
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        writeSync(log, `${line}\n`);
        tail.push(line);
        if (tail.length > 40) tail.shift();
        onLine?.(line);
      });
    }
    child.on('error', (e) => reject(new BuildFailed(`${argv[0]}: ${e.message}`)));
    child.on('close', (code, signal) => {
      for (const s of signals) process.removeListener(s, onSignal);
      if (code === 0) resolve();
      else
        reject(
          new BuildFailed(
            `${argv.slice(0, 2).join(' ')}${argv.length > 2 ? ' ...' : ''} failed (${code === null ? signal : `exit status ${code}`}): ${lastError(tail)}`,
          ),
        );
    });
  });
}

/** A command's standard output (for `make kernelrelease`). */
function capture(cwd: string, argv: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd, stdio: ['ignore', 'pipe', 'ignore'] });
    let text = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      text += d;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(text) : reject(new BuildFailed(`${argv.join(' ')} failed`)),
    );
  });
}
