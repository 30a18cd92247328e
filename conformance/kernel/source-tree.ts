/**
 * Where a kernel's sources come from: a Debian source package by kernel
 * version (linux-source-6.12 ships /usr/src/linux-source-6.12.tar.xz; it is
 * extracted once into the cache), or a tree of the user's own.
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import type { KernelSource } from './cache.js';

export interface SourceTree {
  readonly dir: string;
  readonly source: KernelSource;
  /** The default kernel name's first part: debian-6.12, or the tree's directory name. */
  readonly label: string;
}

export const debianPackage = (version: string) => `linux-source-${version}`;
export const debianTarball = (version: string) => `/usr/src/linux-source-${version}.tar.xz`;

export function debianVersionProblem(version: string): string | null {
  return /^\d+\.\d+$/.test(version)
    ? null
    : `"${version}" is not a kernel version such as 6.1 or 6.12`;
}

/** The installed version of a Debian package, or null. */
export function packageVersion(pkg: string): string | null {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's format, not a template
  const r = spawnSync('dpkg-query', ['-W', '-f=${Version}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() !== '' ? r.stdout.trim() : null;
}

/**
 * The package's tree, extracted under `sourcesDir` (again when the package
 * changed version: a marker file holds the version extracted). Extraction goes
 * to a temporary directory renamed into place, so an interrupted one is redone.
 */
export function extractDebian(
  version: string,
  pkgVersion: string,
  sourcesDir: string,
  onExtract: () => void = () => {},
): SourceTree {
  const pkg = debianPackage(version);
  const dir = join(sourcesDir, pkg);
  const marker = join(dir, '.aiospec-extracted');
  const source: KernelSource = {
    kind: 'debian',
    version,
    package: pkg,
    packageVersion: pkgVersion,
  };
  const tree = { dir, source, label: `debian-${version}` };
  if (existsSync(marker) && readFileSync(marker, 'utf8') === pkgVersion) return tree;
  onExtract();
  mkdirSync(sourcesDir, { recursive: true });
  const tmp = join(sourcesDir, `.extract-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  const r = spawnSync('tar', ['-xf', debianTarball(version), '-C', tmp], {
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  if (r.status !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(
      `extracting ${debianTarball(version)} failed: ${r.stderr.trim().split('\n').pop() ?? `exit status ${r.status}`}`,
    );
  }
  writeFileSync(join(tmp, pkg, '.aiospec-extracted'), pkgVersion);
  rmSync(dir, { recursive: true, force: true });
  renameSync(join(tmp, pkg), dir);
  rmSync(tmp, { recursive: true, force: true });
  return tree;
}

/** Why DIR is not a kernel tree UML can be built from, or null. */
export function sourceDirProblem(dir: string): string | null {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return `${dir} is not a directory`;
  for (const f of ['Makefile', 'Kconfig', 'arch/um/Kconfig', 'fs/aio.c'])
    if (!existsSync(join(dir, f))) return `${dir} is not a Linux source tree (no ${f})`;
  return null;
}

export function userTree(dir: string): SourceTree {
  const path = realpathSync(dir);
  return { dir: path, source: { kind: 'dir', path }, label: basename(path) };
}
