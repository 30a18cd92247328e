/** What aiospec's OCI containers may leave behind, looked for after a run (test/targets/oci.test.ts, test/doctor/container.test.ts). */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { waitFor } from './processes.js';

/** What runc, the cgroup file system and the mount table still hold of aiospec's containers. */
export function leftovers(): string[] {
  const list = spawnSync('runc', ['list', '-q'], { encoding: 'utf8' }).stdout ?? '';
  const containers = list.split('\n').filter((l) => l.startsWith('aiospec-'));
  const cgroups = (
    spawnSync('find', ['/sys/fs/cgroup', '-maxdepth', '4', '-name', 'aiospec-*'], {
      encoding: 'utf8',
    }).stdout ?? ''
  )
    .split('\n')
    .filter(Boolean);
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.includes('aiospec-oci'));
  return [...containers, ...cgroups, ...mounts];
}

export async function nothingOfOciLeft(): Promise<void> {
  // The watchdog deletes the container within 0.2 s of runc's end; runc run itself at once.
  await waitFor(
    () => leftovers().length === 0,
    () => `left: ${leftovers().join(', ')}`,
    10_000,
  );
}
