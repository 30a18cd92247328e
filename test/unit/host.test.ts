import { describe, expect, it } from 'vitest';
import { currentArch, RealUnavailable } from '../../real/arch.js';
import { countCpuList } from '../../real/host.js';
import { isAioRing, parseMaps } from '../../real/proc-maps.js';

describe('host detection', () => {
  it.each([
    ['0', 1],
    ['0-1', 2],
    ['0-3,8-11', 8],
    ['0,2,4-5\n', 4],
  ])('counts the CPU list %j as %i', (list, n) => {
    expect(countCpuList(list)).toBe(n);
  });

  it('reads rings out of /proc/PID/maps', () => {
    const maps = parseMaps(
      [
        '00400000-00b6f000 r--p 00000000 fe:00 260689                             /usr/bin/node',
        '7f0ac4014000-7f0ac4015000 rw-s 00000000 00:0f 2049                       /[aio] (deleted)',
        '7f0ac4015000-7f0ac4016000 rw-p 00000000 00:00 0 ',
      ].join('\n'),
    );
    expect(maps.map((m) => [m.start.toString(16), Number(m.end - m.start), isAioRing(m)])).toEqual([
      ['400000', 0x76f000, false],
      ['7f0ac4014000', 4096, true],
      ['7f0ac4015000', 4096, false],
    ]);
  });
});

describe('architectures', () => {
  it('says clearly why the real backend is unavailable', () => {
    expect(() => currentArch('darwin', 'arm64')).toThrow(
      new RealUnavailable('this is darwin, not Linux'),
    );
    expect(() => currentArch('linux', 'mips')).toThrow(/unknown architecture mips/);
    expect(() => currentArch('linux', 's390x')).toThrow(/not wired up/);
    expect(currentArch('linux', 'arm64').syscalls.io_setup).toBe(0);
    expect(currentArch('linux', 'x64').syscalls.io_destroy).toBe(207);
  });
});
