/**
 * What building a UML kernel needs on the host, by command and the Debian
 * package that brings it, and installing the missing ones (root with apt-get)
 * or naming the command that would.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** A file the build runs or reads, and the Debian package that provides it. */
const NEEDED: readonly { readonly file: string; readonly pkg: string }[] = [
  { file: 'gcc', pkg: 'gcc' },
  { file: 'make', pkg: 'make' },
  { file: 'flex', pkg: 'flex' },
  { file: 'bison', pkg: 'bison' },
  { file: 'bc', pkg: 'bc' },
  { file: 'tar', pkg: 'tar' },
  { file: 'xz', pkg: 'xz-utils' },
  // The C library's headers (UML's user-space half includes them).
  { file: '/usr/include/stdio.h', pkg: 'libc6-dev' },
];

export function onPath(name: string, path = process.env.PATH ?? '/usr/bin:/bin'): string | null {
  for (const dir of path.split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return null;
}

function present(file: string): boolean {
  return file.startsWith('/') ? existsSync(file) : onPath(file) !== null;
}

/** The Debian packages whose files are missing here. */
export function missingPackages(extra: readonly string[] = []): string[] {
  const pkgs = NEEDED.filter((n) => !present(n.file)).map((n) => n.pkg);
  return [...new Set([...pkgs, ...extra])];
}

/** Whether this process may install packages (root, with apt-get). */
export function canInstall(): boolean {
  return process.getuid?.() === 0 && onPath('apt-get') !== null;
}

/**
 * apt-get install the packages; null on success, else why not (one line,
 * with the command to run by hand).
 */
export function installPackages(pkgs: readonly string[]): string | null {
  if (pkgs.length === 0) return null;
  const command = `apt-get install -y ${pkgs.join(' ')}`;
  if (!canInstall()) return `missing ${pkgs.join(', ')}: run ${command} (as root)`;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = spawnSync('apt-get', ['install', '-y', '-qq', ...pkgs], { stdio: 'ignore', env });
  if (r.status !== 0) {
    // A fresh machine has no package lists yet.
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env });
    r = spawnSync('apt-get', ['install', '-y', '-qq', ...pkgs], { stdio: 'ignore', env });
  }
  return r.status === 0 ? null : `${command} failed (exit status ${r.status ?? r.signal})`;
}
