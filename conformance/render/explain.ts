/**
 * `aiospec explain`: one io_setup call through the model, as JSON or as text a
 * C programmer reads: the verdict, the rule trail with sources, the ring.
 */
import {
  CTX_KINDS,
  describeErrno,
  type Environment,
  hex,
  INTERNAL_LIMIT_NE,
  PROFILES,
  profile,
  type RingView,
  SETUP_RULES,
  type SetupOutcome,
  type SetupRuleId,
} from '../../model/index.js';
import { jsonInteger, jsonIntegerOrNull, type U64 } from '../../real/protocol.js';

export interface RingJson {
  nr: number;
  pages: number;
  bytes: number;
  id: number;
  head: number;
  tail: number;
  magic: number;
  compatFeatures: number;
  incompatFeatures: number;
  headerLength: number;
}

export function ringJson(ring: RingView | null): RingJson | null {
  if (!ring) return null;
  const { nr, pages, bytes, header: h } = ring;
  return {
    nr,
    pages,
    bytes,
    id: h.id,
    head: h.head,
    tail: h.tail,
    magic: h.magic,
    compatFeatures: h.compatFeatures,
    incompatFeatures: h.incompatFeatures,
    headerLength: h.headerLength,
  };
}

export function envJson(env: Environment) {
  return {
    profile: env.profile,
    aioMaxNr: jsonInteger(env.aioMaxNr),
    aioNr: jsonInteger(env.aioNr),
    possibleCpus: env.possibleCpus,
    pageSize: env.pageSize,
    asHeadroom: jsonIntegerOrNull(env.asHeadroom),
    aioCompiled: env.aioCompiled,
    seccomp: env.seccomp.action === 'allow' ? 'allow' : env.seccomp.errno,
    seccompProfiles: (env.seccompFilters ?? []).map((f) => f.source),
    failAlloc: env.failAlloc,
  };
}

function sourceFor(id: SetupRuleId, env: Environment): string {
  const s = SETUP_RULES[id].source;
  return (env.profile === 'gvisor' ? s.gvisor : s.linux) ?? s.linux ?? s.gvisor ?? '';
}

export interface ExplainJson {
  call: { syscall: 'io_setup'; nrEvents: number; ctx: string };
  env: ReturnType<typeof envJson>;
  errno: string | null;
  ret: number;
  rule: SetupRuleId;
  /** What the seccomp filters did and the profile rule that decided. */
  seccomp: {
    action: string;
    errno: number | null;
    signal: string | null;
    returned: number | string | null;
    rule: string;
  };
  ctxWritten: boolean;
  slot: number | null;
  ring: RingJson | null;
  aioNrBefore: U64 | null;
  aioNrAfter: U64 | null;
  arithmetic: {
    floor: number;
    ne: number;
    neWrapped: boolean;
    charge: U64;
    limit: U64 | null;
  };
  trail: {
    id: SetupRuleId;
    verdict: 'pass' | 'decides';
    errno: string | null;
    when: string;
    man: string;
    source: string;
  }[];
}

export function explainJson(env: Environment, o: SetupOutcome): ExplainJson {
  const f = o.facts;
  return {
    call: { syscall: 'io_setup', nrEvents: o.call.nrEvents, ctx: o.call.ctx },
    env: envJson(env),
    errno: o.errno,
    ret: o.ret,
    rule: o.rule,
    seccomp: { ...o.seccomp, returned: jsonIntegerOrNull(o.seccomp.returned) },
    ctxWritten: o.ctxWritten,
    slot: o.slot,
    ring: ringJson(o.ring),
    aioNrBefore: jsonIntegerOrNull(o.aioNrBefore),
    aioNrAfter: jsonIntegerOrNull(o.aioNrAfter),
    arithmetic: {
      floor: f.floor,
      ne: f.ne,
      neWrapped: f.neWrapped,
      charge: jsonInteger(f.charge),
      limit: jsonIntegerOrNull(f.limit),
    },
    trail: o.trail.map((id) => {
      const r = SETUP_RULES[id];
      return {
        id,
        verdict: id === o.rule ? 'decides' : 'pass',
        errno: r.errno === 'filter' ? (id === o.rule ? o.errno : 'filter') : r.errno,
        when: r.when,
        man: r.source.man,
        source: sourceFor(id, env),
      };
    }),
  };
}

/** The call as C source: io_setup(1, &ctx). */
function cCall(o: SetupOutcome): string {
  const ptr: Record<string, string> = {
    zero: '&ctx',
    nonzero: '&ctx',
    null: 'NULL',
    unmapped: '(aio_context_t *)unmapped',
    readonly: '&ro_ctx',
    'readonly-nonzero': '&ro_ctx',
    kernel: '(aio_context_t *)0xffff800000000000',
    straddle: '(aio_context_t *)(guard - 4)',
  };
  const n = o.call.nrEvents;
  const nr = n > 0xffff ? `${hex(n)} /* ${n} */` : String(n);
  return `io_setup(${nr}, ${ptr[o.call.ctx]})`;
}

function verdict(o: SetupOutcome): string {
  if (o.signal === 'killed')
    return `${cCall(o)}: never returns: killed by SIGSYS (${o.seccomp.action === 'kill-thread' ? 'the calling thread' : 'the whole process'})`;
  const sig = o.signal === 'delivered' ? ' (and SIGSYS delivered, si_code SYS_SECCOMP)' : '';
  if (o.errno === null) return `${cCall(o)} = ${o.ret}${sig}`;
  if (sig) return `${cCall(o)} = -1 ${describeErrno(o.errno)}${sig}`;
  return `${cCall(o)} = -1 ${describeErrno(o.errno)}`;
}

function fmtU64(n: bigint | null): string {
  return n === null ? 'none' : n.toString();
}

function arithmeticLines(env: Environment, o: SetupOutcome): string[] {
  const f = o.facts;
  const lines: string[] = [];
  const m = Math.max(o.call.nrEvents, f.floor);
  const wrap = f.neWrapped ? ` (2 × ${m} = ${2 * m} wraps modulo 2^32)` : '';
  lines.push(
    `ne = 2 × max(nr_events ${o.call.nrEvents}, 4×${env.possibleCpus} CPUs = ${f.floor}) = ${f.ne}${wrap}`,
  );
  lines.push(`internal limit: ne ≤ ${INTERNAL_LIMIT_NE} (${hex(INTERNAL_LIMIT_NE)})`);
  if (f.ne > 0 && f.ne <= INTERNAL_LIMIT_NE && profile(env.profile).ring === 'linux') {
    const size = 32 + 32 * (f.ne + 2);
    lines.push(
      `ring = 32-byte header + 32 × (ne + 2 = ${f.ne + 2}) = ${size} bytes → ${f.ring.pages} page(s) of ${env.pageSize} → ring->nr = ${f.ring.nr}`,
    );
  }
  if (f.limit !== null) {
    const acct = profile(env.profile).accounting!;
    const what = acct.charge === 'nr_events' ? 'nr_events' : 'ne';
    const lim = acct.limitFactor === 1n ? 'aio-max-nr' : '2 × aio-max-nr';
    lines.push(
      `charge = ${what} = ${f.charge} against ${lim} = ${f.limit}; aio-nr ${fmtU64(f.aioNr)} + ${f.charge} = ${fmtU64(f.sum)}${f.sumWrapped ? ' (wrapped)' : ''}`,
    );
  } else {
    lines.push('no aio-nr/aio-max-nr accounting in this kernel');
  }
  return lines;
}

function trailLines(env: Environment, o: SetupOutcome): string[] {
  const width = Math.max(...o.trail.map((id) => id.length));
  return o.trail.flatMap((id) => {
    const decides = id === o.rule;
    const r = SETUP_RULES[id];
    const mark = decides ? '→' : '✓';
    const errno = decides ? (o.errno ?? 'ok') : 'pass';
    const head = `  ${mark} ${id.padEnd(width)}  ${errno.padEnd(6)}  ${sourceFor(id, env)}`;
    const profileRule = id.startsWith('seccomp.') ? [`      profile rule: ${o.seccomp.rule}`] : [];
    return decides
      ? [head, `      ${r.when}`, ...profileRule, `      man: ${r.source.man}`]
      : [head];
  });
}

function ringLines(ring: RingView, pageSize: number): string[] {
  const h = ring.header;
  const rows: [string, string | number, string][] = [
    ['id', h.id, 'context table slot'],
    ['nr', h.nr, 'io_event slots'],
    ['head', h.head, ''],
    ['tail', h.tail, ''],
    ['magic', hex(h.magic), h.magic === 0xa10a10a1 ? 'AIO_RING_MAGIC' : 'not AIO_RING_MAGIC'],
    ['compat_features', h.compatFeatures, ''],
    ['incompat_features', h.incompatFeatures, ''],
    ['header_length', h.headerLength, 'sizeof(struct aio_ring)'],
  ];
  const lines = [
    `ring at *ctx: ${ring.pages} page(s), ${ring.bytes} bytes, mapped "/[aio] (deleted)"`,
  ];
  rows.forEach(([name, value, note], i) => {
    const off = `+0x${(i * 4).toString(16).padStart(2, '0')}`;
    lines.push(`  ${off}  ${name.padEnd(18)} ${String(value).padEnd(12)} ${note}`.trimEnd());
  });
  if (ring.nr > 0) lines.push(`  +0x20  io_events[0..${ring.nr - 1}]  ${ring.nr} × 32 bytes`);
  lines.push(`  ${pageDiagram(ring, pageSize)}`);
  return lines;
}

/** One box per page: which event slots it holds (page 0 starts with the header). */
function pageDiagram(ring: RingView, pageSize: number): string {
  const perPage = pageSize / 32;
  const box = (p: number): string => {
    const first = p === 0 ? 0 : p * perPage - 1;
    const last = Math.min((p + 1) * perPage - 2, ring.nr - 1);
    const events = ring.nr === 0 ? 'zeros' : `ev ${first}..${last}`;
    return p === 0 ? `[p0 hdr|${events}]` : `[p${p} ${events}]`;
  };
  const pages = ring.pages <= 4 ? [...Array(ring.pages).keys()] : [0, 1, -1, ring.pages - 1];
  return pages.map((p) => (p < 0 ? '…' : box(p))).join(' ');
}

export function explainText(env: Environment, o: SetupOutcome): string {
  const prof = PROFILES[env.profile];
  const ctxAfter = o.ctxWritten
    ? `*ctx_idp = handle (the ring's address)`
    : CTX_KINDS[o.call.ctx].readable
      ? '*ctx_idp left unchanged'
      : 'ctx_idp not dereferenceable';
  const profiles = (env.seccompFilters ?? []).map((f) => `profile ${f.source}`);
  const seccomp =
    [
      ...profiles,
      ...(env.seccomp.action === 'allow' ? [] : [`SECCOMP_RET_ERRNO(${env.seccomp.errno})`]),
    ].join(' + ') || 'none';
  const lines = [
    verdict(o),
    `  ctx_idp: ${CTX_KINDS[o.call.ctx].describe}; afterwards ${ctxAfter}`,
    '',
    'environment',
    `  profile ${env.profile} (${prof.title}); ${env.possibleCpus} possible CPUs; ${env.pageSize}-byte pages`,
    `  aio-max-nr ${env.aioMaxNr}; aio-nr ${fmtU64(o.aioNrBefore)} → ${fmtU64(o.aioNrAfter)}; address space ${env.asHeadroom === null ? 'unlimited' : `${env.asHeadroom} bytes left`}; seccomp filter ${seccomp}${env.aioCompiled ? '' : '; CONFIG_AIO=n'}${env.failAlloc ? `; failing allocation: ${env.failAlloc}` : ''}`,
    '',
    'arithmetic (u32 for nr_events, u64 for aio-nr)',
    ...arithmeticLines(env, o).map((l) => `  ${l}`),
    '',
    'rule trail (checked in order; the first that applies decides)',
    ...trailLines(env, o),
  ];
  if ((env.seccompFilters ?? []).length > 0 && !o.rule.startsWith('seccomp.'))
    lines.push('', `seccomp: ${o.seccomp.rule} lets the call run (${o.seccomp.action})`);
  if (o.ring) lines.push('', ...ringLines(o.ring, env.pageSize));
  if (o.slot !== null)
    lines.push(`  new context in slot ${o.slot} of a ${o.tableSizeAfter}-slot table`);
  return lines.join('\n');
}
