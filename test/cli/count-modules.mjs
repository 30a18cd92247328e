// Preloaded with `node --import`: counts the distinct file: modules the process loads
// (through a module.register load hook, which runs on the loader's own thread) and
// prints "modules N" on stderr at exit. test/cli/fd-limit-bound.test.ts uses it.
import { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';

const hooks = `
let port;
export function initialize(data) { port = data.port; }
export async function load(url, context, next) {
  if (url.startsWith('file:')) port.postMessage(url);
  return next(url, context);
}`;
const { port1, port2 } = new MessageChannel();
const seen = new Set();
port1.on('message', (url) => seen.add(url));
port1.unref();
register(`data:text/javascript,${encodeURIComponent(hooks)}`, {
  data: { port: port2 },
  transferList: [port2],
});
process.on('exit', () => process.stderr.write(`modules ${seen.size}\n`));
