/**
 * Traces recorded on Linux 6.12 under user-mode Linux, on the two kernels
 * `aiospec kernel build` makes (--fault-injection, --no-aio), and on 6.1 with
 * fault injection (its faults suite), replayed with no kernel: the
 * fault-injection ones hold the faults suite's walks, so the ENOMEM paths are
 * judged against real kernels' answers in every npm test.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { replayTrace } from '../../conformance/trace/replay.js';
import { SETUP_RULES } from '../../model/index.js';

const fixture = (name: string) =>
  readFileSync(resolve(import.meta.dirname, '../../fixtures', name), 'utf8');
const FAULT = 'uml-6.12-fault.trace.jsonl';
const NOAIO = 'uml-6.12-noaio.trace.jsonl';
const FAULT_61 = 'uml-6.1-fault.trace.jsonl';

interface FaultResult {
  ret: number;
  errno: number;
  faultInjected?: boolean;
  rings?: { before: number; after: number };
}

/** The trace's lines, with `edit` applied to each io_setup result made under fault injection. */
function editFaultResults(text: string, edit: (r: FaultResult) => boolean): [string, number] {
  let edits = 0;
  const lines = text.split('\n').map((l) => {
    if (!l.includes('"faultInjected"')) return l;
    const o = JSON.parse(l) as { report?: { results?: FaultResult[] } };
    for (const r of o.report?.results ?? []) if (r.faultInjected !== undefined && edit(r)) edits++;
    return JSON.stringify(o);
  });
  return [lines.join('\n'), edits];
}

const EFAULT = 14;
/** A call whose final write faulted (EFAULT) after an allocation failed, and whose ring stayed mapped. */
const ringStayed = (r: FaultResult) =>
  r.faultInjected === true &&
  r.ret === -1 &&
  r.errno === EFAULT &&
  r.rings !== undefined &&
  r.rings.after > r.rings.before;

const covered = (s: { coverage: readonly { id: string; hits: number }[] }) =>
  s.coverage.filter((c) => c.hits > 0).map((c) => c.id);

describe('the Linux 6.12 fixtures', () => {
  it.each([
    [FAULT, { faultInjection: true, aio: true }],
    [NOAIO, { faultInjection: false, aio: false }],
  ])(
    '%s was recorded on 6.12 with the features of its kernel and conforms to linux',
    async (file, features) => {
      const { header, summary } = await replayTrace(fixture(file));
      expect(header).toMatchObject({ target: { kind: 'uml' }, profile: 'linux' });
      expect(header.kernel.release).toMatch(/^6\.12\./);
      expect(summary.kernel.features).toEqual(features);
      expect(summary.diverged).toBe(0);
      expect(summary.inconclusive).toBe(0);
    },
  );

  it('the fault-injection fixture reaches the three allocation failures, each compared with the kernel', async () => {
    const { summary } = await replayTrace(fixture(FAULT));
    expect(summary.suites.faults?.cases).toBeGreaterThan(50);
    expect(covered(summary)).toEqual(
      expect.arrayContaining(['setup.kmem', 'setup.ring-pages', 'setup.table-grow']),
    );
  });

  it('the no-AIO fixture covers the kernel’s own ENOSYS', async () => {
    const { summary } = await replayTrace(fixture(NOAIO));
    expect(covered(summary)).toEqual(
      expect.arrayContaining(['kernel.no-aio', 'kernel.no-aio-destroy']),
    );
  });
});

describe('the faults walks catch a model that is wrong about allocation failures', () => {
  it('a model whose allocations never fail diverges (ENOMEM where it predicts success)', async () => {
    const never = { decides: () => false };
    const rules = {
      setup: {
        ...SETUP_RULES,
        'setup.kmem': { ...SETUP_RULES['setup.kmem'], ...never },
        'setup.ring-pages': { ...SETUP_RULES['setup.ring-pages'], ...never },
        'setup.table-grow': { ...SETUP_RULES['setup.table-grow'], ...never },
      },
    };
    const { summary } = await replayTrace(fixture(FAULT), { rules });
    expect(summary.diverged).toBeGreaterThan(0);
    expect(summary.suites.faults?.diverged).toBe(summary.diverged);
  });

  it('a model that fails allocations before the argument checks diverges on the refused calls', async () => {
    const { 'setup.kmem': kmem, ...rest } = SETUP_RULES;
    const rules = {
      setup: {
        ...rest,
        'setup.kmem': kmem,
        // The argument checks never decide: the armed allocation would be reached, and fail.
        'setup.nr-zero': { ...SETUP_RULES['setup.nr-zero'], decides: () => false },
        'setup.ctx-nonzero': { ...SETUP_RULES['setup.ctx-nonzero'], decides: () => false },
      },
    };
    const { summary } = await replayTrace(fixture(FAULT), { rules });
    expect(summary.suites.faults?.diverged).toBeGreaterThan(0);
  });

  it('an edited trace where a failed call left its ring mapped diverges', async () => {
    const lines = fixture(FAULT).split('\n');
    let edited = false;
    const out = lines.map((l) => {
      if (edited || !l.includes('"faultInjected":true')) return l;
      const o = JSON.parse(l);
      const r = o.report.results.find(
        (x: { faultInjected?: boolean; ret: number }) => x.faultInjected && x.ret === -1,
      );
      if (!r) return l;
      r.rings.after = r.rings.before + 1;
      edited = true;
      return JSON.stringify(o);
    });
    expect(edited).toBe(true);
    const { summary } = await replayTrace(out.join('\n'));
    const fields = summary.divergences.flatMap((d) =>
      d.differences.flatMap((x) => x.diffs.map((y) => y.field)),
    );
    expect(fields).toContain('ringsAdded');
  });
});

describe('the Linux 6.1 fault-injection fixture', () => {
  it('was recorded on 6.1 with fault injection and conforms to linux', async () => {
    const { header, summary } = await replayTrace(fixture(FAULT_61));
    expect(header.kernel.release).toMatch(/^6\.1\./);
    expect(summary.kernel.features).toEqual({ faultInjection: true, aio: true });
    expect(summary.suites.faults?.cases).toBeGreaterThan(50);
    expect(summary.diverged).toBe(0);
    expect(summary.inconclusive).toBe(0);
  });

  it("holds 6.1's own answer: an EFAULT whose teardown failed an allocation and left the ring mapped", () => {
    const [, found] = editFaultResults(fixture(FAULT_61), ringStayed);
    expect(found).toBeGreaterThan(0);
  });

  it('diverges when such a call says the failure was never reached (only a reached failure may leave a ring)', async () => {
    const [edited, edits] = editFaultResults(fixture(FAULT_61), (r) => {
      if (!ringStayed(r)) return false;
      r.faultInjected = false;
      return true;
    });
    expect(edits).toBeGreaterThan(0);
    const { summary } = await replayTrace(edited);
    expect(summary.diverged).toBe(edits);
    const fields = summary.divergences.flatMap((d) =>
      d.differences.flatMap((x) => x.diffs.map((y) => y.field)),
    );
    expect(new Set(fields)).toEqual(new Set(['ringsAdded']));
  });
});
