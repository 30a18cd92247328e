/** `aiospec playground`: serves the built page on 127.0.0.1, prints the address, stops on SIGINT/SIGTERM; bad flags are one line, exit 2. */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PAGE_FILE } from '../support/browser.js';

const BIN = resolve(import.meta.dirname, '../../bin/aiospec');
const started: ChildProcess[] = [];

afterEach(() => {
  // A server a failed assertion left running is killed here.
  for (const p of started.splice(0))
    if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
});

function start(...args: string[]): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(process.execPath, [BIN, 'playground', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(proc);
  return new Promise((ok, fail) => {
    let out = '';
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /http:\/\/127\.0\.0\.1:\d+\//.exec(out);
      if (m) ok({ proc, url: m[0] });
    });
    proc.once('exit', (code) =>
      fail(new Error(`exited ${code} before printing its address: ${out}`)),
    );
  });
}

function exited(proc: ChildProcess): Promise<number | null> {
  return new Promise((ok) => proc.once('exit', (code) => ok(code)));
}

describe('aiospec playground', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const)
    it(`serves the built page on a free port and stops on ${signal}`, async () => {
      const { proc, url } = await start();
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await res.text()).toBe(readFileSync(PAGE_FILE, 'utf8'));
      expect((await fetch(`${url}nothing-here`)).status).toBe(404);
      const done = exited(proc);
      proc.kill(signal);
      expect(await done).toBe(0);
    });

  it('refuses a bad --port in one line, exit 2', () => {
    const r = spawnSync(process.execPath, [BIN, 'playground', '--port', 'eighty'], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^aiospec playground: --port: "eighty"/);
  });

  it('says in one line when the port is taken', async () => {
    const { url } = await start();
    const port = new URL(url).port;
    const r = spawnSync(process.execPath, [BIN, 'playground', '--port', port], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(`aiospec playground: --port: ${port} is in use on 127.0.0.1`);
  });
});
