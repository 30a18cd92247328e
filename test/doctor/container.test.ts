/**
 * `aiospec doctor` inside a real container (runc, the bundle `--target oci` uses), and
 * under the seccomp filter runc compiles from the project's profiles: it must say that
 * aio-max-nr is the node's and read-only there, see only its own PID namespace's holders
 * (a context held on the host is counted in aio-nr, not listed), give the node's sysctl
 * command with the value the kernel's rule needs, and say what the filter does to
 * io_setup/io_destroy, naming the profile rule, and what it does to each of the six AIO
 * calls (io_pgetevents denied with EPERM while io_getevents is allowed is the inconsistency
 * that defeats libaio's ENOSYS fallback). Nothing of a container may be left.
 * Runs where runc can start a container as root; skipped elsewhere, saying why.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSeccompProfile, resolveSeccompProfile } from '../../model/index.js';
import { CONTAINER_CAPS } from '../../real/oci/bundle.js';
import { ociSeccomp } from '../../real/oci/seccomp-spec.js';
import type { SetupResult } from '../../real/protocol.js';
import { ociAvailable, ociCommand } from '../../real/targets/oci.js';
import { WorkerProcess } from '../../real/worker-process.js';
import { BIN } from '../support/cli.js';
import { nothingOfOciLeft } from '../support/oci-leftovers.js';
import { aioMaxNr } from '../support/real.js';
import { startedProcesses } from '../support/started.js';
import { step } from '../support/worker.js';

const WHY =
  process.platform !== 'linux'
    ? 'not Linux'
    : process.arch !== 'x64'
      ? 'not x86_64'
      : ociAvailable();
const PROFILES = resolve(import.meta.dirname, '../../fixtures/seccomp');
const profile = (name: string) => join(PROFILES, `${name}.json`);

/** The profile as runc is given it: converted as moby converts it, for the container's capabilities. */
function runcSeccomp(name: string) {
  const file = profile(name);
  const f = resolveSeccompProfile(parseSeccompProfile(readFileSync(file, 'utf8'), file), {
    arch: 'SCMP_ARCH_X86_64',
    caps: new Set(CONTAINER_CAPS),
    kernel: '6.18',
  });
  return ociSeccomp(f);
}

describe.skipIf(WHY !== null)(
  `aiospec doctor in a runc container${WHY ? ` (skipped: ${WHY})` : ''}`,
  () => {
    const started = startedProcesses();

    /** `aiospec doctor ...args` as pid 1 of a fresh container (under the profile `seccomp` names). */
    function doctorIn(seccomp: string | null, args: readonly string[]) {
      const l = ociCommand([process.execPath, BIN, 'doctor', ...args], {
        ...(seccomp ? { seccomp: runcSeccomp(seccomp) } : {}),
      });
      const p = started.child(spawn(l.command, [...l.args], { stdio: ['ignore', 'pipe', 'pipe'] }));
      let out = '';
      let err = '';
      p.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
      p.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
      return new Promise<{ code: number | null; out: string; err: string }>((done) =>
        p.on('close', (code) => done({ code, out, err })),
      );
    }

    async function doctorJsonIn(seccomp: string | null, args: readonly string[]) {
      const r = await doctorIn(seccomp, ['--json', ...args]);
      await nothingOfOciLeft();
      expect(r.err).toBe('');
      return { code: r.code, j: JSON.parse(r.out) };
    }

    describe('no profile, with a context held on the host', () => {
      let host: WorkerProcess;
      const HELD = 64;
      beforeAll(async () => {
        host = started.worker(await WorkerProcess.start());
        const s = (await step(host, { op: 'setup', nr: HELD, ctx: 'zero' })) as SetupResult;
        expect(s.ret).toBe(0);
      });
      afterAll(async () => host?.close());

      it("says aio-max-nr is the node's and read-only, lists only its namespace, and the sysctl for the node", async () => {
        const limit = aioMaxNr();
        const nr = Number(limit) + 1;
        const { code, j } = await doctorJsonIn(null, ['--nr-events', String(nr)]);
        expect(code).toBe(1);
        expect(j.where).toMatchObject({
          sysctlWritable: false,
          hostPidNamespace: false,
          procSysReadOnly: true,
        });
        // A sign of a container (which one depends on the machine: this one's / has a .dockerenv).
        expect(j.where.container).not.toBeNull();
        // The host worker's ring is not visible from the container, but its charge is in aio-nr.
        expect(j.holders).toEqual([]);
        expect(j.totals.chargeMax).toBe(0);
        expect(BigInt(j.aioNrAtScan)).toBeGreaterThanOrEqual(BigInt(HELD));
        expect(j.reconciliation).toBe('unseen');
        // fs/aio.c (v4.14+): EAGAIN when aio_nr + nr_events > aio_max_nr: it fits from aio-nr + nr.
        expect(j.request.verdict).toBe('alone-exceeds');
        const s = j.advice.sysctl;
        expect(BigInt(s.minimum)).toBe(BigInt(j.aioNr) + BigInt(nr));
        const rec = BigInt(s.recommended);
        expect(rec >= BigInt(s.minimum) && (rec & (rec - 1n)) === 0n).toBe(true);
        expect(s.commands[0]).toBe(`sysctl -w fs.aio-max-nr=${s.recommended}`);
        expect(s.where).toMatch(/^on the node \(the host\), not in this container/);
      }, 120_000);

      it('says so in words', async () => {
        const r = await doctorIn(null, ['--nr-events', String(Number(aioMaxNr()) + 1)]);
        await nothingOfOciLeft();
        expect(r.code).toBe(1);
        expect(r.out).toContain(
          `aio-max-nr        ${aioMaxNr()}: the node's limit, read-only in this container`,
        );
        expect(r.out).toMatch(/only the processes this PID namespace can see \(pid:\[\d+\]\)/);
        expect(r.out).toMatch(/\n {4}sysctl -w fs\.aio-max-nr=\d+\n/);
        expect(r.out).toContain('this process runs under no seccomp filter (Seccomp: 0)');
      }, 120_000);
    });

    it('under io-setup-eperm: io_setup blocked with EPERM, as the profile rule says; io_destroy allowed; the gate says no', async () => {
      const { code, j } = await doctorJsonIn('io-setup-eperm', [
        '--nr-events',
        '1',
        '--seccomp-profile',
        profile('io-setup-eperm'),
      ]);
      expect(code).toBe(1);
      expect(j.seccomp.mode).toBe(2);
      const [setup, destroy] = j.seccomp.observed;
      expect(setup).toMatchObject({ call: 'io_setup', kind: 'errno', errno: 'EPERM' });
      expect(setup.profile).toMatchObject({ matches: true, action: 'errno', errno: 'EPERM' });
      expect(setup.profile.rule).toContain('syscalls[0]');
      expect(destroy).toMatchObject({ call: 'io_destroy', kind: 'kernel', errno: 'EINVAL' });
      expect(destroy.profile).toMatchObject({ matches: true, action: 'allow' });
      expect(j.request.seccomp.rule).toContain('io-setup-eperm.json syscalls[0]');
    }, 120_000);

    it('under io-setup-kill-process: the probe child killed by SIGSYS, the doctor alive; not the eperm profile', async () => {
      const { code, j } = await doctorJsonIn('io-setup-kill-process', [
        '--nr-events',
        '1',
        '--seccomp-profile',
        profile('io-setup-eperm'),
      ]);
      expect(code).toBe(1);
      const [setup, destroy] = j.seccomp.observed;
      expect(setup).toMatchObject({ kind: 'killed', ret: null });
      expect(setup.profile.matches).toBe(false);
      expect(destroy.kind).toBe('kernel');
      // The calls: io_setup's child killed, the five others made in children of their own.
      expect(j.calls.map((c: { verdict: string }) => c.verdict)).toEqual([
        'killed',
        'allowed',
        'allowed',
        'allowed',
        'allowed',
        'allowed',
      ]);
      expect(j.inconsistencies).toEqual([]);
    }, 120_000);

    it('under io-setup-kill-process without a profile: the gate still says no, from what it saw', async () => {
      const r = await doctorIn('io-setup-kill-process', ['--nr-events', '1']);
      await nothingOfOciLeft();
      expect(r.code).toBe(1);
      expect(r.out).toContain('io_setup(1, &ctx) → the process was killed by SIGSYS');
      expect(r.out).toContain("this process's own seccomp filter stops io_setup(1)");
    }, 120_000);

    /** The verdict column of the text report's calls table, by call. */
    function verdictColumn(out: string): Record<string, string> {
      const lines = out.split('\n');
      const at = lines.findIndex((l) => l.startsWith('AIO calls'));
      return Object.fromEntries(
        lines.slice(at + 1, at + 7).map((l) => {
          const [call, ...rest] = l.trim().split(/\s{2,}/);
          return [call, rest[0]];
        }),
      );
    }

    const OTHERS_ALLOWED = {
      io_setup: 'allowed',
      io_destroy: 'allowed',
      io_submit: 'allowed',
      io_getevents: 'allowed',
      io_cancel: 'allowed',
    };

    it('under io-pgetevents-eperm: io_pgetevents seccomp EPERM, the rest allowed, and exactly the inconsistency line (exit 0)', async () => {
      const r = await doctorIn('io-pgetevents-eperm', []);
      await nothingOfOciLeft();
      expect(r.code, r.err).toBe(0);
      expect(verdictColumn(r.out)).toEqual({ ...OTHERS_ALLOWED, io_pgetevents: 'seccomp EPERM' });
      expect(r.out.split('\n').filter((l) => l.includes('inconsistent'))).toEqual([
        '  inconsistent: io_getevents allowed but io_pgetevents blocked with EPERM: libaio ≥ 0.3.113 will fail instead of falling back',
      ]);
      const { code, j } = await doctorJsonIn('io-pgetevents-eperm', []);
      expect(code).toBe(0);
      expect(j.calls[4]).toMatchObject({
        call: 'io_pgetevents',
        verdict: 'seccomp',
        errno: 'EPERM',
      });
      expect(j.inconsistencies).toHaveLength(1);
    }, 120_000);

    it('under io-pgetevents-enosys: seccomp ENOSYS (libaio falls back), nothing inconsistent', async () => {
      const r = await doctorIn('io-pgetevents-enosys', []);
      await nothingOfOciLeft();
      expect(r.code, r.err).toBe(0);
      expect(verdictColumn(r.out)).toEqual({ ...OTHERS_ALLOWED, io_pgetevents: 'seccomp ENOSYS' });
      expect(r.out).toContain('libaio falls back to io_getevents');
      expect(r.out).not.toContain('inconsistent');
    }, 120_000);
  },
);
