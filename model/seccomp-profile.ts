/**
 * Seccomp profiles as container runtimes read them, parsed and then resolved
 * for one architecture into the filter the kernel runs (abi/seccomp.ts).
 *
 * Two formats: Docker's and Podman's JSON (`defaultAction`, `defaultErrnoRet`,
 * `archMap` or `architectures`, `syscalls[]` with `names` or `name`,
 * `action`, `errnoRet`, `args`, `includes`/`excludes` by `arches`, `caps`
 * and `minKernel`), and the OCI runtime-spec's `linux.seccomp` object (the
 * same keys without archMap and includes/excludes; a whole config.json is
 * accepted too). How they become a filter follows runc's and moby's
 * conversion (libcontainer/seccomp, profiles/seccomp): an ERRNO or TRACE
 * without errnoRet means EPERM; a rule whose args repeat an index becomes one
 * rule per arg.
 *
 * Everything wrong is a ProfileError whose message names the field.
 */
import {
  type ArgCmp,
  CMP_OPS,
  type CmpOp,
  type FilterAction,
  type FilterEntry,
  SCMP_ARCHES,
  type SeccompActionKind,
  type SeccompFilter,
} from './abi/seccomp.js';
import { KNOWN_SYSCALL_NAMES } from './abi/syscall-table.js';

export class ProfileError extends Error {}

/** libseccomp's action names (SCMP_ACT_KILL is KILL_THREAD: seccomp.h defines it so). */
const ACTIONS: Readonly<Record<string, SeccompActionKind>> = {
  SCMP_ACT_KILL: 'kill-thread',
  SCMP_ACT_KILL_THREAD: 'kill-thread',
  SCMP_ACT_KILL_PROCESS: 'kill-process',
  SCMP_ACT_TRAP: 'trap',
  SCMP_ACT_ERRNO: 'errno',
  SCMP_ACT_NOTIFY: 'user-notif',
  SCMP_ACT_TRACE: 'trace',
  SCMP_ACT_LOG: 'log',
  SCMP_ACT_ALLOW: 'allow',
};

/** The EPERM runc and moby put in an ERRNO or TRACE action that names no errnoRet. */
const EPERM = 1;

export interface ProfileAction {
  readonly name: string;
  readonly kind: SeccompActionKind;
  /** errnoRet as written (absent: runc's default). */
  readonly errnoRet?: number;
}

export interface ProfileRule {
  readonly index: number;
  readonly names: readonly string[];
  readonly action: ProfileAction;
  readonly args: readonly ArgCmp[];
  readonly includes: Conditions;
  readonly excludes: Conditions;
  readonly comment?: string;
}

interface Conditions {
  /** Go architecture names (amd64, arm64, x32...), as moby matches them against runtime.GOARCH. */
  readonly arches: readonly string[];
  readonly caps: readonly string[];
  readonly minKernel?: string;
}

export interface SeccompProfile {
  readonly source: string;
  readonly format: 'docker' | 'oci';
  readonly defaultAction: ProfileAction;
  readonly defaultErrnoRet?: number;
  /** SCMP_ARCH_* names the profile asks for (archMap: every entry's main and sub-architectures). */
  readonly architectures: readonly string[];
  readonly rules: readonly ProfileRule[];
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function fail(field: string, what: string): never {
  throw new ProfileError(`${field}: ${what}`);
}

function strings(v: unknown, field: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string'))
    fail(field, 'must be a list of strings');
  return v as string[];
}

/** errnoRet: an integer the 16 bits of SECCOMP_RET_DATA can hold (runc takes a uint16 too). */
function errnoRet(v: unknown, field: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffff)
    fail(field, `${JSON.stringify(v)} is not an errno from 0 to 65535`);
  return v;
}

function action(v: unknown, field: string, ret: number | undefined): ProfileAction {
  if (typeof v !== 'string' || !Object.hasOwn(ACTIONS, v))
    fail(
      field,
      `${JSON.stringify(v)} is not a seccomp action (${Object.keys(ACTIONS).join(', ')})`,
    );
  return ret === undefined
    ? { name: v, kind: ACTIONS[v]! }
    : { name: v, kind: ACTIONS[v]!, errnoRet: ret };
}

/** A u64 from JSON: a non-negative integer. */
function u64(v: unknown, field: string): bigint {
  if (v === undefined || v === null) return 0n;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
    fail(field, `${JSON.stringify(v)} is not an unsigned 64-bit integer`);
  // Go reads every u64 exactly; JSON.parse rounds past 2^53, so such a value is refused, not guessed.
  if (v > Number.MAX_SAFE_INTEGER)
    fail(
      field,
      `${JSON.stringify(v)} is above 2^53-1, which aiospec cannot read exactly from JSON`,
    );
  return BigInt(v);
}

function arg(v: unknown, field: string): ArgCmp {
  if (!isObject(v)) fail(field, 'must be an object with index, value, op');
  const index = v.index;
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index > 5)
    fail(`${field}.index`, `${JSON.stringify(index)} is not an argument index from 0 to 5`);
  const op = typeof v.op === 'string' ? v.op.replace(/^SCMP_CMP_/, '') : '';
  if (typeof v.op !== 'string' || !v.op.startsWith('SCMP_CMP_') || !CMP_OPS.includes(op as CmpOp))
    fail(
      `${field}.op`,
      `${JSON.stringify(v.op)} is not one of ${CMP_OPS.map((o) => `SCMP_CMP_${o}`).join(', ')}`,
    );
  return {
    index,
    op: op as CmpOp,
    value: u64(v.value, `${field}.value`),
    valueTwo: u64(v.valueTwo, `${field}.valueTwo`),
  };
}

function conditions(v: unknown, field: string): Conditions {
  if (v === undefined || v === null) return { arches: [], caps: [] };
  if (!isObject(v)) fail(field, 'must be an object');
  const minKernel = v.minKernel;
  if (minKernel !== undefined && (typeof minKernel !== 'string' || !/^\d+\.\d+/.test(minKernel)))
    fail(`${field}.minKernel`, `${JSON.stringify(minKernel)} is not a kernel version like "4.8"`);
  return {
    arches: strings(v.arches, `${field}.arches`),
    caps: strings(v.caps, `${field}.caps`),
    ...(minKernel === undefined ? {} : { minKernel: minKernel as string }),
  };
}

function rule(v: unknown, index: number): ProfileRule {
  const field = `syscalls[${index}]`;
  if (!isObject(v)) fail(field, 'must be an object');
  const names = [...strings(v.names, `${field}.names`)];
  if (typeof v.name === 'string') names.push(v.name);
  if (names.length === 0) fail(`${field}.names`, 'names no syscall');
  for (const n of names)
    if (!KNOWN_SYSCALL_NAMES.has(n)) fail(`${field}.names`, `"${n}" is not a syscall name`);
  const args = v.args === undefined || v.args === null ? [] : v.args;
  if (!Array.isArray(args)) fail(`${field}.args`, 'must be a list');
  return {
    index,
    names,
    action: action(v.action, `${field}.action`, errnoRet(v.errnoRet, `${field}.errnoRet`)),
    args: args.map((a, i) => arg(a, `${field}.args[${i}]`)),
    includes: conditions(v.includes, `${field}.includes`),
    excludes: conditions(v.excludes, `${field}.excludes`),
    ...(typeof v.comment === 'string' ? { comment: v.comment } : {}),
  };
}

function architectures(o: Json): string[] {
  const list = [...strings(o.architectures, 'architectures')];
  if (o.archMap !== undefined && o.archMap !== null) {
    if (!Array.isArray(o.archMap)) fail('archMap', 'must be a list');
    o.archMap.forEach((m, i) => {
      if (!isObject(m) || typeof m.architecture !== 'string')
        fail(`archMap[${i}]`, 'must be an object with an architecture');
      list.push(m.architecture, ...strings(m.subArchitectures, `archMap[${i}].subArchitectures`));
    });
  }
  for (const a of list)
    if (!Object.hasOwn(SCMP_ARCHES, a))
      fail('architectures', `"${a}" is not a libseccomp architecture (SCMP_ARCH_X86_64, ...)`);
  return list;
}

/**
 * Parse a profile's text. `source` names it in messages and in every outcome
 * it decides. Accepts Docker's format, the OCI `linux.seccomp` object, and a
 * whole OCI config.json.
 */
export function parseSeccompProfile(text: string, source: string): SeccompProfile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ProfileError(`not JSON (${(e as Error).message})`);
  }
  if (isObject(json) && isObject(json.linux) && isObject(json.linux.seccomp))
    json = json.linux.seccomp;
  if (!isObject(json)) throw new ProfileError('not a seccomp profile: expected a JSON object');
  if (json.defaultAction === undefined) fail('defaultAction', 'missing');
  const docker =
    'archMap' in json ||
    (Array.isArray(json.syscalls) &&
      json.syscalls.some(
        (s) => isObject(s) && ('includes' in s || 'excludes' in s || 'name' in s),
      ));
  const defaultErrnoRet = errnoRet(json.defaultErrnoRet, 'defaultErrnoRet');
  const syscalls = json.syscalls ?? [];
  if (!Array.isArray(syscalls)) fail('syscalls', 'must be a list');
  return {
    source,
    format: docker ? 'docker' : 'oci',
    defaultAction: action(json.defaultAction, 'defaultAction', defaultErrnoRet),
    ...(defaultErrnoRet === undefined ? {} : { defaultErrnoRet }),
    architectures: architectures(json),
    rules: syscalls.map(rule),
  };
}

/** Where a profile is resolved: the native architecture, the process's capabilities, the kernel. */
export interface ResolveContext {
  /** SCMP_ARCH_* of this machine. */
  readonly arch: string;
  /** Effective capabilities of the process that runs under the filter (CAP_SYS_ADMIN, ...). */
  readonly caps: ReadonlySet<string>;
  /** uname -r, for includes.minKernel. */
  readonly kernel: string;
}

function kernelAtLeast(release: string, min: string): boolean {
  const [a = 0, b = 0] = release.split(/[.-]/).map(Number);
  const [c = 0, d = 0] = min.split('.').map(Number);
  return a !== c ? a > c : b >= d;
}

/** moby's rule filter: every include must hold, and no exclude may. */
function applies(r: ProfileRule, ctx: ResolveContext): boolean {
  const goArch = SCMP_ARCHES[ctx.arch]?.go ?? '';
  const inc = r.includes;
  const exc = r.excludes;
  if (inc.arches.length > 0 && !inc.arches.includes(goArch)) return false;
  if (!inc.caps.every((c) => ctx.caps.has(c))) return false;
  if (inc.minKernel !== undefined && !kernelAtLeast(ctx.kernel, inc.minKernel)) return false;
  if (exc.arches.includes(goArch)) return false;
  if (exc.caps.some((c) => ctx.caps.has(c))) return false;
  if (exc.minKernel !== undefined && kernelAtLeast(ctx.kernel, exc.minKernel)) return false;
  return true;
}

/** The action as the filter returns it: an ERRNO or TRACE without errnoRet carries EPERM (runc). */
function filterAction(a: ProfileAction): FilterAction {
  const carries = a.kind === 'errno' || a.kind === 'trace';
  return { kind: a.kind, data: carries ? (a.errnoRet ?? EPERM) : 0 };
}

/** runc: args AND-ed in one rule, unless an index repeats; then one rule per arg. */
function alternatives(args: readonly ArgCmp[]): ArgCmp[][] {
  if (args.length === 0) return [[]];
  const indexes = new Set(args.map((a) => a.index));
  return indexes.size === args.length ? [[...args]] : args.map((a) => [a]);
}

function describeAction(a: ProfileAction, data: number): string {
  return a.kind === 'errno' || a.kind === 'trace' ? `${a.name} errnoRet ${data}` : a.name;
}

/** The profile as the kernel will run it on this architecture, for a process with these capabilities. */
export function resolveSeccompProfile(p: SeccompProfile, ctx: ResolveContext): SeccompFilter {
  if (!Object.hasOwn(SCMP_ARCHES, ctx.arch))
    throw new ProfileError(`architecture ${ctx.arch} is not one libseccomp names`);
  const entries: FilterEntry[] = p.rules
    .filter((r) => applies(r, ctx))
    .map((r) => {
      const act = filterAction(r.action);
      const what = `${r.names.length > 3 ? `${r.names.slice(0, 3).join(', ')}, ...` : r.names.join(', ')}: ${describeAction(r.action, act.data)}${r.args.length ? ' if args match' : ''}`;
      return {
        label: `syscalls[${r.index}] (${what})`,
        names: r.names,
        action: act,
        alternatives: alternatives(r.args),
      };
    });
  const def = filterAction(p.defaultAction);
  return {
    source: p.source,
    arch: ctx.arch,
    defaultAction: def,
    entries,
  };
}

/** The label of a filter's default action, as outcomes name it. */
export function defaultLabel(f: SeccompFilter): string {
  const name = Object.entries(ACTIONS).find(([, k]) => k === f.defaultAction.kind)?.[0] ?? '';
  const data = f.defaultAction.kind === 'errno' || f.defaultAction.kind === 'trace';
  return `defaultAction (${name}${data ? ` errnoRet ${f.defaultAction.data}` : ''})`;
}
