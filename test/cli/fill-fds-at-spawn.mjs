// Preloaded (node --import) by faults.test.ts: every child_process.spawn finds this
// process's descriptor table full, as a low `ulimit -n` would leave it once the run is
// under way, so that the EMFILE comes from a real spawn.
import childProcess from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const realSpawn = childProcess.spawn;
childProcess.spawn = function spawnWithNoDescriptorLeft(...args) {
  const held = [];
  try {
    for (;;) held.push(openSync('/dev/null', 'r'));
  } catch {}
  try {
    return realSpawn.apply(this, args);
  } finally {
    for (const fd of held) closeSync(fd);
  }
};
syncBuiltinESMExports();
