import { describe, expect, it } from 'vitest';
import { ARCHES } from '../../real/arch.js';
import {
  encodeProgram,
  errnoFilter,
  runFilter,
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_ERRNO,
} from '../../real/seccomp-bpf.js';

describe('the seccomp filter built in TypeScript', () => {
  const x64 = ARCHES.x64!;
  const filter = errnoFilter(x64.auditArch, x64.syscalls.io_setup, 38);

  it('answers io_setup with the errno and allows everything else', () => {
    expect(runFilter(filter, { nr: 206, arch: 0xc000003e })).toBe(SECCOMP_RET_ERRNO | 38);
    expect(runFilter(filter, { nr: 207, arch: 0xc000003e })).toBe(SECCOMP_RET_ALLOW);
    expect(runFilter(filter, { nr: 0, arch: 0xc000003e })).toBe(SECCOMP_RET_ALLOW);
  });

  it('allows another ABI on the same machine (i386 numbers mean other syscalls there)', () => {
    expect(runFilter(filter, { nr: 206, arch: 0x40000003 })).toBe(SECCOMP_RET_ALLOW);
  });

  it('encodes struct sock_filter as 8 little-endian bytes per instruction', () => {
    const bytes = encodeProgram(filter);
    expect(bytes.length).toBe(filter.length * 8);
    // ld [4]: code 0x20 (BPF_LD|BPF_W|BPF_ABS), k = 4
    expect([...bytes.slice(0, 8)]).toEqual([0x20, 0, 0, 0, 4, 0, 0, 0]);
    // the errno return: code 0x06 (BPF_RET|BPF_K), k = 0x00050026
    expect([...bytes.slice(32, 40)]).toEqual([0x06, 0, 0, 0, 0x26, 0, 0x05, 0]);
  });

  it('refuses an errno the kernel would not return', () => {
    expect(() => errnoFilter(x64.auditArch, 206, 0)).toThrow();
    expect(() => errnoFilter(x64.auditArch, 206, 4096)).toThrow();
  });
});
