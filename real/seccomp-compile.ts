/**
 * A seccomp profile's filter (model/abi/seccomp.ts: resolved for this
 * architecture) compiled to classic BPF, the program the worker installs:
 *
 *   ld  [4]                     ; seccomp_data.arch
 *   jeq #AUDIT_ARCH, 1, 0
 *   ret #KILL_THREAD            ; another ABI: libseccomp's default bad-arch action (SCMP_ACT_KILL)
 *   ld  [0]                     ; seccomp_data.nr
 *   jge #X32_SYSCALL_BIT, ...   ; x86_64 only: x32 numbers are another ABI too
 *   for each rule, in the profile's order, for each of its syscalls here:
 *     jeq #NR, 0, <next>
 *     for each alternative: its comparisons, each failing to the next alternative
 *       ret #action
 *     ld [0]                    ; (reload nr after the argument loads)
 *   ret #defaultAction
 *
 * The first rule whose syscall and arguments match decides, as the model's
 * runSeccompFilter() reads the same data. A 64-bit comparison is made as
 * libseccomp makes it on a 32-bit BPF machine: the high words first, then
 * the low words (seccomp_data.args[i] is little-endian on x86_64 and arm64:
 * the low word at offset 16 + 8i, the high word at +4).
 */
import {
  type ArgCmp,
  actionValue,
  type FilterAction,
  SECCOMP_DATA_ARGS_OFFSET,
  type SeccompFilter,
  X32_SYSCALL_BIT,
} from '../model/abi/seccomp.js';
import type { BpfInsn } from './seccomp-bpf.js';

const BPF_LD_W_ABS = 0x20;
const BPF_ALU_AND_K = 0x54;
const BPF_JEQ_K = 0x15;
const BPF_JGT_K = 0x25;
const BPF_JGE_K = 0x35;
const BPF_RET_K = 0x06;
/** include/uapi/linux/bpf_common.h: the longest program the kernel loads. */
const BPF_MAXINSNS = 4096;

/** A program being laid out: instructions whose jumps name labels, resolved at the end. */
type Op =
  | { readonly insn: BpfInsn }
  | { readonly jump: number; readonly k: number; readonly t: Label; readonly f: Label }
  | { readonly label: Label };

type Label = { readonly name: string };

const ld = (k: number): Op => ({ insn: { code: BPF_LD_W_ABS, jt: 0, jf: 0, k } });
const ret = (a: FilterAction): Op => ({
  insn: { code: BPF_RET_K, jt: 0, jf: 0, k: actionValue(a) },
});
const and = (k: number): Op => ({ insn: { code: BPF_ALU_AND_K, jt: 0, jf: 0, k } });

let labels = 0;
const fresh = (what: string): Label => ({ name: `${what}-${labels++}` });

const hi = (v: bigint) => Number((v >> 32n) & 0xffff_ffffn);
const lo = (v: bigint) => Number(v & 0xffff_ffffn);

/**
 * One comparison: falls through when it holds, jumps to `fail` when not.
 * `ok` is a label just after it.
 */
function compare(c: ArgCmp, fail: Label, ok: Label): Op[] {
  const at = SECCOMP_DATA_ARGS_OFFSET + 8 * c.index;
  const [vh, vl] = [hi(c.value), lo(c.value)];
  const jump = (code: number, k: number, t: Label, f: Label): Op => ({ jump: code, k, t, f });
  const next = fresh('lo');
  const eq = fresh('eq');
  const low = (code: number, t: Label, f: Label): Op[] => [
    { label: next },
    ld(at),
    jump(code, vl, t, f),
  ];
  switch (c.op) {
    case 'EQ':
      return [ld(at + 4), jump(BPF_JEQ_K, vh, next, fail), ...low(BPF_JEQ_K, ok, fail)];
    case 'NE':
      return [ld(at + 4), jump(BPF_JEQ_K, vh, next, ok), ...low(BPF_JEQ_K, fail, ok)];
    case 'GT':
      // hi > vh: holds; hi == vh: decide on lo > vl; hi < vh: fails
      return [
        ld(at + 4),
        jump(BPF_JGT_K, vh, ok, eq),
        { label: eq },
        jump(BPF_JEQ_K, vh, next, fail),
        ...low(BPF_JGT_K, ok, fail),
      ];
    case 'GE':
      return [
        ld(at + 4),
        jump(BPF_JGT_K, vh, ok, eq),
        { label: eq },
        jump(BPF_JEQ_K, vh, next, fail),
        ...low(BPF_JGE_K, ok, fail),
      ];
    case 'LT':
      // not GE
      return [
        ld(at + 4),
        jump(BPF_JGT_K, vh, fail, eq),
        { label: eq },
        jump(BPF_JEQ_K, vh, next, ok),
        ...low(BPF_JGE_K, fail, ok),
      ];
    case 'LE':
      // not GT
      return [
        ld(at + 4),
        jump(BPF_JGT_K, vh, fail, eq),
        { label: eq },
        jump(BPF_JEQ_K, vh, next, ok),
        ...low(BPF_JGT_K, fail, ok),
      ];
    case 'MASKED_EQ': {
      const [mh, ml] = [hi(c.value), lo(c.value)];
      const [wh, wl] = [hi(c.valueTwo), lo(c.valueTwo)];
      return [
        ld(at + 4),
        and(mh),
        jump(BPF_JEQ_K, wh, next, fail),
        { label: next },
        ld(at),
        and(ml),
        jump(BPF_JEQ_K, wl, ok, fail),
      ];
    }
  }
}

/**
 * Resolve labels to offsets. Every jump here goes forward and stays inside one
 * syscall's block (a few instructions per comparison), so the 8-bit jt/jf
 * always reach; a profile that needed more would be refused, not miscompiled.
 */
function assemble(ops: readonly Op[]): BpfInsn[] {
  const where = new Map<Label, number>();
  let pc = 0;
  for (const op of ops) {
    if ('label' in op) where.set(op.label, pc);
    else pc++;
  }
  const out: BpfInsn[] = [];
  for (const op of ops) {
    if ('label' in op) continue;
    if ('insn' in op) out.push(op.insn);
    else {
      const off = (l: Label) => {
        const d = where.get(l)! - out.length - 1;
        if (d < 0 || d > 255)
          throw new RangeError(`a seccomp rule too large to compile (jump of ${d})`);
        return d;
      };
      out.push({ code: op.jump, jt: off(op.t), jf: off(op.f), k: op.k >>> 0 });
    }
  }
  if (out.length > BPF_MAXINSNS)
    throw new RangeError(
      `the filter needs ${out.length} instructions; the kernel takes at most ${BPF_MAXINSNS}`,
    );
  return out;
}

/** The program for this filter, on an architecture with this AUDIT_ARCH and syscall table. */
export function compileFilter(
  f: SeccompFilter,
  auditArch: number,
  table: Readonly<Record<string, number>>,
  x32Bit: boolean,
): BpfInsn[] {
  const ops: Op[] = [ld(4)];
  const native = fresh('native');
  const badArch = fresh('bad-arch');
  ops.push({ jump: BPF_JEQ_K, k: auditArch, t: native, f: badArch }, { label: badArch });
  ops.push(ret({ kind: 'kill-thread', data: 0 }), { label: native }, ld(0));
  if (x32Bit) {
    const ok = fresh('not-x32');
    const x32 = fresh('x32');
    ops.push({ jump: BPF_JGE_K, k: X32_SYSCALL_BIT, t: x32, f: ok }, { label: x32 });
    ops.push(ret({ kind: 'kill-thread', data: 0 }), { label: ok });
  }
  for (const e of f.entries)
    for (const name of e.names) {
      const nr = table[name];
      if (nr === undefined) continue; // a syscall of another ABI: not in this one's table
      const next = fresh('next');
      const body = fresh('body');
      ops.push({ jump: BPF_JEQ_K, k: nr, t: body, f: next }, { label: body });
      for (const alt of e.alternatives) {
        const failAlt = fresh('alt');
        for (const c of alt) {
          const ok = fresh('ok');
          ops.push(...compare(c, failAlt, ok), { label: ok });
        }
        ops.push(ret(e.action), { label: failAlt });
      }
      ops.push(ld(0), { label: next });
    }
  ops.push(ret(f.defaultAction));
  return assemble(ops);
}
