/**
 * The options a tree needs besides the guest's and the features' (TREE_OPTIONS):
 * set only where the tree's Kconfig shows the condition, so a Linux 6.1 tree
 * gets them and a 6.12 tree's option list, and with it the cache key of the
 * kernels built before these options existed, stays as it was.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildKey, wantedOptions } from '../../conformance/kernel/build.js';
import { treeOptions } from '../../conformance/kernel/config-options.js';
import type { SourceTree } from '../../conformance/kernel/source-tree.js';

const root = mkdtempSync(join(tmpdir(), 'aiospec-config-options-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Kconfig entries as Linux 6.1 has them (drivers/char, mm, kernel/rcu), abridged. */
const LINUX_6_1: Readonly<Record<string, string>> = {
  'drivers/char/Kconfig':
    'config RANDOM_TRUST_CPU\n\tbool "Initialize RNG using CPU RNG instructions"\n\tdefault y\n\nconfig RANDOM_TRUST_BOOTLOADER\n\tbool "Initialize RNG using bootloader-supplied seed"\n\tdefault y\n',
  'mm/Kconfig':
    'choice\n\tprompt "Choose SLAB allocator"\n\nconfig SLAB\n\tbool "SLAB"\n\nconfig SLUB\n\tbool "SLUB (Unqueued Allocator)"\n\nconfig SLOB\n\tdepends on EXPERT\n\tbool "SLOB (Simple Allocator)"\n\nendchoice\n',
  'kernel/rcu/Kconfig':
    'config SRCU\n\tbool\n\thelp\n\t  This option selects the sleepable version of RCU.\n',
};

/** The same files in 6.12: no RANDOM_TRUST_*, no SLOB, SRCU always built (no entry). */
const LINUX_6_12: Readonly<Record<string, string>> = {
  'drivers/char/Kconfig':
    'config TTY_PRINTK\n\ttristate "TTY driver to output user messages via printk"\n',
  'mm/Kconfig':
    'config SLUB\n\tdef_bool y\n\nconfig SLUB_TINY\n\tbool "Configure for minimal memory footprint"\n',
  'kernel/rcu/Kconfig': 'config TREE_SRCU\n\tdef_bool !TINY_RCU\n',
};

function tree(name: string, files: Readonly<Record<string, string>>): string {
  const dir = join(root, name);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  return dir;
}

const read = (files: Readonly<Record<string, string>>) => (file: string) => files[file] ?? '';

describe('options a tree needs (TREE_OPTIONS)', () => {
  it('a 6.1 tree: the random seeds trusted, SLUB over SLOB, no PTP', () => {
    expect(treeOptions(read(LINUX_6_1))).toEqual([
      ['RANDOM_TRUST_BOOTLOADER', 'y'],
      ['RANDOM_TRUST_CPU', 'y'],
      ['SLOB', 'n'],
      ['SLUB', 'y'],
      ['PTP_1588_CLOCK', 'n'],
    ]);
  });

  it('a 6.12 tree, or one without those files: none (a longer symbol with the same start does not count)', () => {
    expect(treeOptions(read(LINUX_6_12))).toEqual([]);
    expect(treeOptions(() => '')).toEqual([]);
    expect(treeOptions(read({ 'mm/Kconfig': 'config SLOB_DEPRECATED\n\tbool "SLOB"\n' }))).toEqual(
      [],
    );
  });

  it('come after the guest options and before the features, read from the tree on disk', () => {
    const src: SourceTree = {
      dir: tree('six-one', LINUX_6_1),
      source: { kind: 'dir', path: join(root, 'six-one') },
      label: 'six-one',
    };
    const wanted = wantedOptions(src, { base: 'small', faultInjection: true, noAio: false });
    const syms = wanted.map(([sym]) => sym);
    expect(syms.indexOf('SECCOMP')).toBeLessThan(syms.indexOf('RANDOM_TRUST_BOOTLOADER'));
    expect(syms.indexOf('PTP_1588_CLOCK')).toBeLessThan(syms.indexOf('FAILSLAB'));
    expect(syms.at(-1)).toBe('AIO');
  });

  it('leave the cache keys of the 6.12 kernels built before them unchanged', () => {
    // The keys meta.json recorded for these two builds (6.12.117-1~deb12u1, small base) when
    // they were made, before TREE_OPTIONS existed.
    const src: SourceTree = {
      dir: tree('six-twelve', LINUX_6_12),
      source: {
        kind: 'debian',
        version: '6.12',
        package: 'linux-source-6.12',
        packageVersion: '6.12.117-1~deb12u1',
      },
      label: 'debian-6.12',
    };
    expect(buildKey(src, { base: 'small', faultInjection: true, noAio: false })).toBe(
      '887240c8f74aac15',
    );
    expect(buildKey(src, { base: 'small', faultInjection: false, noAio: true })).toBe(
      '51c9ba636bc6a9f6',
    );
  });
});
