/**
 * `aiospec explain io_submit|io_getevents|io_pgetevents|io_cancel|capacity`
 * end to end through the built CLI. Every expected errno, return value and
 * number comes from /work/shared/notes/aio-family.md (section named per case),
 * not from the model.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = resolve(import.meta.dirname, '../../bin/aiospec');
const FIXTURES = resolve(import.meta.dirname, '../../fixtures/seccomp');

function aiospec(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function json(...args: string[]) {
  const r = aiospec('explain', ...args, '--json');
  expect(r.code, r.err).toBe(0);
  return JSON.parse(r.out);
}

/** The id of the last rule of a call's trail, every earlier one passed; an iocb's trail is its ids. */
function last(trail: ({ id: string; verdict: string } | string)[]) {
  if (typeof trail[0] === 'string') return trail.at(-1) as string;
  const t = trail as { id: string; verdict: string }[];
  expect(t.slice(0, -1).every((r) => r.verdict === 'pass')).toBe(true);
  return t.at(-1)!.id;
}

describe('explain io_submit: syscall level (§2.1)', () => {
  it('nr < 0 is EINVAL at the first rule after the gates', () => {
    for (const nr of [['--nr', '-1'], ['--nr=-1'], ['--nr', '0xffffffffffffffff']]) {
      const j = json('io_submit', ...nr);
      expect(j).toMatchObject({ errno: 'EINVAL', ret: -22, rule: 'submit.nr-negative' });
      expect(j.iocbs).toEqual([]);
    }
  });

  it('a bad context is EINVAL even with nr 0; a good one with nr 0 is 0', () => {
    expect(json('io_submit', '--bad-ctx', '--nr', '0')).toMatchObject({
      errno: 'EINVAL',
      rule: 'submit.ctx-lookup',
    });
    expect(json('io_submit', '--nr', '0')).toMatchObject({ errno: null, ret: 0 });
  });

  it('an unmapped iocbpp is EFAULT', () => {
    const j = json('io_submit', '--iocbpp', 'unmapped');
    expect(j.errno).toBe('EFAULT');
    expect(j.iocbs[0].rule).toBe('submit.array-fault');
  });
});

describe('explain io_submit: one iocb (§2.2–§2.5)', () => {
  it('NOOP is EINVAL at the opcode rule, with aio_key already written (P8)', () => {
    const j = json('io_submit', '--opcode', 'noop', '--key', '0xdeadbeef');
    expect(j).toMatchObject({ errno: 'EINVAL', ret: -22 });
    const e = j.iocbs[0];
    expect(last(e.trail)).toBe('iocb.P8.opcode');
    expect(e).toMatchObject({ keyBefore: 0xdeadbeef, keyAfter: 0, keyWritten: true, event: null });
    const text = aiospec('explain', 'io_submit', '--opcode', 'noop');
    expect(text.out.split('\n')[0]).toBe(
      'io_submit(ctx, 1, iocbpp) = -1 EINVAL (Invalid argument)',
    );
    expect(text.out).toContain('→ iocb.P8.opcode');
  });

  it.each([
    // [flags, errno, the iocb rule that decides, aio_key written]
    [['--iocb', 'null'], 'EFAULT', 'iocb.P1.copy-fault', false], // P1
    [['--reserved2', '1', '--key', '7'], 'EINVAL', 'iocb.P2.reserved2', false], // P2
    [['--nbytes', '0x8000000000000000'], 'EINVAL', 'iocb.P3.nbytes-sign', false], // P3
    [['--fd', 'closed', '--key', '7'], 'EBADF', 'iocb.P5.bad-fd', false], // P5
    [['--flags', 'resfd', '--resfd', 'closed'], 'EBADF', 'iocb.P6.resfd-bad', false], // P6
    [['--flags', 'resfd', '--resfd', 'file'], 'EINVAL', 'iocb.P6.resfd-not-eventfd', false], // P6
    [['--iocb', 'readonly'], 'EFAULT', 'iocb.P7.key-write-fault', false], // P7
    [['--flags', 'ioprio', '--reqprio', 'rt:0'], 'EPERM', 'iocb.R1.ioprio-perm', true], // R1
    [['--flags', 'ioprio', '--reqprio', '0x8000'], 'EINVAL', 'iocb.R1.ioprio-invalid', true], // R1: class 4
    [
      ['--flags', 'ioprio', '--reqprio', 'be:8', '--kernel', '6.1'],
      'EINVAL',
      'iocb.R1.ioprio-invalid',
      true,
    ], // §1.3
    [['--rw-flags', '0x80000000'], 'EOPNOTSUPP', 'iocb.R2.rwf-unknown', true], // R2
    [['--rw-flags', 'nowait'], 'EOPNOTSUPP', 'iocb.R2.rwf-nowait', true], // R2: tmpfs, no FMODE_NOWAIT
    [['--fd', 'file:w'], 'EBADF', 'iocb.R3.access-mode', true], // R3
    [['--buf', 'kernel'], 'EFAULT', 'iocb.R5.buffer-fault', true], // R5
    [['--opcode', 'preadv', '--nbytes', '1025'], 'EINVAL', 'iocb.R5.iovec-count', true], // R5
    [['--offset', '-1'], 'EINVAL', 'iocb.R6.offset', true], // R6
    [['--opcode', 'fsync', '--offset', '1'], 'EINVAL', 'iocb.F1.fields', true], // F1
    [['--opcode', 'fsync', '--fd', 'pipe-read'], 'EINVAL', 'iocb.F2.no-fsync', true], // F2
    [['--opcode', 'poll', '--buf', '0x10000'], 'EINVAL', 'iocb.Q1.mask-bits', true], // Q1
    [['--opcode', 'poll', '--offset', '1'], 'EINVAL', 'iocb.Q2.fields', true], // Q2
  ])('%j → %s at %s', (flags, errno, rule, written) => {
    const j = json('io_submit', ...flags);
    expect(j.errno).toBe(errno);
    expect(last(j.iocbs[0].trail)).toBe(rule);
    expect(j.iocbs[0].keyWritten).toBe(written);
  });

  it('a synchronous read completes inside io_submit: the event is in the ring (§2.6)', () => {
    const j = json('io_submit', '--data', '0x42', '--buf', '100');
    expect(j).toMatchObject({ errno: null, ret: 1 });
    expect(j.iocbs[0]).toMatchObject({ completes: 'now', keyWritten: true });
    expect(j.iocbs[0].event).toMatchObject({ data: 0x42, obj: 'iocbpp[0]', res: 100, res2: 0 });
    expect([j.before.head, j.before.tail, j.after.head, j.after.tail]).toEqual([0, 0, 0, 1]);
  });

  it('FSYNC always completes later, with res 0 (§2.4); POLLIN on a tmpfs file completes at once (§2.5)', () => {
    const f = json('io_submit', '--opcode', 'fsync');
    expect(f.iocbs[0]).toMatchObject({ completes: 'later' });
    expect([f.after.tail, f.after.inFlight]).toEqual([0, 1]);
    const p = json('io_submit', '--opcode', 'poll', '--buf', '0x1');
    expect(p.iocbs[0].event).toMatchObject({ res: 1 });
  });

  it('hint bits 3–12 with class BE are accepted from 6.12 on (§1.3)', () => {
    expect(
      json('io_submit', '--flags', 'ioprio', '--reqprio', 'be:8', '--kernel', '6.12').ret,
    ).toBe(1);
  });

  it('RWF_NOAPPEND is unknown on 6.1 and accepted on 6.12 (§1.3)', () => {
    expect(
      json(
        'io_submit',
        '--fd',
        'file:w',
        '--opcode',
        'pwrite',
        '--rw-flags',
        'noappend',
        '--kernel',
        '6.1',
      ).errno,
    ).toBe('EOPNOTSUPP');
    expect(
      json(
        'io_submit',
        '--fd',
        'file:w',
        '--opcode',
        'pwrite',
        '--rw-flags',
        'noappend',
        '--kernel',
        '6.12',
      ),
    ).toMatchObject({
      errno: null,
      ret: 1,
    });
  });
});

describe('explain io_submit: capacity (§6.3)', () => {
  it('C 1, io_setup(1): K = 124 submissions, then EAGAIN hidden by the partial count', () => {
    const j = json('io_submit', '--ctx-nr', '1', '--cpus', '1', '--nr', '200');
    expect(j).toMatchObject({ errno: null, ret: 124 });
    expect(j.iocbs.at(-1)).toMatchObject({ index: 124, errno: 'EAGAIN', rule: 'iocb.P4.no-slot' });
    expect(j.context.capacity).toEqual({ ringNr: 127, batch: 31, pinned: 124, lowerBound: 124 });
  });

  it('with 124 held, the next is EAGAIN; a bad fd on a full context is EAGAIN too (P4 before P5)', () => {
    const base = ['--ctx-nr', '1', '--cpus', '1', '--in-flight', '124'];
    expect(json('io_submit', ...base).errno).toBe('EAGAIN');
    expect(json('io_submit', ...base, '--fd', 'closed').errno).toBe('EAGAIN');
    expect(json('io_submit', '--ctx-nr', '1', '--cpus', '1', '--in-flight', '123').ret).toBe(1);
  });
});

describe('explain io_getevents (§3)', () => {
  it('the timeout is copied first: unmapped timeout and bad ctx is EFAULT', () => {
    const j = json('io_getevents', '--timeout', 'unmapped', '--bad-ctx');
    expect(j).toMatchObject({ errno: 'EFAULT', rule: 'getevents.timeout-fault' });
    expect(json('io_getevents', '--bad-ctx').errno).toBe('EINVAL');
    expect(json('io_getevents', '--min-nr', '2', '--nr', '1').rule).toBe('getevents.min-nr');
    expect(json('io_getevents', '--min-nr', '-1').errno).toBe('EINVAL');
  });

  it('copies up to nr events oldest first and moves head', () => {
    const j = json('io_getevents', '--pending', '3', '--nr', '2');
    expect(j).toMatchObject({ errno: null, ret: 2 });
    expect(j.events.map((e: { data: number; obj: string }) => [e.data, e.obj])).toEqual([
      [0x100, 'pending[0]'],
      [0x101, 'pending[1]'],
    ]);
    expect([j.before.head, j.before.tail, j.after.head, j.after.tail]).toEqual([0, 3, 2, 3]);
  });

  it('a bad events pointer is seen only with events to copy, and head stays', () => {
    expect(json('io_getevents', '--events', 'null', '--min-nr', '0')).toMatchObject({
      errno: null,
      ret: 0,
    });
    const j = json('io_getevents', '--events', 'null', '--pending', '1');
    expect(j).toMatchObject({ errno: 'EFAULT', rule: 'getevents.events-fault' });
    expect([j.after.head, j.after.tail]).toEqual([0, 1]);
  });

  it('a NULL timeout with min_nr more than can come never returns', () => {
    const r = aiospec('explain', 'io_getevents', '--timeout', 'null');
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toMatch(/never returns/);
  });
});

describe('explain io_pgetevents (§4)', () => {
  it('a bad sigsetsize is EINVAL before the context; with a NULL sigmask it is ignored', () => {
    const j = json('io_pgetevents', '--sigsetsize', '7', '--sigmask', 'empty', '--bad-ctx');
    expect(j).toMatchObject({ errno: 'EINVAL', rule: 'pgetevents.sigsetsize' });
    expect(
      json('io_pgetevents', '--sigsetsize', '7', '--sigmask', 'null', '--min-nr', '0'),
    ).toMatchObject({
      errno: null,
      ret: 0,
    });
    expect(json('io_pgetevents', '--usig', 'unmapped', '--bad-ctx').errno).toBe('EFAULT');
    expect(json('io_pgetevents', '--sigmask', 'unmapped', '--bad-ctx').errno).toBe('EFAULT');
  });

  it('the libaio 22.t recipe: SIGUSR1 raised, a mask unblocking it: EINTR, or the count', () => {
    expect(json('io_pgetevents', '--sigmask', 'empty', '--pending-usr1')).toMatchObject({
      errno: 'EINTR',
      usr1: 1,
    });
    expect(
      json('io_pgetevents', '--sigmask', 'empty', '--pending-usr1', '--pending', '1'),
    ).toMatchObject({
      errno: null,
      ret: 1,
      usr1: 1,
    });
  });

  it('a seccomp profile denying io_pgetevents: EPERM at the seccomp rule, naming the profile rule', () => {
    const file = `${FIXTURES}/io-pgetevents-eperm.json`;
    const j = json('io_pgetevents', '--seccomp-profile', file);
    expect(j).toMatchObject({ errno: 'EPERM', rule: 'seccomp.family-errno' });
    expect(j.seccomp.rule).toContain('io-pgetevents-eperm.json syscalls[0]');
    // The same profile leaves io_getevents alone.
    expect(json('io_getevents', '--seccomp-profile', file, '--min-nr', '0').errno).toBe(null);
    expect(json('io_submit', '--seccomp', 'EPERM').rule).toBe('seccomp.family-errno');
  });
});

describe('explain io_cancel (§5)', () => {
  it('a NULL iocb is EFAULT, even with a bad context', () => {
    expect(json('io_cancel', '--iocb', 'null')).toMatchObject({
      errno: 'EFAULT',
      rule: 'cancel.key-fault',
    });
    expect(json('io_cancel', '--iocb', 'null', '--bad-ctx').errno).toBe('EFAULT');
  });

  it('a pending POLL: EINPROGRESS, and its event (res 0) comes later', () => {
    const j = json('io_cancel', '--iocb', 'pending-poll');
    expect(j).toMatchObject({
      errno: 'EINPROGRESS',
      rule: 'cancel.in-progress',
      queuedEvent: true,
    });
    expect([j.before.polls, j.after.polls, j.after.inFlight]).toEqual([1, 0, 1]);
    expect(aiospec('explain', 'io_cancel').out.split('\n')[0]).toBe(
      'io_cancel(ctx, &iocb, &result) = -1 EINPROGRESS (Operation now in progress)',
    );
  });

  it('anything else is EINVAL: completed, never submitted, a non-zero key', () => {
    expect(json('io_cancel', '--iocb', 'completed').rule).toBe('cancel.not-found');
    expect(json('io_cancel', '--iocb', 'never-submitted').rule).toBe('cancel.not-found');
    expect(json('io_cancel', '--iocb', 'never-submitted', '--key', '5')).toMatchObject({
      errno: 'EINVAL',
      rule: 'cancel.key-nonzero',
    });
    expect(json('io_cancel', '--iocb', 'pending-poll', '--bad-ctx').rule).toBe('cancel.ctx-lookup');
  });
});

describe('explain on gVisor (§8) and without CONFIG_AIO', () => {
  it('io_cancel and io_pgetevents are ENOSYS; NOOP is accepted; nr 0 is 0 for any handle', () => {
    expect(json('--profile', 'gvisor', 'io_cancel').errno).toBe('ENOSYS');
    expect(json('io_cancel', '--profile', 'gvisor').rule).toBe('gvisor.cancel-enosys');
    expect(json('io_pgetevents', '--profile', 'gvisor').errno).toBe('ENOSYS');
    expect(json('io_submit', '--opcode', 'noop', '--profile', 'gvisor')).toMatchObject({
      errno: null,
      ret: 1,
    });
    expect(json('io_submit', '--bad-ctx', '--nr', '0', '--profile', 'gvisor')).toMatchObject({
      ret: 0,
    });
    expect(json('io_getevents', '--no-aio').errno).toBe('ENOSYS');
  });
});

describe('explain capacity (§6.2, §6.3 table)', () => {
  it.each([
    [1, 1, { ringNr: 127, batch: 31, pinned: 124, lowerBound: 124 }],
    [1, 128, { ringNr: 383, batch: 95, pinned: 380, lowerBound: 380 }],
    [4, 1, { ringNr: 127, batch: 7, pinned: 126, lowerBound: 81 }],
    [4, 128, { ringNr: 383, batch: 23, pinned: 368, lowerBound: 225 }],
    [16, 1, { ringNr: 255, batch: 3, pinned: 252, lowerBound: 177 }],
    [64, 128, { ringNr: 639, batch: 2, pinned: 638, lowerBound: 448 }],
  ])('C %i, nr %i', (cpus, nr, figures) => {
    expect(json('capacity', '--nr-events', String(nr), '--cpus', String(cpus))).toMatchObject(
      figures,
    );
  });

  it('writes the arithmetic out', () => {
    const r = aiospec('explain', 'capacity', '--nr-events', '1', '--cpus', '1');
    expect(r.code).toBe(0);
    expect(r.out).toContain('ring->nr N = 127');
    expect(r.out).toContain('= 124: successful submissions');
  });
});

describe('explain io_setup stays as it was', () => {
  it('explain io_setup --nr-events N is explain --nr-events N', () => {
    const a = aiospec('explain', '--nr-events', '5');
    const b = aiospec('explain', 'io_setup', '--nr-events', '5');
    expect(a.code).toBe(0);
    expect(b.out).toBe(a.out);
  });
});

describe('explain family usage errors', () => {
  it.each([
    [['io_getevents', '--opcode', 'noop'], '--opcode'],
    [['io_cancel', '--min-nr', '1'], '--min-nr'],
    [['io_submit', '--nr-events', '1'], '--nr-events'],
    [['io_submit', '--opcode', 'frob'], '--opcode'],
    [['io_submit', '--fd', 'socket'], '--fd'],
    [['io_submit', '--rw-flags', 'nowait|bogus'], '--rw-flags'],
    [['io_submit', '--nr', 'x'], '--nr'],
    [['io_submit', '--kernel', '5.4'], '--kernel'],
    [['io_submit', '--profile', 'linux-3.12'], '--profile'],
    [['io_submit', '--fail-alloc', 'ring'], '--fail-alloc'],
    [['io_submit', '--ctx-nr', '0'], '--ctx-nr'],
    [['io_submit', '--ctx-nr', '1', '--pending', '200'], '--pending'],
    [['io_getevents', '--timeout', '1.x'], '--timeout'],
    [['io_pgetevents', '--usig', 'null', '--sigmask', 'empty'], '--usig'],
    [['io_cancel', '--iocb', 'null', '--key', '1'], '--key'],
    [['io_cancel', '--iocb', 'weird'], '--iocb'],
    [['io_fsync'], 'io_fsync'],
    [['capacity'], '--nr-events'],
  ])('%j names %s and exits 2', (args, flag) => {
    const r = aiospec('explain', ...args);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    const lines = r.err.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(flag);
  });
});
