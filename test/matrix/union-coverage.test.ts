/**
 * The union of the matrix rows' coverage, on rows written out here: a rule
 * covered where any row hit it, and for the others the reason the matrix
 * gives, from the rule's own metadata and which rows could reach it.
 */
import { describe, expect, it } from 'vitest';
import { unionCoverage } from '../../conformance/matrix/union-coverage.js';

const NEEDS_FAULTS = 'needs kernel fault injection, which this kernel lacks';

describe('unionCoverage', () => {
  it('counts a rule covered when any row hit it, and sums the hits', () => {
    const u = unionCoverage([
      {
        label: 'host',
        coverage: [
          { id: 'setup.ok', hits: 3 },
          { id: 'setup.kmem', hits: 0, unreachable: NEEDS_FAULTS },
        ],
      },
      {
        label: 'uml:f',
        coverage: [
          { id: 'setup.ok', hits: 2 },
          { id: 'setup.kmem', hits: 5 },
        ],
      },
    ]);
    expect(u).toEqual({
      covered: 2,
      total: 2,
      rules: [
        { id: 'setup.ok', hits: 5, coveredBy: ['host', 'uml:f'] },
        { id: 'setup.kmem', hits: 5, coveredBy: ['uml:f'] },
      ],
    });
  });

  it('says a rule some row could reach was simply not reached, naming those rows', () => {
    const u = unionCoverage([
      // As run reports put it: a row's reason for a rule it could reach but did not.
      {
        label: 'host',
        coverage: [
          { id: 'setup.ring-mmap', hits: 0, unreachable: 'no case reached it in this run' },
        ],
      },
      { label: 'oci', coverage: [{ id: 'setup.ring-mmap', hits: 0 }] },
    ]);
    expect(u.covered).toBe(0);
    expect(u.rules[0]!.uncovered).toMatch(/^reachable on host, oci, but no case reached it/);
  });

  it('names what the matrix lacked for a rule no row could reach', () => {
    const u = unionCoverage([
      {
        label: 'host',
        coverage: [
          { id: 'setup.kmem', hits: 0, unreachable: NEEDS_FAULTS },
          { id: 'seccomp.trap', hits: 0, unreachable: 'needs a profile' },
          { id: 'kernel.no-aio', hits: 0, unreachable: 'has AIO' },
        ],
      },
    ]);
    const why = Object.fromEntries(u.rules.map((r) => [r.id, r.uncovered]));
    expect(why['setup.kmem']).toContain('aiospec kernel build --debian 6.12 --fault-injection');
    expect(why['seccomp.trap']).toContain('aiospec matrix --seccomp-profile P');
    expect(why['kernel.no-aio']).toContain('aiospec kernel build --debian 6.12 --no-aio');
  });

  it('says an unobservable rule is unobservable, whatever the rows say', () => {
    const u = unionCoverage([
      { label: 'host', coverage: [{ id: 'setup.mmap-lock-killed', hits: 0, unreachable: 'x' }] },
    ]);
    expect(u.rules[0]!.uncovered).toMatch(/^unobservable: .*fatal signal/);
  });

  it('counts every rule any row listed once, for rows judged by different profiles', () => {
    const u = unionCoverage([
      {
        label: 'host',
        coverage: [
          { id: 'setup.ok', hits: 1 },
          { id: 'destroy.ok', hits: 1 },
        ],
      },
      {
        label: 'gvisor',
        coverage: [
          { id: 'setup.ok', hits: 1 },
          { id: 'gvisor.destroy-not-context', hits: 0 },
        ],
      },
    ]);
    expect(u.total).toBe(3);
    expect(u.covered).toBe(2);
  });

  it('is empty when no row ran', () => {
    expect(unionCoverage([])).toEqual({ covered: 0, total: 0, rules: [] });
  });
});
