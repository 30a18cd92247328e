/** Kinds of divergence, to group them in reports (never to settle them: see confirm.ts). */
import type { CaseVerdict } from './verdict.js';

/**
 * What kind of divergence a case shows: at its first differing step, the
 * model's deciding rule, the fields that differ and the errno on each side.
 * (Later steps follow the real state, so the first difference is the cause.)
 * Used to group divergences in reports, never to settle them.
 */
export function signature(v: CaseVerdict): string {
  const s = causeStep(v);
  if (!s) return `worker: ${v.reason ?? ''}`;
  const errno = s.diffs.find((d) => d.field === 'errno');
  const fields = s.diffs.map((d) => d.field.split('.')[0]).filter((f, i, a) => a.indexOf(f) === i);
  return `${s.op}:${s.rule ?? '-'}:${fields.join(',')}${errno ? `:${String(errno.model)}/${String(errno.real)}` : ''}`;
}

/** The io_setup/io_destroy vocabulary: what the table, props and stateful suites are about. */
const CONTEXT_OPS: ReadonlySet<string> = new Set(['setup', 'destroy', 'clobber']);

/**
 * The step that names the divergence: its first differing step; in a family
 * suite, its first differing family step when there is one. A target whose
 * io_setup differs (gVisor's zero ring page, judged under --profile linux)
 * differs at every family case's setup; the io_setup suites report that
 * already, and taking it as the kind would hide every family difference
 * behind it (and shrink each family case down to its setup).
 */
function causeStep(v: CaseVerdict): CaseVerdict['steps'][number] | undefined {
  const differing = v.steps.filter((x) => x.diffs.length > 0);
  if (!v.suite.startsWith('family-')) return differing[0];
  return differing.find((x) => !CONTEXT_OPS.has(x.op)) ?? differing[0];
}

/** The first divergent verdict of each kind (the one worth shrinking and showing; the playground lists them too). */
export function firstOfEachKind(verdicts: readonly CaseVerdict[]): CaseVerdict[] {
  const seen = new Set<string>();
  return verdicts.filter((v) => {
    const key = `${v.suite}:${signature(v)}`;
    if (v.status !== 'diverge' || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
