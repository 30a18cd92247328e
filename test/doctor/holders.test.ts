/** Reading rings out of /proc/PID/maps text, naming containers, and the holders table. */
import { describe, expect, it } from 'vitest';
import { advise, roundUpLimit } from '../../conformance/doctor/advice.js';
import { availability } from '../../conformance/doctor/availability.js';
import { describeCgroup } from '../../conformance/doctor/cgroup.js';
import { holderTable, reconcile } from '../../conformance/doctor/holders.js';
import { answerRequest } from '../../conformance/doctor/request.js';
import { ringBoundsFor } from '../../conformance/doctor/ring-bounds.js';
import { makeEnv } from '../../model/index.js';
import { type HolderScan, ringsInMaps } from '../../real/aio-holders.js';

const MAPS = `55d0c0a00000-55d0c0a01000 r--p 00000000 fd:01 1234                       /usr/bin/node
7f34b3dac000-7f34b3dae000 rw-s 00000000 00:13 643287                     /[aio] (deleted)
7f34b3dae000-7f34b3daf000 rw-s 00000000 00:13 643286                     /[aio] (deleted)
7f34b3db0000-7f34b3db1000 rw-p 00000000 00:00 0                          /home/u/[aio] notes
7f34b3dc0000-7f34b3dc1000 rw-s 00000000 00:13 643286                     /[aio] (deleted)
7ffd1e5f0000-7ffd1e611000 rw-p 00000000 00:00 0                          [stack]`;

describe('ringsInMaps', () => {
  it('finds the ring mappings, merges the pieces of one ring file, ignores look-alike paths', () => {
    expect(ringsInMaps(MAPS)).toEqual([
      { file: '00:13:643287', bytes: 8192 },
      { file: '00:13:643286', bytes: 8192 },
    ]);
    expect(ringsInMaps('')).toEqual([]);
  });
});

describe('describeCgroup', () => {
  const ID = 'a'.repeat(64);
  it.each([
    ['0::/\n', '/', null],
    ['0::/system.slice/mysqld.service\n', '/system.slice/mysqld.service', null],
    [
      `0::/system.slice/docker-${ID}.scope\n`,
      `/system.slice/docker-${ID}.scope`,
      'docker aaaaaaaaaaaa',
    ],
    [`12:memory:/docker/${ID}\n0::/\n`, `/docker/${ID}`, 'docker aaaaaaaaaaaa'],
    [
      `0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0f1e2d3c_4b5a_6978_8796_a5b4c3d2e1f0.slice/cri-containerd-${ID}.scope\n`,
      `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0f1e2d3c_4b5a_6978_8796_a5b4c3d2e1f0.slice/cri-containerd-${ID}.scope`,
      'kubernetes pod 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0 container aaaaaaaaaaaa',
    ],
    [
      `0::/machine.slice/libpod-${ID}.scope/container\n`,
      `/machine.slice/libpod-${ID}.scope/container`,
      'podman aaaaaaaaaaaa',
    ],
    ['0::/lxc.payload.web1/init.scope\n', '/lxc.payload.web1/init.scope', 'lxc web1'],
  ])('%j', (text, path, container) => {
    expect(describeCgroup(text)).toEqual({ path, container });
  });
});

function scanOf(holders: HolderScan['holders']): HolderScan {
  return {
    holders,
    scanned: 10,
    unreadable: [],
    exited: 0,
    ambiguous: 0,
    hidepid: false,
    elapsedMs: 1,
  };
}

describe('holderTable', () => {
  const env = makeEnv({ possibleCpus: 2 });
  const bounds = ringBoundsFor(env, 10_000n);
  const ring = (pages: number, n: number) => ({ file: `00:13:${n}`, bytes: pages * 4096 });
  const table = holderTable(
    scanOf([
      { pid: 10, comm: 'small', cgroup: '0::/a\n', rings: [ring(1, 1)], inherited: 0 },
      {
        pid: 20,
        comm: 'big',
        cgroup: null,
        rings: [ring(79, 2), ring(5, 3), ring(5, 4)],
        inherited: 0,
      },
      { pid: 30, comm: 'child', cgroup: null, rings: [], inherited: 1 },
      { pid: 40, comm: 'odd', cgroup: null, rings: [ring(70_000, 5), ring(2, 6)], inherited: 2 },
    ]),
    4096,
    bounds,
  );

  it('sums each process, biggest first, and leaves fork copies out', () => {
    expect(
      table.rows.map((r) => [r.pid, r.contexts, r.ringPages, r.nrEventsMin, r.nrEventsMax]),
    ).toEqual([
      [20, 3, 89, 4991 + 255 * 2, 5054 + 318 * 2],
      [40, 2, 70_002, 63, 126],
      [10, 1, 1, 1, 62],
    ]);
    expect(table.rows.find((r) => r.pid === 40)).toMatchObject({ unexplained: 1, inherited: 2 });
    expect(table.rows.find((r) => r.pid === 10)).toMatchObject({ cgroup: '/a' });
    expect(table.forkCopies).toEqual([{ pid: 30, comm: 'child', rings: 1 }]);
    expect(table.totals).toMatchObject({
      processes: 3,
      contexts: 6,
      nrEventsMin: 4991 + 510 + 63 + 1,
    });
  });

  it('holds the sum up against aio-nr', () => {
    const { totals } = table;
    expect(reconcile(totals, BigInt(totals.nrEventsMin))).toBe('within');
    expect(reconcile(totals, BigInt(totals.nrEventsMax) + 1n)).toBe('unseen');
    expect(reconcile(totals, BigInt(totals.nrEventsMin) - 1n)).toBe('below');
    expect(reconcile(totals, null)).toBe('none');
  });
});

describe('advice', () => {
  const ok = availability({ sysctls: true, gvisor: false, probeErrno: null, seccompMode: 0 });
  const ns = { pidNamespace: null, hostPidNamespace: null, procSysReadOnly: null };
  const inContainer = { container: 'docker 0123456789ab', sysctlWritable: false, ...ns };
  const onHost = { container: null, sysctlWritable: true, ...ns };

  it('rounds limits up to a power of two, never below the kernel default', () => {
    expect([1n, 65536n, 65537n, 70708n, 1_000_001n].map(roundUpLimit)).toEqual([
      65536n,
      65536n,
      131072n,
      131072n,
      1048576n,
    ]);
  });

  it('names the sysctl, the value, the commands and the node for a request that cannot fit', () => {
    const env = makeEnv({ aioNr: 5708n });
    const a = advise(env, ok, answerRequest(env, 65000), inContainer);
    expect(a.sysctl).toMatchObject({
      sysctl: 'fs.aio-max-nr',
      minimum: 70708n,
      recommended: 131072n,
    });
    expect(a.sysctl!.commands[0]).toBe('sysctl -w fs.aio-max-nr=131072');
    expect(a.sysctl!.commands[1]).toContain('/etc/sysctl.d/');
    expect(a.sysctl!.where).toContain('on the node');
    expect(a.lines[0]).toContain('5172');
  });

  it('says nothing needs changing when there is room, and when no sysctl can help', () => {
    const env = makeEnv({ aioNr: 100n });
    expect(advise(env, ok, null, onHost).sysctl).toBeNull();
    expect(advise(env, ok, answerRequest(env, 5_000_000), onHost)).toMatchObject({ sysctl: null });
    expect(advise(env, ok, answerRequest(env, 5_000_000), onHost).lines[0]).toContain('4194304');
    const filtered = availability({ sysctls: true, gvisor: false, probeErrno: 1, seccompMode: 2 });
    expect(advise(env, filtered, null, onHost).lines[0]).toContain('seccomp');
  });

  it('without a request, advises room for as much again once 90% is used', () => {
    const env = makeEnv({ aioNr: 60_000n });
    expect(advise(env, ok, null, onHost).sysctl).toMatchObject({
      minimum: 120_000n,
      recommended: 131072n,
    });
  });
});
