/**
 * SECCOMP_RET_TRAP's result: kernel/seccomp.c calls syscall_rollback() before
 * sending SIGSYS, which puts the return register back as it was at entry
 * (x86_64: regs->ax = regs->orig_ax, the syscall number, 206 for io_setup and
 * 207 for io_destroy in arch/x86/entry/syscalls/syscall_64.tbl; arm64:
 * regs->regs[0] = regs->orig_x0, the first argument). A handler that returns
 * leaves the caller with that value and no errno. The real worker's value is
 * checked by test/targets/oci.test.ts and test/real/seccomp-signals.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  decideIoDestroy,
  decideIoSetup,
  makeEnv,
  newProcessState,
  parseSeccompProfile,
  resolveSeccompProfile,
} from '../../model/index.js';

const TRAP_BOTH = JSON.stringify({
  defaultAction: 'SCMP_ACT_ALLOW',
  syscalls: [{ names: ['io_setup', 'io_destroy'], action: 'SCMP_ACT_TRAP' }],
});

function envFor(arch: string) {
  const f = resolveSeccompProfile(parseSeccompProfile(TRAP_BOTH, 'trap.json'), {
    arch,
    caps: new Set(),
    kernel: '6.18.0',
  });
  return makeEnv({ seccompFilters: [f] });
}

describe('seccomp TRAP: the call returns the rolled-back register', () => {
  it('x86_64: the syscall number, with SIGSYS delivered and no errno', () => {
    const env = envFor('SCMP_ARCH_X86_64');
    const s = decideIoSetup(env, newProcessState(env), { nrEvents: 7, ctx: 'zero' });
    expect([s.ret, s.errno, s.signal, s.ctxWritten]).toEqual([206, null, 'delivered', false]);
    const d = decideIoDestroy(env, newProcessState(env), { handle: 0x1234n });
    expect([d.ret, d.errno, d.signal]).toEqual([207, null, 'delivered']);
  });

  it('arm64: the first argument (nr_events, the handle)', () => {
    const env = envFor('SCMP_ARCH_AARCH64');
    const s = decideIoSetup(env, newProcessState(env), { nrEvents: 7, ctx: 'zero' });
    expect([s.ret, s.errno, s.signal]).toEqual([7, null, 'delivered']);
    const d = decideIoDestroy(env, newProcessState(env), { handle: 0x1234n });
    expect([d.ret, d.errno]).toEqual([0x1234, null]);
  });
});
