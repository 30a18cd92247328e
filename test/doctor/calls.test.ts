/**
 * The doctor's per-call verdicts, without a kernel: what a probe child's lines
 * say for each of the six calls, who answered an ENOSYS (a kernel without AIO,
 * one older than io_pgetevents, gVisor, a filter), and the one inconsistency
 * that breaks libaio. Expected answers come from fs/aio.c as read in
 * /work/shared/notes/aio-family.md (§2.1, §3, §4, §5, §8), not from the code.
 */
import { describe, expect, it } from 'vitest';
import {
  type CallFacts,
  callVerdict,
  callVerdicts,
  inconsistencies,
} from '../../conformance/doctor/call-verdicts.js';
import {
  type CallObservation,
  classifyBatch,
  type ProbedCall,
} from '../../conformance/doctor/filter-probe.js';

const SIX: ProbedCall[] = [
  'io_setup',
  'io_destroy',
  'io_submit',
  'io_getevents',
  'io_pgetevents',
  'io_cancel',
];
const EPERM = 1;
const EFAULT = 14;
const EINVAL = 22;
const ENOSYS = 38;

const line = (call: string, ret: number, errno: number, sigsys = false) =>
  JSON.stringify({ call, ret, errno, sigsys });
const exit = (lines: string[], code: number | null = 0, signal: string | null = null) => ({
  stdout: lines.map((l) => `${l}\n`).join(''),
  stderr: '',
  code,
  signal,
});

/** A host with AIO and a filter (Seccomp: 2), Linux 6.18. */
const FILTERED: CallFacts = {
  seccompMode: 2,
  aioSysctls: true,
  gvisor: false,
  release: '6.18.44',
};
const PLAIN: CallFacts = { ...FILTERED, seccompMode: 0 };

/** An observation of `call` answering -1 errno (ret -1), as the probe reports it. */
function answered(call: ProbedCall, errno: number, facts: CallFacts = FILTERED) {
  const [o] = classifyBatch([call], 1, exit([line(call, -1, errno)]));
  return callVerdict(o!, facts);
}

describe('a probe child of several calls, read', () => {
  it("each call's own kernel answer is 'reached': EINVAL for five, EFAULT for io_cancel", () => {
    const answers = [EINVAL, EINVAL, EINVAL, EINVAL, EINVAL, EFAULT];
    const seen = classifyBatch(SIX, 7, exit(SIX.map((c, i) => line(c, -1, answers[i]!))));
    expect(seen.map((o) => o.kind)).toEqual(Array(6).fill('kernel'));
    expect(seen.map((o) => o.shown)).toEqual([
      'io_setup(7, &ctx)',
      'io_destroy(0)',
      'io_submit(0, 0, NULL)',
      'io_getevents(0, 0, 0, NULL, NULL)',
      'io_pgetevents(0, 0, 0, NULL, NULL, NULL)',
      'io_cancel(0, NULL, NULL)',
    ]);
  });

  it('io_cancel answering EINVAL is not its kernel answer; io_submit returning 0 is (gVisor, nr 0)', () => {
    const [cancel, submit, setup] = classifyBatch(
      ['io_cancel', 'io_submit', 'io_setup'],
      1,
      exit([line('io_cancel', -1, EINVAL), line('io_submit', 0, 0), line('io_setup', 0, 0)]),
    );
    expect(cancel).toMatchObject({ kind: 'errno', errno: 'EINVAL' });
    expect(submit).toMatchObject({ kind: 'kernel', errno: null, ret: 0 });
    // io_setup(N, &nonzero) never succeeds: 0 is nothing a kernel or filter says.
    expect(setup!.kind).toBe('unknown');
  });

  it('a child killed by SIGSYS: the call it was making is killed, the later ones not made', () => {
    const seen = classifyBatch(
      SIX,
      1,
      exit([line('io_setup', -1, EINVAL), line('io_destroy', -1, EINVAL)], null, 'SIGSYS'),
    );
    expect(seen.map((o) => o.kind)).toEqual([
      'kernel',
      'kernel',
      'killed',
      'unknown',
      'unknown',
      'unknown',
    ]);
    expect(seen[3]!.note).toContain('not made');
  });

  it('a child that could not run: every call unknown, saying why', () => {
    const seen = classifyBatch(['io_submit', 'io_cancel'], 1, {
      stdout: '',
      stderr: 'cannot load libc\n',
      code: 3,
      signal: null,
    });
    expect(seen.map((o) => o.kind)).toEqual(['unknown', 'unknown']);
    expect(seen[1]!.note).toContain('cannot load libc');
  });
});

describe('verdicts', () => {
  it('the kernel answering: allowed, no errno, the answer in the detail', () => {
    expect(answered('io_cancel', EFAULT)).toMatchObject({
      call: 'io_cancel',
      verdict: 'allowed',
      errno: null,
    });
    expect(answered('io_cancel', EFAULT).detail).toMatch(
      /^io_cancel\(0, NULL, NULL\) = -1 EFAULT: /,
    );
  });

  it('under a filter, EPERM is seccomp EPERM; without one, not known (a security module?)', () => {
    expect(answered('io_pgetevents', EPERM)).toMatchObject({ verdict: 'seccomp', errno: 'EPERM' });
    expect(answered('io_pgetevents', EPERM, PLAIN)).toMatchObject({
      verdict: 'unknown',
      errno: 'EPERM',
    });
  });

  it('ENOSYS from a filter on a kernel with AIO and io_pgetevents (4.18+): seccomp ENOSYS', () => {
    const v = answered('io_pgetevents', ENOSYS);
    expect(v).toMatchObject({ verdict: 'seccomp', errno: 'ENOSYS' });
    expect(v.detail).toContain('libaio falls back');
  });

  it('CONFIG_AIO=n (no /proc/sys/fs/aio-nr): ENOSYS is the kernel, filter or not', () => {
    for (const facts of [
      { ...FILTERED, aioSysctls: false },
      { ...PLAIN, aioSysctls: false },
    ])
      for (const call of SIX) {
        const v = answered(call, ENOSYS, facts);
        expect(v, call).toMatchObject({ verdict: 'enosys', errno: 'ENOSYS' });
        expect(v.detail).toContain('CONFIG_AIO=n');
      }
  });

  it('io_pgetevents is ENOSYS before Linux 4.18 (added there); the other calls are not', () => {
    const old = { ...PLAIN, release: '4.14.0-1' };
    expect(answered('io_pgetevents', ENOSYS, old)).toMatchObject({ verdict: 'enosys' });
    expect(answered('io_pgetevents', ENOSYS, { ...old, release: '4.18.0' }).verdict).toBe(
      'unknown',
    );
    expect(answered('io_getevents', ENOSYS, old).verdict).toBe('unknown');
  });

  it('gVisor: io_pgetevents and io_cancel are ENOSYS by design; io_getevents ENOSYS is not gVisor', () => {
    const gvisor: CallFacts = { ...PLAIN, aioSysctls: false, gvisor: true };
    for (const call of ['io_pgetevents', 'io_cancel'] as const) {
      const v = answered(call, ENOSYS, gvisor);
      expect(v, call).toMatchObject({ verdict: 'enosys', errno: 'ENOSYS' });
      expect(v.detail).toContain('gVisor does not implement');
    }
    expect(answered('io_getevents', ENOSYS, gvisor).verdict).toBe('unknown');
  });

  it('a trap is seccomp without an errno; a death by SIGSYS is killed', () => {
    const [trap] = classifyBatch(['io_submit'], 1, exit([line('io_submit', 209, 0, true)]));
    expect(callVerdict(trap!, FILTERED)).toMatchObject({ verdict: 'seccomp', errno: null });
    const [killed] = classifyBatch(['io_cancel'], 1, exit([], null, 'SIGSYS'));
    const v = callVerdict(killed!, FILTERED);
    expect(v).toMatchObject({ verdict: 'killed', errno: null });
    expect(v.detail).toContain('killed by seccomp (SIGSYS)');
  });

  it('callVerdicts keeps the six in order, whatever order they were observed in', () => {
    const seen = classifyBatch(
      [...SIX].reverse(),
      1,
      exit([...SIX].reverse().map((c) => line(c, -1, c === 'io_cancel' ? EFAULT : EINVAL))),
    );
    expect(callVerdicts(seen, PLAIN).map((v) => v.call)).toEqual(SIX);
  });
});

describe('the io_pgetevents / io_getevents inconsistency (libaio ≥ 0.3.113 falls back only on ENOSYS)', () => {
  /** The six verdicts with io_pgetevents and io_getevents observed as given. */
  function family(pget: CallObservation, get?: CallObservation) {
    const rest = classifyBatch(
      SIX,
      1,
      exit(SIX.map((c) => line(c, -1, c === 'io_cancel' ? EFAULT : EINVAL))),
    ).filter((o) => o.call !== 'io_pgetevents' && (get === undefined || o.call !== 'io_getevents'));
    return callVerdicts([...rest, pget, ...(get ? [get] : [])], FILTERED);
  }
  const pget = (errno: number) =>
    classifyBatch(['io_pgetevents'], 1, exit([line('io_pgetevents', -1, errno)]))[0]!;

  it('EPERM on io_pgetevents, io_getevents allowed: exactly the one line', () => {
    expect(inconsistencies(family(pget(EPERM)))).toEqual([
      'inconsistent: io_getevents allowed but io_pgetevents blocked with EPERM: libaio ≥ 0.3.113 will fail instead of falling back',
    ]);
  });

  it('ENOSYS on io_pgetevents (libaio falls back), or everything allowed: nothing', () => {
    expect(inconsistencies(family(pget(ENOSYS)))).toEqual([]);
    expect(inconsistencies(family(pget(EINVAL)))).toEqual([]);
  });

  it('io_pgetevents killed: said so; io_getevents blocked too: no fallback to miss, nothing', () => {
    const killed = classifyBatch(['io_pgetevents'], 1, exit([], null, 'SIGSYS'))[0]!;
    expect(inconsistencies(family(killed))).toEqual([
      'inconsistent: io_getevents allowed but io_pgetevents killed by seccomp (SIGSYS): libaio ≥ 0.3.113 will be killed instead of falling back',
    ]);
    const get = classifyBatch(['io_getevents'], 1, exit([line('io_getevents', -1, EPERM)]))[0]!;
    expect(inconsistencies(family(pget(EPERM), get))).toEqual([]);
  });
});
