/**
 * `aiospec playground`: serves the built page (dist/playground/index.html) on
 * 127.0.0.1 until SIGINT or SIGTERM. The page needs nothing else: it runs the
 * model in the browser, and works as well opened from disk.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseFlags, stringFlag } from './args.js';
import type { CommandResult } from './command-result.js';
import { parseIntIn } from './numbers.js';
import { EnvironmentError } from './usage-error.js';

export const PLAYGROUND_HELP = `usage: aiospec playground [--port N]

Serves the playground (single calls, sequences, replayed traces and reports,
the guided tour) on http://127.0.0.1:PORT/ and prints that address. Stop it
with Ctrl-C. The same page is dist/playground/index.html, which works opened
from disk.

  --port N   the port to listen on, 1 to 65535 (default: a free one)`;

const PAGE_FILE = fileURLToPath(new URL('../../playground/index.html', import.meta.url));

function readPage(): Buffer {
  try {
    return readFileSync(PAGE_FILE);
  } catch (e) {
    throw new EnvironmentError(
      `the page is not built (${PAGE_FILE}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}): run npm run build`,
    );
  }
}

function serve(page: Buffer): Server {
  return createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path !== '/' && path !== '/index.html') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': page.length,
      'cache-control': 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : page);
  });
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new EnvironmentError(
          e.code === 'EADDRINUSE'
            ? `--port: ${port} is in use on 127.0.0.1`
            : `cannot listen on 127.0.0.1:${port}: ${e.code ?? e.message}`,
        ),
      ),
    );
    server.listen(port, '127.0.0.1', () => {
      const addr = server.address();
      resolve(typeof addr === 'object' && addr !== null ? addr.port : port);
    });
  });
}

/** Until SIGINT or SIGTERM: then the server and its open connections are closed, and the command ends. */
function untilSignal(server: Server): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      server.close(() => resolve());
      server.closeAllConnections();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export async function playgroundCommand(argv: readonly string[]): Promise<CommandResult> {
  const parsed = parseFlags(argv, { port: { type: 'string' } });
  const portText = stringFlag(parsed, 'port');
  const port = portText === undefined ? 0 : parseIntIn('--port', portText, 1, 65535);
  const page = readPage();
  const server = serve(page);
  const bound = await listen(server, port);
  process.stdout.write(`aiospec playground: http://127.0.0.1:${bound}/ (Ctrl-C to stop)\n`);
  await untilSignal(server);
  return { out: '', code: 0 };
}
