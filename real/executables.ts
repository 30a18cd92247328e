/**
 * Finding the programs a target launches (runsc, runc, linux.uml, setpriv,
 * unshare, sh) on $PATH. The UML target also looks in the standard
 * directories after it (a runner with a short PATH still boots Debian's
 * linux.uml); the others do not, because what they launch finds its own
 * helpers on the same $PATH (setpriv runs unshare): a program found outside it
 * would start and then fail halfway.
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

/** The program of that name on $PATH (then in the standard directories, if asked); null when none. */
export function onPath(
  name: string,
  opts: { readonly orStandardDirs?: boolean } = {},
): string | null {
  const dirs = (process.env.PATH ?? STANDARD_DIRS.join(delimiter))
    .split(delimiter)
    .filter((d) => d !== '');
  for (const dir of [...dirs, ...(opts.orStandardDirs ? STANDARD_DIRS : [])]) {
    const p = join(dir, name);
    if (isExecutable(p)) return p;
  }
  return null;
}
