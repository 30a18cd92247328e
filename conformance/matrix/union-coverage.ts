/**
 * The matrix's coverage: which model rules decided a compared step on at least
 * one of its targets, and for each one no target reached, why: the rule is
 * unobservable, or it needs what no row of this matrix offered (a seccomp
 * profile, a kernel built with fault injection or without AIO), or some row
 * could reach it and no case happened to (more --runs). Decided from the
 * rows' own coverage and the rules' metadata, never from rule ids.
 */
import { DESTROY_RULES, FAMILY_RULES, type KernelFeature, SETUP_RULES } from '../../model/index.js';
import { NOT_REACHED } from '../engine/coverage.js';

/** One row's coverage, as its JSON report holds it. */
export interface RowCoverage {
  readonly label: string;
  readonly coverage: readonly {
    readonly id: string;
    readonly hits: number;
    readonly unreachable?: string;
  }[];
}

export interface UnionRule {
  readonly id: string;
  /** Compared steps it decided, summed over the rows. */
  readonly hits: number;
  /** The rows where it decided at least one. */
  readonly coveredBy: readonly string[];
  /** Why no row covered it (absent when one did). */
  readonly uncovered?: string;
}

export interface UnionCoverage {
  readonly covered: number;
  /** The rules of the profiles the rows ran (linux's, and gVisor's own when a gvisor row ran). */
  readonly total: number;
  readonly rules: readonly UnionRule[];
}

/** What the matrix would need for a rule that needs this feature. */
const MISSING: Readonly<Record<KernelFeature, string>> = {
  'seccomp-profile':
    'needs --seccomp-profile: run `aiospec matrix --seccomp-profile P` or `aiospec run --target oci --seccomp-profile P` with a profile giving the call this action',
  'fault-injection':
    'needs a kernel with fault injection: `aiospec kernel build --debian 6.12 --fault-injection`',
  'no-aio': 'needs a kernel without AIO: `aiospec kernel build --debian 6.12 --no-aio`',
  'no-block':
    'needs a kernel without a block layer: any `aiospec kernel build` kernel (its small config has CONFIG_BLOCK=n)',
  'no-rt-ioprio':
    'needs a worker without CAP_SYS_NICE and CAP_SYS_ADMIN: run aiospec as a user, not root',
};

type RuleMeta = { readonly unobservable?: string; readonly needs?: readonly KernelFeature[] };

function metaOf(id: string): RuleMeta | undefined {
  return ({ ...SETUP_RULES, ...DESTROY_RULES, ...FAMILY_RULES } as Record<string, RuleMeta>)[id];
}

/** Why no row covered a rule, given the rows that could have reached it. */
function whyUncovered(id: string, reachableOn: readonly string[]): string {
  const meta = metaOf(id);
  if (meta?.unobservable) return `unobservable: ${meta.unobservable}`;
  if (reachableOn.length > 0)
    return `reachable on ${reachableOn.join(', ')}, but no case reached it this time (more --runs, or another --seed)`;
  const need = meta?.needs?.[0];
  return need ? MISSING[need] : 'no row of this matrix can reach it';
}

/** The union over the rows that ran, rules in the order the rows list them. */
export function unionCoverage(rows: readonly RowCoverage[]): UnionCoverage {
  const ids: string[] = [];
  for (const r of rows) for (const c of r.coverage) if (!ids.includes(c.id)) ids.push(c.id);
  const rules = ids.map((id): UnionRule => {
    const entries = rows.flatMap((r) =>
      r.coverage.filter((c) => c.id === id).map((c) => ({ label: r.label, ...c })),
    );
    const hits = entries.reduce((n, e) => n + e.hits, 0);
    const coveredBy = entries.filter((e) => e.hits > 0).map((e) => e.label);
    if (coveredBy.length > 0) return { id, hits, coveredBy };
    // A row reaches it when nothing stops it there: no case of that run happened to (a report's
    // NOT_REACHED), or the row was listed without a reason at all.
    const reachableOn = entries
      .filter((e) => e.unreachable === undefined || e.unreachable === NOT_REACHED)
      .map((e) => e.label);
    return { id, hits, coveredBy, uncovered: whyUncovered(id, reachableOn) };
  });
  return {
    covered: rules.filter((r) => r.uncovered === undefined).length,
    total: rules.length,
    rules,
  };
}
