/**
 * Finding the programs a target launches (runsc, runc, linux.uml, setpriv,
 * unshare, sh). A runner started from a service or a test may have a short
 * $PATH; the standard directories are looked in after it, so a program the
 * distribution installed is found either way.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

const STANDARD_DIRS = ['/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** A regular file this process may execute. */
export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The program of that name on $PATH, else in the standard directories; null when none. */
export function onPath(name: string): string | null {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter((d) => d !== '');
  for (const dir of [...dirs, ...STANDARD_DIRS]) {
    const p = join(dir, name);
    if (isExecutable(p)) return p;
  }
  return null;
}
