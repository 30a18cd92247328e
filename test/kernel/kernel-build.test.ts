/**
 * `aiospec kernel build --source DIR` and `aiospec kernel list` end to end,
 * against a stand-in source tree whose Makefile and scripts/config do what
 * the kernel's do to the files the command reads (.config, linux,
 * kernelrelease), in a second or so: configuring, checking what Kconfig
 * accepted, building, the cache entry, reuse, and failures naming their log.
 * The real kernels are built and booted in uml-kernels.test.ts.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN } from '../support/cli.js';
import { expectOneLine } from '../support/one-line.js';

const root = mkdtempSync(join(tmpdir(), 'aiospec-kernel-build-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/**
 * A tree as `make ARCH=um O=OUT target` sees it. scripts/config writes each
 * option as asked unless REFUSE names it (Kconfig dropping an option whose
 * dependency is missing); `linux` fails when FAIL is set, and with SLOW
 * compiles 30 more objects over 1.5 s (long enough for several progress updates).
 */
function fakeTree(
  name: string,
  opts: { refuse?: string; fail?: boolean; slow?: boolean } = {},
): string {
  const dir = join(root, name);
  for (const d of ['arch/um', 'fs', 'scripts']) mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(join(dir, 'Kconfig'), '');
  writeFileSync(join(dir, 'arch/um/Kconfig'), '');
  writeFileSync(join(dir, 'fs/aio.c'), '');
  const slow = opts.slow
    ? '\t@for i in $$(seq 30); do echo "  CC      kernel/f$$i.o"; sleep 0.05; done\n'
    : '';
  const linux = opts.fail
    ? "\t@echo '  CC      fs/aio.o'\n\t@echo 'fs/aio.c:12:3: error: expected ; before }' >&2\n\t@exit 2\n"
    : "\t@echo '  CC      fs/aio.o'\n\t@echo '  CC      mm/slub.o'\n\t@echo '  LD      vmlinux'\n\t@printf '#!/bin/sh\\nexit 0\\n' > $(O)/linux\n\t@chmod +x $(O)/linux\n\t@echo x >> $(O)/compiled\n";
  writeFileSync(
    join(dir, 'Makefile'),
    `tinyconfig defconfig:\n\t@mkdir -p $(O)\n\t@echo '# $@' > $(O)/.config\n\t@echo x >> $(O)/configured\nolddefconfig:\n\t@true\nlinux:\n${slow}${linux}kernelrelease:\n\t@echo 6.99.0-stand-in\n`,
  );
  const config = `#!/bin/sh
while [ $# -gt 0 ]; do
  case $1 in
  --file) f=$2; shift 2;;
  --enable) [ "$2" = "${opts.refuse ?? ''}" ] || echo "CONFIG_$2=y" >> "$f"; shift 2;;
  --disable) [ "$2" = "${opts.refuse ?? ''}" ] && echo "CONFIG_$2=y" >> "$f" || echo "# CONFIG_$2 is not set" >> "$f"; shift 2;;
  *) exit 1;;
  esac
done
`;
  writeFileSync(join(dir, 'scripts/config'), config);
  chmodSync(join(dir, 'scripts/config'), 0o755);
  return dir;
}

const cache = join(root, 'cache');

/**
 * A failed build: exit 2, and its last line on stderr says why (the lines
 * before it are the progress shown while it ran, one per phase off a terminal).
 */
function expectFailure(r: { code: number | null; err: string }, message: RegExp): void {
  expect(r.code, r.err).toBe(2);
  const lines = r.err.trim().split('\n');
  expect(lines.at(-1)).toMatch(message);
  expect(lines.slice(0, -1).every((l) => l.startsWith('kernel '))).toBe(true);
  expect(r.err).not.toMatch(/\n\s+at /);
}

function aiospec(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, XDG_CACHE_HOME: cache },
  });
  return {
    status: r.status,
    code: r.status,
    out: r.stdout,
    err: r.stderr,
    stdout: r.stdout,
    stderr: r.stderr,
  };
}

describe('aiospec kernel build --source', () => {
  it('configures, builds and records a kernel that list shows with its features', () => {
    const tree = fakeTree('tree-a', { slow: true });
    const r = aiospec(
      'kernel',
      'build',
      '--source',
      tree,
      '--fault-injection',
      '--no-aio',
      '--jobs',
      '2',
    );
    expect(r.status, r.stderr).toBe(0);
    // Off a terminal: one line per phase, not one per object.
    expect(
      r.stderr
        .trim()
        .split('\n')
        .map((l) => /^kernel [\w.+-]+: (\w+)/.exec(l)?.[1]),
    ).toEqual(['configuring', 'compiling', 'installing']);
    expect(r.stdout).toContain(
      'kernel tree-a-fault-noaio: Linux 6.99.0-stand-in (fault injection, no AIO)',
    );
    const dir = join(cache, 'aiospec/kernels/tree-a-fault-noaio');
    const config = readFileSync(join(dir, 'build/.config'), 'utf8');
    expect(config).toMatch(/^# tinyconfig$/m); // the small base by default
    expect(config).toMatch(/^CONFIG_FAILSLAB=y$/m);
    expect(config).toMatch(/^# CONFIG_AIO is not set$/m);
    expect(config).toMatch(/^CONFIG_EXPERT=y$/m);
    expect(existsSync(join(dir, 'linux'))).toBe(true);

    const list = aiospec('kernel', 'list', '--json');
    expect(list.status).toBe(0);
    const [k] = JSON.parse(list.stdout);
    expect(k).toMatchObject({
      name: 'tree-a-fault-noaio',
      path: join(dir, 'linux'),
      release: '6.99.0-stand-in',
      features: { faultInjection: true, aio: false },
      source: { kind: 'dir', path: tree },
      base: 'small',
      objects: 32,
    });
    expect(aiospec('kernel', 'list').stdout).toMatch(
      /^tree-a-fault-noaio {2}Linux 6\.99\.0-stand-in \(fault injection, no AIO\)/,
    );
  });

  it('builds a tree again incrementally without configuring it again; other options configure anew', () => {
    const tree = fakeTree('tree-b');
    const dir = join(cache, 'aiospec/kernels/tree-b');
    const count = (f: string) => readFileSync(join(dir, 'build', f), 'utf8').split('\n').length - 1;
    expect(aiospec('kernel', 'build', '--source', tree).status).toBe(0);
    expect(aiospec('kernel', 'build', '--source', tree).status).toBe(0);
    expect([count('configured'), count('compiled')]).toEqual([1, 2]);
    expect(
      aiospec('kernel', 'build', '--source', tree, '--config', 'defconfig', '--name', 'tree-b')
        .status,
    ).toBe(0);
    expect(count('configured')).toBe(2);
    expect(readFileSync(join(dir, 'build/.config'), 'utf8')).toMatch(/^# defconfig$/m);
  });

  it('starts a new kernel from the objects of one built from the same tree, then configures and builds it', () => {
    const tree = fakeTree('tree-e');
    expect(aiospec('kernel', 'build', '--source', tree).status).toBe(0);
    const r = aiospec('kernel', 'build', '--source', tree, '--no-aio');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('kernel tree-e-noaio: copying the objects of tree-e');
    const build = join(cache, 'aiospec/kernels/tree-e-noaio/build');
    // One line from the copied build, one from its own; configured anew (tree-e's line and its own).
    expect(readFileSync(join(build, 'compiled'), 'utf8')).toBe('x\nx\n');
    expect(readFileSync(join(build, 'configured'), 'utf8')).toBe('x\nx\n');
    expect(readFileSync(join(build, '.config'), 'utf8')).toMatch(/^# CONFIG_AIO is not set$/m);
  });

  it('fails in one line naming the option Kconfig refused and the log', () => {
    const r = aiospec(
      'kernel',
      'build',
      '--source',
      fakeTree('tree-c', { refuse: 'AIO' }),
      '--no-aio',
    );
    expectFailure(r, /Kconfig did not accept CONFIG_AIO=n/);
    expect(r.stderr).toContain(join(cache, 'aiospec/kernels/tree-c-noaio/build.log'));
    expect(existsSync(join(cache, 'aiospec/kernels/tree-c-noaio/meta.json'))).toBe(false);
  });

  it('fails in one line with the compiler error and the log that has it all', () => {
    const r = aiospec('kernel', 'build', '--source', fakeTree('tree-d', { fail: true }));
    expectFailure(r, /fs\/aio\.c:12:3: error/);
    const line = r.stderr;
    expect(line).toContain('fs/aio.c:12:3: error: expected ; before }');
    const log = join(cache, 'aiospec/kernels/tree-d/build.log');
    expect(line).toContain(`full log: ${log}`);
    expect(readFileSync(log, 'utf8')).toContain('  CC      fs/aio.o');
  });
});

describe('aiospec kernel: usage errors (one line, exit 2)', () => {
  it.each([
    [['kernel'], /missing subcommand/],
    [['kernel', 'make'], /"make" is not a subcommand/],
    [['kernel', 'build'], /exactly one of --debian VERSION and --source DIR/],
    [['kernel', 'build', '--debian', '6.12', '--source', '/'], /exactly one of/],
    [['kernel', 'build', '--debian', 'latest'], /--debian: "latest" is not a kernel version/],
    [['kernel', 'build', '--source', '/nonexistent'], /--source: \/nonexistent is not a directory/],
    [['kernel', 'build', '--source', '/'], /--source: \/ is not a Linux source tree/],
    [
      ['kernel', 'build', '--debian', '6.12', '--config', 'huge'],
      /--config: "huge" is not one of small, defconfig/,
    ],
    [
      ['kernel', 'build', '--debian', '6.12', '--name', '../x'],
      /--name: "..\/x" is not a kernel name/,
    ],
    [
      ['run', '--target', 'uml', '--kernel', 'nothing-here'],
      /--kernel: no kernel named "nothing-here"/,
    ],
    [['run', '--target', 'host', '--kernel', '/bin/true'], /--kernel: only for --target uml/],
  ])('%j', (args, message) => {
    expectOneLine(aiospec(...args), 2, message);
  });
});
