/**
 * Traces recorded from three real systems — this project's reference host
 * (Linux 6.18), Linux 6.1 under user-mode Linux, and gVisor (runsc) — replayed
 * against the model. They need no kernel, so the model is checked against all
 * three even on a machine without AIO.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { replayTrace } from '../../conformance/trace/replay.js';

const fixture = (name: string) =>
  readFileSync(resolve(import.meta.dirname, '../../fixtures', name), 'utf8');

describe.each([
  ['host-linux.trace.jsonl', 'host', 'linux', /^6\.18\./],
  ['uml-linux-6.1.trace.jsonl', 'uml', 'linux', /^6\.1\./],
  ['gvisor.trace.jsonl', 'gvisor', 'gvisor', /^4\.4\.0$/],
  ['oci-max128.trace.jsonl', 'oci', 'linux', /^6\.18\./],
])('fixture %s', (file, target, profile, release) => {
  it(`was recorded on ${target} and conforms to the ${profile} profile`, async () => {
    const { header, summary } = await replayTrace(fixture(file));
    expect(header).toMatchObject({ target: { kind: target }, profile });
    expect(header.kernel.release).toMatch(release);
    expect(summary.cases).toBeGreaterThan(600);
    expect(summary.diverged).toBe(0);
    expect(summary.inconclusive).toBe(0);
    expect(summary.rulesCovered).toBeGreaterThan(5);
  });
});

describe('the family fixture, recorded on the host with the three family suites', () => {
  it('conforms: io_submit, io_getevents, io_pgetevents, io_cancel and user-space reaping, with the family rules covered', async () => {
    const { header, summary } = await replayTrace(fixture('host-family.trace.jsonl'));
    expect(header).toMatchObject({ target: { kind: 'host' }, profile: 'linux' });
    expect(header.kernel.release).toMatch(/^6\.18\./);
    expect(summary.diverged).toBe(0);
    expect(summary.inconclusive).toBe(0);
    expect(Object.keys(summary.suites).sort()).toEqual([
      'family-props',
      'family-stateful',
      'family-table',
    ]);
    const hit = new Set(summary.coverage.filter((c) => c.hits > 0).map((c) => c.id));
    for (const id of [
      'iocb.P8.opcode',
      'iocb.R7.rw',
      'cancel.in-progress',
      'pgetevents.sigsetsize',
    ])
      expect(hit, id).toContain(id);
  });

  it('diverges when replayed against another profile (the trace is evidence, not decoration)', async () => {
    const { summary } = await replayTrace(fixture('host-family.trace.jsonl'), {
      profile: 'gvisor',
    });
    expect(summary.diverged).toBeGreaterThan(100);
  });
});

describe('the runc fixture, recorded under a profile refusing io_setup with nr_events above 128', () => {
  it('carries its profile, and its worker ran under a filter as pid 1 of a container', async () => {
    const text = fixture('oci-max128.trace.jsonl');
    const { header } = await replayTrace(text);
    expect(header.seccompProfile?.source).toBe('fixtures/seccomp/io-setup-max128.json');
    const main = text
      .split('\n')
      .map((l) => (l ? JSON.parse(l) : null))
      .find((l) => l?.t === 'worker' && l.worker === 'main');
    expect(main.host).toMatchObject({ pid: 1, seccompMode: 2 });
  });

  it('diverges when replayed without the profile (the filter, not the kernel, refused those calls)', async () => {
    const lines = fixture('oci-max128.trace.jsonl').split('\n');
    const { seccompProfile: _dropped, ...header } = JSON.parse(lines[0]!);
    const { summary } = await replayTrace([JSON.stringify(header), ...lines.slice(1)].join('\n'));
    expect(summary.diverged).toBeGreaterThan(0);
  });
});

describe('the fixtures tell the kernels apart', () => {
  it("gVisor's trace diverges from the linux profile, Linux's from the gvisor one", async () => {
    expect(
      (await replayTrace(fixture('gvisor.trace.jsonl'), { profile: 'linux' })).summary.diverged,
    ).toBeGreaterThan(0);
    expect(
      (await replayTrace(fixture('uml-linux-6.1.trace.jsonl'), { profile: 'gvisor' })).summary
        .diverged,
    ).toBeGreaterThan(0);
  });

  it('Linux 6.1 in the v3.12..v4.13 profile diverges on the aio-nr charge', async () => {
    const { summary } = await replayTrace(fixture('uml-linux-6.1.trace.jsonl'), {
      profile: 'linux-3.12',
    });
    const fields = summary.divergences.flatMap((d) =>
      d.differences.flatMap((x) => x.diffs.map((y) => y.field)),
    );
    expect(fields).toContain('aioNrDelta');
  });
});
