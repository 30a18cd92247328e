/**
 * The family suites recorded under runsc (fixtures/gvisor-family.trace.jsonl:
 * `aiospec record --target gvisor --suite family --runs 12500 --sequences 900
 * --seed=20261125`), replayed with no kernel: the gvisor profile agrees with
 * every family case, and the linux profile diverges where gVisor is known to
 * differ (aio-family.md §8).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { judgeTrace } from '../../conformance/trace/judge-trace.js';
import { replayTrace } from '../../conformance/trace/replay.js';

const text = readFileSync(
  resolve(import.meta.dirname, '../../fixtures/gvisor-family.trace.jsonl'),
  'utf8',
);

describe('fixture gvisor-family.trace.jsonl', () => {
  it('was recorded under runsc with the three family suites and conforms to the gvisor profile', async () => {
    const { header, summary } = await replayTrace(text);
    expect(header).toMatchObject({ target: { kind: 'gvisor' }, profile: 'gvisor' });
    expect(Object.keys(summary.suites).sort()).toEqual([
      'family-props',
      'family-stateful',
      'family-table',
    ]);
    expect(summary.cases).toBeGreaterThan(400);
    expect(summary.diverged).toBe(0);
    expect(summary.inconclusive).toBe(0);
  });

  it('reaches the gVisor rules of the family, each judged against runsc', () => {
    const rules = new Set(
      judgeTrace(text).verdicts.flatMap((v) => v.steps.map((s) => String(s.rule))),
    );
    for (const id of [
      'gvisor.iocb-queued',
      'gvisor.iocb-opcode',
      'gvisor.iocb-iov-len',
      'gvisor.iocb-buffer',
      'gvisor.cancel-enosys',
      'gvisor.pgetevents-enosys',
      'gvisor.getevents-timespec',
      // events NULL or read-only with a completion in flight: runsc had it landed, popped and lost
      'getevents.events-fault',
    ])
      expect(rules).toContain(id);
  });

  it('diverges from the linux profile where gVisor differs', async () => {
    const { summary } = await replayTrace(text, { profile: 'linux' });
    const kinds = summary.divergences.map((d) => d.kind);
    const has = (re: RegExp) =>
      expect(
        kinds.some((k) => re.test(k)),
        String(re),
      ).toBe(true);
    has(/^submit:iocb\.R7\.rw:.*ring/); // the ring is never updated
    has(/^submit:iocb\.P8\.opcode:.*errno:EINVAL\/null/); // NOOP accepted
    has(/^submit:iocb\.Q3\.poll:ret,errno.*:null\/EINVAL/); // POLL refused
    has(/^cancel:.*\/ENOSYS$/);
    has(/^pgetevents:.*\/ENOSYS$/);
    has(/^submit:iocb\.R3\.access-mode:ret,errno:EBADF\/null/); // the error comes in the event
  });
});
