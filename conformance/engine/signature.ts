/** Kinds of divergence, to group them in reports (never to settle them: see confirm.ts). */
import type { CaseVerdict } from './verdict.js';

/**
 * What kind of divergence a case shows: at its first differing step, the
 * model's deciding rule, the fields that differ and the errno on each side.
 * (Later steps follow the real state, so the first difference is the cause.)
 * Used to group divergences in reports, never to settle them.
 */
export function signature(v: CaseVerdict): string {
  const s = v.steps.find((x) => x.diffs.length > 0);
  if (!s) return `worker: ${v.reason ?? ''}`;
  const errno = s.diffs.find((d) => d.field === 'errno');
  const fields = s.diffs.map((d) => d.field.split('.')[0]).filter((f, i, a) => a.indexOf(f) === i);
  return `${s.op}:${s.rule ?? '-'}:${fields.join(',')}${errno ? `:${String(errno.model)}/${String(errno.real)}` : ''}`;
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
