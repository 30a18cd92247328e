/**
 * The suites against kernels `aiospec kernel build` made, booted under UML
 * with `--target uml --kernel NAME`: with fault injection from Debian's 6.12
 * and 6.1 sources, and without AIO (6.12). What the guest reports about itself
 * (features detected inside it) decides the rules counted as reachable; on the
 * kernel without AIO the kernel's own ENOSYS is judged by the model's
 * kernel.no-aio rules, told apart from a seccomp filter's ENOSYS
 * (seccomp.errno). Each test needs its kernel in the cache and, when it is not
 * there, skips naming the command that builds it (.ci/run builds all three).
 */
import { describe, expect, it } from 'vitest';
import { type BuiltKernel, builtKernels } from '../../conformance/kernel/cache.js';
import { DESTROY_RULES, PROFILES, SETUP_RULES } from '../../model/index.js';
import { type CliOptions, nothingLeftBehind, runAiospec } from '../support/cli.js';
import { startedProcesses } from '../support/started.js';

const started = startedProcesses();

async function aiospec(args: readonly string[], opts: CliOptions = {}) {
  const r = await runAiospec(started, args, opts);
  await nothingLeftBehind(r);
  return r;
}

/**
 * The kernel built from Debian's linux-source-VERSION with these features, or
 * why the tests that need it are skipped.
 */
function needKernel(version: string, features: { faultInjection: boolean; aio: boolean }) {
  const kernel =
    process.platform !== 'linux'
      ? null
      : (builtKernels().find(
          (k) =>
            k.source.kind === 'debian' &&
            k.source.version === version &&
            k.features.faultInjection === features.faultInjection &&
            k.features.aio === features.aio,
        ) ?? null);
  const flags = `${features.faultInjection ? ' --fault-injection' : ''}${features.aio ? '' : ' --no-aio'}`;
  const skip =
    kernel === null
      ? ` (skipped: not built; aiospec kernel build --debian ${version}${flags} builds it)`
      : '';
  return { version, kernel, skip };
}

const FAULTS = [
  needKernel('6.12', { faultInjection: true, aio: true }),
  needKernel('6.1', { faultInjection: true, aio: true }),
];
const NO_AIO = needKernel('6.12', { faultInjection: false, aio: false });

/** The linux profile's rules that need this feature (from the rules' own metadata). */
function rulesNeeding(feature: string): string[] {
  const all = { ...SETUP_RULES, ...DESTROY_RULES } as Record<string, { needs?: readonly string[] }>;
  const p = PROFILES.linux;
  return [...p.setupRules, ...p.destroyRules].filter((id) => all[id]?.needs?.includes(feature));
}

interface Summary {
  target: string;
  diverged: number;
  inconclusive: number;
  kernel: { release: string; features: { faultInjection: boolean; aio: boolean } };
  coverage: { id: string; hits: number; unreachable?: string }[];
}

async function runOn(kernel: BuiltKernel, extra: readonly string[]): Promise<Summary> {
  const r = await aiospec([
    'run',
    '--target',
    'uml',
    '--kernel',
    kernel.name,
    '--seed=3',
    '--reporter',
    'json',
    ...extra,
  ]);
  expect(r.code, r.err).toBe(0);
  return JSON.parse(r.out) as Summary;
}

const coverageOf = (s: Summary, id: string) => s.coverage.find((c) => c.id === id);

for (const FAULT of FAULTS) {
  describe.skipIf(FAULT.kernel === null)(
    `Linux ${FAULT.version} with fault injection${FAULT.skip}`,
    () => {
      it('conforms, and the guest reports fault injection: rules needing it are no longer said unreachable', async () => {
        const s = await runOn(FAULT.kernel!, ['--suite', 'table']);
        expect(s).toMatchObject({ target: 'uml', diverged: 0 });
        expect(s.kernel.release).toBe(FAULT.kernel!.release);
        expect(s.kernel.release.startsWith(`${FAULT.version}.`)).toBe(true);
        expect(s.kernel.features).toEqual({ faultInjection: true, aio: true });
        const needing = rulesNeeding('fault-injection');
        expect(needing.length).toBeGreaterThan(0);
        for (const id of needing) expect(coverageOf(s, id)?.unreachable ?? '').not.toMatch(/lacks/);
      });

      it('runs the faults suite and conforms, every ENOMEM site of io_setup compared with the kernel', async () => {
        const s = await runOn(FAULT.kernel!, ['--suite', 'faults']);
        expect(s).toMatchObject({ target: 'uml', diverged: 0 });
        expect(s.kernel.features.faultInjection).toBe(true);
        // The model's allocation-failure sites: each must have decided a step the kernel's ENOMEM matched.
        for (const id of ['setup.kmem', 'setup.ring-pages', 'setup.table-grow'])
          expect(coverageOf(s, id)?.hits, id).toBeGreaterThan(0);
      }, 120_000);
    },
  );
}

describe.skipIf(NO_AIO.kernel === null)(`a kernel without AIO${NO_AIO.skip}`, () => {
  it("conforms: the kernel's own ENOSYS is kernel.no-aio, a filter's is seccomp.errno", async () => {
    const s = await runOn(NO_AIO.kernel!, ['--runs', '300']);
    expect(s).toMatchObject({ target: 'uml', diverged: 0 });
    expect(s.kernel.features).toEqual({ faultInjection: false, aio: false });
    const needing = rulesNeeding('no-aio');
    expect(needing.length).toBe(2);
    for (const id of needing) expect(coverageOf(s, id)?.hits).toBeGreaterThan(0);
    // The table's sandboxes answer ENOSYS and EPERM from their filters, which run before the kernel.
    expect(coverageOf(s, 'seccomp.errno')?.hits).toBeGreaterThan(0);
  });

  it('says so in the human report', async () => {
    const r = await aiospec([
      'run',
      '--target',
      'uml',
      '--kernel',
      NO_AIO.kernel!.name,
      '--suite',
      'table',
      '--seed=3',
    ]);
    expect(r.code, r.err).toBe(0);
    expect(r.out.split('\n')[0]).toMatch(/\(no AIO: CONFIG_AIO=n[,)]/);
    // The small config `aiospec kernel build` starts from has no block layer either (# CONFIG_BLOCK is not set).
    expect(r.out.split('\n')[0]).toMatch(/no block layer: CONFIG_BLOCK=n\)/);
    // Covered, so not a line of the uncovered list (other rules' reasons may name it: shadowed by it).
    expect(r.out).not.toMatch(/^\s*kernel\.no-aio\s/m);
    expect(r.out).toMatch(
      /^\s*setup\.ok\s+kernel\.no-aio decides every call on this target before it$/m,
    );
  });
});

const DEBIAN = builtKernels().find((k) => k.source.kind === 'debian') ?? null;

describe.skipIf(DEBIAN === null)(
  `the kernel cache${DEBIAN ? '' : ' (skipped: no kernel built from a Debian package; aiospec kernel build --debian 6.12 builds one)'}`,
  () => {
    it('builds nothing when asked again for a Debian kernel it holds', async () => {
      const k = DEBIAN!;
      const version = k.source.kind === 'debian' ? k.source.version : '';
      const flags = [
        ...(k.features.faultInjection ? ['--fault-injection'] : []),
        ...(k.features.aio ? [] : ['--no-aio']),
      ];
      const r = await aiospec([
        'kernel',
        'build',
        '--debian',
        version,
        '--config',
        k.base,
        '--name',
        k.name,
        ...flags,
      ]);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toContain(`kernel ${k.name}: Linux ${k.release}`);
      expect(r.out).toContain('already built');
    });
  },
);
