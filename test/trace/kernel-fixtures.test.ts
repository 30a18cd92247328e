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

/**
 * The family suites (table, props, stateful) recorded under UML: Debian's
 * linux.uml 6.1.176 (a block layer: 6.1's own IOPRIO and RWF answers), the
 * 6.12.117 kernel `aiospec kernel build --fault-injection` makes (no block
 * layer: IOCB_FLAG_IOPRIO is ENOTBLK) and the one without AIO (ENOSYS).
 */
const FAMILY_61 = 'uml-6.1-family.trace.jsonl';
const FAMILY_612 = 'uml-6.12-family.trace.jsonl';
const FAMILY_NOAIO = 'uml-6.12-noaio-family.trace.jsonl';
const FAMILY_SUITES = ['family-table', 'family-props', 'family-stateful'] as const;

interface TraceLine {
  t: string;
  suite?: string;
  case?: { name?: string; steps: { op: string }[] };
  report?: { results?: { op: string; errno: number }[] };
  host?: { release: string; features?: Record<string, boolean> };
  kernel?: { release: string };
}
const lines = (text: string) =>
  text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as TraceLine);
/** The trace with each line passed through `edit`. */
const edited = (text: string, edit: (l: TraceLine) => void) =>
  lines(text)
    .map((l) => {
      edit(l);
      return JSON.stringify(l);
    })
    .join('\n');
/** errno of each family call (not setup/destroy) the kernel answered, by case name. */
const familyErrnos = (text: string, name: string) =>
  lines(text)
    .filter((l) => l.t === 'case' && l.case?.name === name)
    .flatMap((l) => l.report?.results ?? [])
    .filter((r) => r.op === 'submit')
    .map((r) => r.errno);
const EINVAL = 22;
const ENOSYS = 38;
const ENOTBLK = 15;
const EOPNOTSUPP = 95;

describe('the family fixtures', () => {
  it.each([
    [FAMILY_61, /^6\.1\./, { faultInjection: false, aio: true, block: true }],
    [FAMILY_612, /^6\.12\./, { faultInjection: true, aio: true, block: false }],
    [FAMILY_NOAIO, /^6\.12\./, { faultInjection: false, aio: false, block: false }],
  ])('%s holds the three family suites and conforms to linux', async (file, release, features) => {
    const { header, summary } = await replayTrace(fixture(file));
    expect(header).toMatchObject({ target: { kind: 'uml' }, profile: 'linux' });
    expect(header.kernel.release).toMatch(release);
    expect(summary.kernel.features).toEqual(features);
    for (const s of FAMILY_SUITES) expect(summary.suites[s]?.cases).toBeGreaterThanOrEqual(20);
    expect(summary.diverged).toBe(0);
    expect(summary.inconclusive).toBe(0);
  });

  it('6.1 answered its own way: IOPRIO hint bits EINVAL, RWF_NOWAIT on a pipe EOPNOTSUPP (aio-family.md §1.3)', () => {
    const text = fixture(FAMILY_61);
    expect(familyErrnos(text, 'IOCB_FLAG_IOPRIO, BE class with hint bits (6.1: EINVAL)')).toEqual([
      EINVAL,
    ]);
    const nowaitPipe = lines(text).filter(
      (l) =>
        l.t === 'case' && /RWF_NOWAIT/.test(l.case?.name ?? '') && /pipe/i.test(l.case?.name ?? ''),
    );
    expect(nowaitPipe.length).toBeGreaterThan(0);
    for (const l of nowaitPipe)
      expect(l.report?.results?.filter((r) => r.op === 'submit').map((r) => r.errno)).toContain(
        EOPNOTSUPP,
      );
  });

  it('the 6.1 trace diverges when the model is told it came from 6.12, and the 6.12 trace when told 6.1', async () => {
    const as = (release: string) => (l: TraceLine) => {
      if (l.host) l.host.release = release;
      if (l.kernel) l.kernel.release = release;
    };
    const from61 = await replayTrace(edited(fixture(FAMILY_61), as('6.12.117')));
    expect(from61.summary.diverged).toBeGreaterThan(0);
    const from612 = await replayTrace(edited(fixture(FAMILY_612), as('6.1.176')));
    expect(from612.summary.diverged).toBeGreaterThan(0);
  });

  it('without a block layer every IOCB_FLAG_IOPRIO read/write was ENOTBLK, and the trace diverges if the worker had said there was one', async () => {
    const text = fixture(FAMILY_612);
    expect(familyErrnos(text, 'IOCB_FLAG_IOPRIO, BE class, level 8: EINVAL')).toEqual([ENOTBLK]);
    const withBlock = edited(text, (l) => {
      if (l.host?.features) l.host.features.block = true;
    });
    const { summary } = await replayTrace(withBlock);
    expect(summary.diverged).toBeGreaterThan(0);
  });

  it('without AIO every family call was ENOSYS', () => {
    const calls = lines(fixture(FAMILY_NOAIO))
      .filter((l) => l.t === 'case')
      .flatMap((l) => l.report?.results ?? [])
      .filter((r) => ['submit', 'getevents', 'pgetevents', 'cancel'].includes(r.op));
    expect(calls.length).toBeGreaterThan(100);
    expect(new Set(calls.map((r) => r.errno))).toEqual(new Set([ENOSYS]));
  });
});
