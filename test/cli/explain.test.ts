/** `aiospec explain` end to end: the built CLI, its exit codes and its JSON. */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = resolve(import.meta.dirname, '../../bin/aiospec');

function aiospec(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function json(...args: string[]) {
  const r = aiospec('explain', ...args, '--json');
  expect(r.code, r.err).toBe(0);
  return JSON.parse(r.out);
}

describe('aiospec explain --json', () => {
  it('reports success with the ring and aio-nr', () => {
    const j = json('--nr-events', '1');
    expect(j).toMatchObject({ errno: null, ret: 0, rule: 'setup.ok', aioNrAfter: 1 });
    expect(j.ring).toEqual({
      nr: 127,
      pages: 1,
      bytes: 4096,
      id: 0,
      head: 0,
      tail: 0,
      magic: 0xa10a10a1,
      compatFeatures: 1,
      incompatFeatures: 0,
      headerLength: 32,
    });
    expect(j.trail.at(-1)).toMatchObject({ id: 'setup.ok', verdict: 'decides' });
    expect(j.trail.slice(0, -1).every((t: { verdict: string }) => t.verdict === 'pass')).toBe(true);
  });

  it('takes hex, the u32 wrap and u64 sysctls', () => {
    const j = json(
      '--nr-events',
      '0x80000001',
      '--aio-max-nr',
      '0xffffffffffffffff',
      '--aio-nr',
      '18446744069414584320',
    );
    expect(j).toMatchObject({ errno: null, rule: 'setup.ok', aioNrAfter: '18446744071562067969' });
    expect(j.ring.pages).toBe(1);
  });

  it('answers every errno the model knows from flags alone', () => {
    expect(json('--nr-events', '1', '--ctx', 'null').errno).toBe('EFAULT');
    expect(json('--nr-events', '0').errno).toBe('EINVAL');
    expect(json('--nr-events', '65537').errno).toBe('EAGAIN');
    expect(json('--nr-events', '1', '--as-headroom', '0').errno).toBe('ENOMEM');
    expect(json('--nr-events', '1', '--no-aio').errno).toBe('ENOSYS');
    expect(json('--nr-events', '1', '--seccomp', 'EPERM')).toMatchObject({
      errno: 'EPERM',
      ret: -1,
      rule: 'seccomp.errno',
    });
    expect(json('--nr-events', '0', '--profile', 'gvisor')).toMatchObject({
      errno: null,
      aioNrAfter: null,
    });
    expect(json('--nr-events', '1', '--profile', 'linux-3.12', '--cpus', '2')).toMatchObject({
      aioNrAfter: 16,
    });
    expect(json('--nr-events', '1000', '--page-size', '64k', '--cpus', '8').ring).toMatchObject({
      pages: 1,
      nr: 2047,
    });
  });
});

describe('aiospec explain (text)', () => {
  it('prints the verdict as C, the trail with sources and the ring', () => {
    const r = aiospec('explain', '--nr-events', '0xffffffff');
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toBe(
      'io_setup(0xffffffff /* 4294967295 */, &ctx) = -1 EINVAL (Invalid argument)',
    );
    expect(r.out).toContain('→ setup.internal-limit');
    expect(r.out).toContain('ioctx_alloc()');
    const ok = aiospec('explain', '--nr-events', '1');
    expect(ok.out).toContain('+0x10  magic              0xa10a10a1');
    expect(ok.out).toContain('[p0 hdr|ev 0..126]');
  });
});

describe('aiospec explain usage errors', () => {
  it.each([
    [['--nr-events', 'x'], '--nr-events'],
    [['--nr-events', '0x100000000'], '--nr-events'],
    [['--nr-events=-1'], '--nr-events'],
    [['--nr-events', '-1'], '--nr-events'],
    [[], '--nr-events'],
    [['--nr-events', '1', '--ctx', 'weird'], '--ctx'],
    [['--nr-events', '1', '--profile', 'bsd'], '--profile'],
    [['--nr-events', '1', '--aio-max-nr', '18446744073709551616'], '--aio-max-nr'],
    [['--nr-events', '1', '--cpus', '0'], '--cpus'],
    [['--nr-events', '1', '--page-size', '8192'], '--page-size'],
    [['--nr-events', '1', '--seccomp', 'EWHAT'], '--seccomp'],
    [['--nr-events', '1', '--frobnicate'], '--frobnicate'],
  ])('%j names %s and exits 2', (args, flag) => {
    const r = aiospec('explain', ...args);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    const lines = r.err.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(flag);
  });
});
