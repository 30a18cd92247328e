/**
 * A seccomp filter, built in TypeScript as classic BPF, that answers one
 * syscall with an errno and allows everything else:
 *
 *   ld  [4]                  ; seccomp_data.arch
 *   jeq #AUDIT_ARCH, 0, 3    ; another ABI (e.g. x32/i386 on x86_64): allow
 *   ld  [0]                  ; seccomp_data.nr
 *   jeq #NR, 0, 1
 *   ret #SECCOMP_RET_ERRNO | errno
 *   ret #SECCOMP_RET_ALLOW
 *
 * Encoding from include/uapi/linux/filter.h, bpf_common.h and seccomp.h.
 */

// BPF instruction classes and modes (bpf_common.h).
const BPF_LD = 0x00;
const BPF_JMP = 0x05;
const BPF_RET = 0x06;
const BPF_W = 0x00;
const BPF_ABS = 0x20;
const BPF_JEQ = 0x10;
const BPF_JGT = 0x20;
const BPF_JGE = 0x30;
/** BPF_ALU | BPF_AND | BPF_K. */
const BPF_ALU_AND_K = 0x54;
const BPF_K = 0x00;

export const SECCOMP_RET_ALLOW = 0x7fff_0000;
export const SECCOMP_RET_ERRNO = 0x0005_0000;
export const SECCOMP_RET_DATA = 0x0000_ffff;

export const SECCOMP_SET_MODE_FILTER = 1;
export const SECCOMP_FILTER_FLAG_TSYNC = 1;

/** offsetof(struct seccomp_data, nr) and (..., arch). */
const OFFSET_NR = 0;
const OFFSET_ARCH = 4;

export interface BpfInsn {
  readonly code: number;
  readonly jt: number;
  readonly jf: number;
  readonly k: number;
}

const stmt = (code: number, k: number): BpfInsn => ({ code, jt: 0, jf: 0, k });
const jump = (code: number, k: number, jt: number, jf: number): BpfInsn => ({ code, jt, jf, k });

/** The filter program answering syscall `nr` of ABI `auditArch` with `errno`. */
export function errnoFilter(auditArch: number, nr: number, errno: number): BpfInsn[] {
  if (!Number.isInteger(errno) || errno < 1 || errno > 4095)
    throw new RangeError(`errno ${errno} outside 1..4095`);
  return [
    stmt(BPF_LD | BPF_W | BPF_ABS, OFFSET_ARCH),
    jump(BPF_JMP | BPF_JEQ | BPF_K, auditArch >>> 0, 0, 3),
    stmt(BPF_LD | BPF_W | BPF_ABS, OFFSET_NR),
    jump(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1),
    stmt(BPF_RET | BPF_K, (SECCOMP_RET_ERRNO | (errno & SECCOMP_RET_DATA)) >>> 0),
    stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  ];
}

/** struct sock_filter[]: u16 code, u8 jt, u8 jf, u32 k, native endian (little-endian here). */
export function encodeProgram(insns: readonly BpfInsn[]): Uint8Array {
  const bytes = new Uint8Array(insns.length * 8);
  const v = new DataView(bytes.buffer);
  insns.forEach((insn, i) => {
    v.setUint16(i * 8, insn.code, true);
    v.setUint8(i * 8 + 2, insn.jt);
    v.setUint8(i * 8 + 3, insn.jf);
    v.setUint32(i * 8 + 4, insn.k, true);
  });
  return bytes;
}

/** struct seccomp_data as a filter reads it: nr, arch, and the six arguments (u64). */
export interface SeccompData {
  readonly nr: number;
  readonly arch: number;
  readonly args?: readonly bigint[];
}

/** The 32-bit word at a byte offset of struct seccomp_data (little-endian), as BPF_LD|BPF_W|BPF_ABS loads it. */
function word(data: SeccompData, k: number): number {
  if (k === OFFSET_NR) return data.nr >>> 0;
  if (k === OFFSET_ARCH) return data.arch >>> 0;
  if (k >= 16 && k < 64 && k % 4 === 0) {
    const arg = data.args?.[(k - 16) >> 3] ?? 0n;
    return Number((k % 8 === 0 ? arg : arg >> 32n) & 0xffff_ffffn);
  }
  throw new Error(`load at offset ${k} is outside struct seccomp_data's words used here`);
}

/**
 * Run the program on one syscall, as the kernel's BPF interpreter would, for
 * the instructions this project emits (loads, AND, JEQ/JGT/JGE, RET): tests
 * hold the compiled programs against the model with it.
 */
export function runFilter(insns: readonly BpfInsn[], data: SeccompData): number {
  let acc = 0;
  for (let pc = 0; pc < insns.length; pc++) {
    const insn = insns[pc]!;
    const jump = (cond: boolean) => {
      pc += cond ? insn.jt : insn.jf;
    };
    switch (insn.code) {
      case BPF_LD | BPF_W | BPF_ABS:
        acc = word(data, insn.k);
        break;
      case BPF_ALU_AND_K:
        acc = (acc & insn.k) >>> 0;
        break;
      case BPF_JMP | BPF_JEQ | BPF_K:
        jump(acc === insn.k >>> 0);
        break;
      case BPF_JMP | BPF_JGT | BPF_K:
        jump(acc > insn.k >>> 0);
        break;
      case BPF_JMP | BPF_JGE | BPF_K:
        jump(acc >= insn.k >>> 0);
        break;
      case BPF_RET | BPF_K:
        return insn.k >>> 0;
      default:
        throw new Error(`unsupported BPF opcode 0x${insn.code.toString(16)}`);
    }
  }
  throw new Error('filter fell off the end');
}
