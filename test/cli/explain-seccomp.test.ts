/** `aiospec explain --seccomp-profile`: the profile's rule named in the outcome; malformed profiles refused in one line. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectOneLine } from '../support/one-line.js';

const BIN = resolve(import.meta.dirname, '../../bin/aiospec');
const dir = mkdtempSync(join(tmpdir(), 'aiospec-explain-seccomp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}

function aiospec(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const max128 = file('max128.json', {
  defaultAction: 'SCMP_ACT_ALLOW',
  syscalls: [
    {
      names: ['io_setup'],
      action: 'SCMP_ACT_ERRNO',
      errnoRet: 1,
      args: [{ index: 0, value: 128, op: 'SCMP_CMP_GT' }],
    },
  ],
});

describe('aiospec explain --seccomp-profile', () => {
  it('names the rule that denies nr_events 129, and lets 128 through', () => {
    const r = aiospec('explain', '--seccomp-profile', max128, '--nr-events', '129', '--json');
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({ errno: 'EPERM', rule: 'seccomp.errno', ret: -1 });
    expect(j.seccomp.rule).toBe(
      `${max128} syscalls[0] (io_setup: SCMP_ACT_ERRNO errnoRet 1 if args match)`,
    );
    const text = aiospec('explain', '--seccomp-profile', max128, '--nr-events', '129');
    expect(text.out).toContain('profile rule: ');
    const ok = JSON.parse(
      aiospec('explain', '--seccomp-profile', max128, '--nr-events', '128', '--json').out,
    );
    expect([ok.errno, ok.rule, ok.seccomp.rule]).toEqual([
      null,
      'setup.ok',
      `${max128} defaultAction (SCMP_ACT_ALLOW)`,
    ]);
  });

  it('says a KILL_PROCESS rule kills the caller by SIGSYS', () => {
    const kill = file('kill.json', {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['io_setup'], action: 'SCMP_ACT_KILL_PROCESS' }],
    });
    const r = aiospec('explain', '--seccomp-profile', kill, '--nr-events', '1');
    expect(r.code, r.err).toBe(0);
    expect(r.out.split('\n')[0]).toBe(
      'io_setup(1, &ctx): never returns: killed by SIGSYS (the whole process)',
    );
  });

  it.each([
    ['bad JSON', '{"defaultAction": ', /: not JSON/],
    [
      'unknown action',
      { defaultAction: 'SCMP_ACT_MAYBE' },
      /defaultAction: "SCMP_ACT_MAYBE" is not a seccomp action/,
    ],
    [
      'unknown syscall name',
      {
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [{ names: ['io_setupp'], action: 'SCMP_ACT_ERRNO' }],
      },
      /syscalls\[0\]\.names: "io_setupp" is not a syscall name/,
    ],
    [
      'wrong arch',
      { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_VAX'] },
      /architectures: "SCMP_ARCH_VAX" is not a libseccomp architecture/,
    ],
  ])('refuses a profile with %s in one line, exit 2', (name, content, message) => {
    const p = file(`${name.replace(/ /g, '-')}.json`, content);
    expectOneLine(aiospec('explain', '--seccomp-profile', p, '--nr-events', '1'), 2, message);
  });
});
