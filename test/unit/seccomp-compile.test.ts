/**
 * The BPF the worker installs, held against the model: for random arguments,
 * running the compiled program (as the kernel's interpreter would) gives the
 * action and data the model's evaluation of the same profile gives.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  actionValue,
  CMP_OPS,
  runSeccompFilter,
  type SeccompFilter,
  SYSCALLS_X86_64,
} from '../../model/index.js';
import { runFilter } from '../../real/seccomp-bpf.js';
import { compileFilter } from '../../real/seccomp-compile.js';
import { filterOf } from '../model/seccomp-helpers.js';

const X86_64 = 0xc000_003e;
const edges = [
  0n,
  1n,
  127n,
  128n,
  129n,
  0xffff_ffffn,
  0x1_0000_0000n,
  0x1_0000_0080n,
  (1n << 64n) - 1n,
];
const u64 = fc.oneof(fc.constantFrom(...edges), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }));

describe('a profile compiled to BPF', () => {
  it('decides io_setup as the model does, for every comparison, at 64-bit edges', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CMP_OPS),
        u64,
        u64,
        fc.array(u64, { minLength: 2, maxLength: 2 }),
        fc.integer({ min: 0, max: 1 }),
        (op, value, valueTwo, args, index) => {
          // Built as data: JSON cannot carry every u64 exactly.
          const f: SeccompFilter = {
            source: 'prop',
            arch: 'SCMP_ARCH_X86_64',
            defaultAction: { kind: 'allow', data: 0 },
            entries: [
              {
                label: 'syscalls[0]',
                names: ['io_setup'],
                action: { kind: 'errno', data: 1 },
                alternatives: [[{ index, op, value, valueTwo }]],
              },
            ],
          };
          const prog = compileFilter(f, X86_64, SYSCALLS_X86_64, true);
          const model = runSeccompFilter(f, 'io_setup', args);
          expect(runFilter(prog, { nr: 206, arch: X86_64, args })).toBe(actionValue(model.action));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("runs Docker's default profile shape: allow lists, masked clone flags, other ABIs' names skipped", () => {
    const f = filterOf({
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 1,
      syscalls: [
        { names: ['read', 'write', 'io_setup', 'chown32', '_llseek'], action: 'SCMP_ACT_ALLOW' },
        {
          names: ['clone'],
          action: 'SCMP_ACT_ALLOW',
          args: [{ index: 0, value: 2114060288, op: 'SCMP_CMP_MASKED_EQ' }],
        },
        { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
      ],
    });
    const prog = compileFilter(f, X86_64, SYSCALLS_X86_64, true);
    const run = (nr: number, args: bigint[] = []) => runFilter(prog, { nr, arch: X86_64, args });
    expect(run(206)).toBe(0x7fff_0000); // io_setup allowed
    expect(run(207)).toBe(0x0005_0001); // io_destroy: the default, EPERM
    expect(run(56, [0x11n])).toBe(0x7fff_0000); // clone without namespace flags
    expect(run(56, [0x1000_0000n])).toBe(0x0005_0001); // clone(CLONE_NEWUSER)
    expect(run(435)).toBe(0x0005_0026); // clone3: ENOSYS
    expect(run(206 | 0x4000_0000)).toBe(0); // an x32 number: bad-arch, KILL_THREAD
    expect(runFilter(prog, { nr: 206, arch: 0x4000_0003 })).toBe(0); // i386: bad-arch
  });

  // The project ships no copy of Docker's profile: a user's copy is named by AIOSPEC_DOCKER_PROFILE.
  const file = process.env.AIOSPEC_DOCKER_PROFILE;
  it.skipIf(!file)(
    `compiles a real multi-architecture profile (AIOSPEC_DOCKER_PROFILE) as the model reads it${file ? '' : ' (skipped: AIOSPEC_DOCKER_PROFILE names no copy of a profile; the project ships none)'}`,
    () => {
      if (!file) throw new Error('unreachable');
      const f = filterOf(JSON.parse(readFileSync(file, 'utf8')));
      const prog = compileFilter(f, X86_64, SYSCALLS_X86_64, true);
      expect(prog.length).toBeLessThan(4096);
      for (const [name, nr] of Object.entries(SYSCALLS_X86_64))
        expect(runFilter(prog, { nr, arch: X86_64, args: [0n, 0n] }), name).toBe(
          actionValue(runSeccompFilter(f, name, [0n, 0n]).action),
        );
    },
  );
});
