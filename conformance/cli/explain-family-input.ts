/**
 * What `aiospec explain io_submit|io_getevents|io_pgetevents|io_cancel` is
 * asked, from flag values: the call's arguments (symbolic, as the family
 * vocabulary names them), its environment, and the context it acts on with
 * the state that context is in. Node-free: only flag values in, a plain
 * object out (the seccomp profile file is read by explain.ts).
 */
import {
  type Environment,
  type ErrnoName,
  type EventsSpec,
  envProblem,
  errnoNumber,
  FAMILY_KERNELS,
  type FamilyEnv,
  type FamilyKernel,
  IOCB_CMD,
  IOPRIO_CLASS,
  IOPRIO_CLASS_SHIFT,
  type IocbEntry,
  type IocbSpec,
  type SeccompFilter,
  type SigSpec,
  type TimeoutSpec,
} from '../../model/index.js';
import { envFromValues, type FlagValues } from './env-values.js';
import {
  IOCB_FLAG_NAMES,
  parseBits,
  parseFd,
  parseLong,
  parseOpcode,
  parseSignedIn,
  RWF_NAMES,
} from './explain-family-values.js';
import { parseIntIn, parseU32, parseU64, parseUnsigned } from './numbers.js';
import { UsageError } from './usage-error.js';

export const FAMILY_CALLS = ['io_submit', 'io_getevents', 'io_pgetevents', 'io_cancel'] as const;
export type FamilyCallName = (typeof FAMILY_CALLS)[number];

export function isFamilyCall(name: string): name is FamilyCallName {
  return (FAMILY_CALLS as readonly string[]).includes(name);
}

/** Flags every family call takes (beside the environment flags), then each call's own. */
export const FAMILY_COMMON_FLAGS = [
  'kernel',
  'rt-ioprio',
  'ctx-nr',
  'bad-ctx',
  'pending',
  'in-flight',
  'fill',
] as const;

export const FAMILY_CALL_FLAGS: Readonly<Record<FamilyCallName, readonly string[]>> = {
  io_submit: [
    'nr',
    'iocbs',
    'iocbpp',
    'iocb',
    'opcode',
    'fd',
    'buf',
    'nbytes',
    'offset',
    'rw-flags',
    'reqprio',
    'flags',
    'resfd',
    'reserved2',
    'key',
    'data',
  ],
  io_getevents: ['min-nr', 'nr', 'events', 'timeout'],
  io_pgetevents: [
    'min-nr',
    'nr',
    'events',
    'timeout',
    'usig',
    'sigmask',
    'sigsetsize',
    'pending-usr1',
  ],
  io_cancel: ['iocb', 'key', 'result'],
};

/** Boolean flags among the family's (the rest take a value). */
export const FAMILY_BOOLEAN_FLAGS: readonly string[] = ['rt-ioprio', 'bad-ctx', 'pending-usr1'];

export interface SubmitArgs {
  readonly nr: bigint;
  /** iocbpp: a readable array, NULL, or a pointer to nothing. */
  readonly iocbpp: 'array' | 'null' | 'unmapped';
  readonly iocbs: readonly IocbEntry[];
}

export interface GetArgs {
  readonly minNr: bigint;
  readonly nr: bigint;
  readonly events: EventsSpec;
  readonly timeout: TimeoutSpec;
  readonly sig: SigSpec;
  readonly pendingUsr1: boolean;
}

export const CANCEL_TARGETS = [
  'pending-poll',
  'completed',
  'never-submitted',
  'null',
  'unmapped',
] as const;
export type CancelTargetKind = (typeof CANCEL_TARGETS)[number];

export interface CancelArgs {
  readonly target: CancelTargetKind;
  /** aio_key as the caller leaves it before io_cancel (null: what io_submit left, 0). */
  readonly key: number | null;
  readonly result: 'buffer' | 'null';
}

export type FamilyArgs =
  | { readonly syscall: 'io_submit'; readonly args: SubmitArgs }
  | { readonly syscall: 'io_getevents' | 'io_pgetevents'; readonly args: GetArgs }
  | { readonly syscall: 'io_cancel'; readonly args: CancelArgs };

export interface FamilyExplainInput {
  /** The environment as the flags give it (what explain shows). */
  readonly env: FamilyEnv;
  /** The environment the call is decided in: --seccomp ERRNO becomes a filter on this call. */
  readonly callEnv: FamilyEnv;
  /** The environment of the steps before the call (io_setup, prior submissions): no filters, AIO built. */
  readonly priorEnv: FamilyEnv;
  readonly call: FamilyArgs;
  /** io_setup's nr_events for the context. */
  readonly ctxNr: number;
  /** The call names handle 0 (no context) instead of the one made. */
  readonly badCtx: boolean;
  /** Requests submitted and completed before the call: their events wait in the ring. */
  readonly pending: number;
  /** FSYNCs submitted before the call: they complete on the workqueue, later. */
  readonly inFlight: number;
  /** Bytes in the pipe, count of the eventfd. */
  readonly fill: number;
}

const str = (values: FlagValues, name: string): string | undefined => {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
};

/** The filter `--seccomp ERRNO` stands for on a family call: that call answers ERRNO. */
export function sandboxFilter(syscall: FamilyCallName, errno: ErrnoName): SeccompFilter {
  return {
    source: 'the sandbox filter',
    arch: 'SCMP_ARCH_X86_64',
    defaultAction: { kind: 'allow', data: 0 },
    entries: [
      {
        label: `${syscall}: SECCOMP_RET_ERRNO(${errno})`,
        names: [syscall],
        action: { kind: 'errno', data: errnoNumber(errno) },
        alternatives: [[]],
      },
    ],
  };
}

function parseKernel(text: string | undefined): FamilyKernel | undefined {
  if (text === undefined) return undefined;
  const k = FAMILY_KERNELS.find((v) => v === text);
  if (!k) throw new UsageError(`--kernel: "${text}" is not one of ${FAMILY_KERNELS.join(', ')}`);
  return k;
}

/** The environments of a family explain, from the shared environment flags plus --kernel and --rt-ioprio. */
function familyEnvs(
  syscall: FamilyCallName,
  values: FlagValues,
): Pick<FamilyExplainInput, 'env' | 'callEnv' | 'priorEnv'> {
  if (values['fail-alloc'] !== undefined)
    throw new UsageError(
      `--fail-alloc: injects an io_setup allocation failure; ${syscall} has no such site`,
    );
  const base: Environment = envFromValues(values);
  if (base.profile === 'linux-3.12')
    throw new UsageError(
      '--profile linux-3.12: the family model follows Linux 6.1, 6.12 and 6.18 (--kernel) and gvisor',
    );
  const problem = envProblem(base);
  if (problem) throw new UsageError(problem);
  const kernel = parseKernel(str(values, 'kernel'));
  const env: FamilyEnv = {
    ...base,
    ...(kernel ? { kernel } : {}),
    ...(values['rt-ioprio'] === true ? { rtIoprio: true } : {}),
  };
  const sandbox = env.seccomp.action === 'errno' ? [sandboxFilter(syscall, env.seccomp.errno)] : [];
  const callEnv: FamilyEnv = {
    ...env,
    seccomp: { action: 'allow' },
    seccompFilters: [...(env.seccompFilters ?? []), ...sandbox],
  };
  const priorEnv: FamilyEnv = {
    ...env,
    seccomp: { action: 'allow' },
    seccompFilters: [],
    aioCompiled: true,
  };
  return { env, callEnv, priorEnv };
}

function count(values: FlagValues, name: string, fallback: number, max: number): number {
  const t = str(values, name);
  return t === undefined ? fallback : parseIntIn(`--${name}`, t, 0, max);
}

export function familyExplainInput(
  syscall: FamilyCallName,
  values: FlagValues,
): FamilyExplainInput {
  const own = new Set<string>(FAMILY_CALL_FLAGS[syscall]);
  for (const [name, v] of Object.entries(values)) {
    if (v === undefined || own.has(name)) continue;
    const owners = FAMILY_CALLS.filter((c) => FAMILY_CALL_FLAGS[c].includes(name));
    if (owners.length > 0)
      throw new UsageError(
        `--${name}: not a flag of ${syscall} (it is ${owners.map((o) => `${o}'s`).join(' and ')})`,
      );
    if (name === 'nr-events' || name === 'ctx')
      throw new UsageError(
        `--${name}: an io_setup flag (${syscall}'s context is made by io_setup(--ctx-nr))`,
      );
  }
  const envs = familyEnvs(syscall, values);
  const ctxNrText = str(values, 'ctx-nr');
  const common = {
    ...envs,
    ctxNr: ctxNrText === undefined ? 128 : parseU32('--ctx-nr', ctxNrText),
    badCtx: values['bad-ctx'] === true,
    pending: count(values, 'pending', 0, 65536),
    inFlight: count(values, 'in-flight', 0, 65536),
    fill: count(values, 'fill', 0, 65536),
  };
  switch (syscall) {
    case 'io_submit':
      return { ...common, call: { syscall, args: submitArgs(values) } };
    case 'io_getevents':
    case 'io_pgetevents':
      return { ...common, call: { syscall, args: getArgs(syscall, values) } };
    case 'io_cancel':
      return { ...common, call: { syscall, args: cancelArgs(values) } };
  }
}

/** The u16 aio_reqprio from `CLASS:LEVEL` (none, rt, be, idle) or an s16 / u16 bit pattern. */
function parseReqprio(text: string): number {
  const m = /^(none|rt|be|idle):([0-9]+)$/i.exec(text);
  if (m) {
    const cls = IOPRIO_CLASS[m[1]!.toUpperCase() as keyof typeof IOPRIO_CLASS];
    const level = parseIntIn('--reqprio', m[2]!, 0, (1 << IOPRIO_CLASS_SHIFT) - 1);
    return (cls << IOPRIO_CLASS_SHIFT) | level;
  }
  const n = Number(parseSignedIn('--reqprio', text, -0x8000n, 0xffffn));
  return (n << 16) >> 16; // s16
}

/** aio_buf: N bytes of fresh buffer, `iov:N,M,…` (fresh buffers), unmapped, kernel, or a 0x literal. */
function parseBuf(text: string): IocbSpec['buf'] {
  if (text === 'unmapped') return { unmapped: true };
  if (text === 'kernel') return { value: 0xffff_8000_0000_0000n };
  if (/^0[xX]/.test(text)) return { value: parseU64('--buf', text) };
  if (text.startsWith('iov:'))
    return {
      iov: text
        .slice(4)
        .split(',')
        .map((n) => ({ bytes: parseIntIn('--buf', n, 0, 1 << 20) })),
    };
  if (/^[0-9]/.test(text)) return { bytes: parseIntIn('--buf', text, 0, 1 << 20) };
  throw new UsageError(
    `--buf: "${text}" is not a byte count, iov:N[,M…], unmapped, kernel or a 0x literal`,
  );
}

/** aio_buf when --buf is not given: what the opcode would normally carry. */
function defaultBuf(opcode: number): IocbSpec['buf'] {
  switch (opcode) {
    case IOCB_CMD.PREAD:
    case IOCB_CMD.PWRITE:
      return { bytes: 4096 };
    case IOCB_CMD.PREADV:
    case IOCB_CMD.PWRITEV:
      return { iov: [{ bytes: 4096 }] };
    case IOCB_CMD.POLL:
      return { value: 1n }; // POLLIN
    default:
      return undefined;
  }
}

function submitArgs(values: FlagValues): SubmitArgs {
  const s = (name: string) => str(values, name);
  const opcode = s('opcode') === undefined ? IOCB_CMD.PREAD : parseOpcode(s('opcode')!);
  const buf = s('buf') === undefined ? defaultBuf(opcode) : parseBuf(s('buf')!);
  const flags =
    s('flags') === undefined ? 0 : parseBits('--flags', s('flags')!, IOCB_FLAG_NAMES, 0xffff_ffffn);
  const spec: IocbSpec = {
    opcode,
    fd: parseFd('--fd', s('fd') ?? 'file'),
    ...(buf === undefined ? {} : { buf }),
    ...(s('data') === undefined ? {} : { data: parseU64('--data', s('data')) }),
    ...(s('key') === undefined ? {} : { key: parseU32('--key', s('key')) }),
    ...(s('rw-flags') === undefined
      ? {}
      : { rwFlags: parseBits('--rw-flags', s('rw-flags')!, RWF_NAMES, 0xffff_ffffn) }),
    ...(s('reqprio') === undefined ? {} : { reqprio: parseReqprio(s('reqprio')!) }),
    ...(s('nbytes') === undefined ? {} : { nbytes: parseU64('--nbytes', s('nbytes')) }),
    ...(s('offset') === undefined ? {} : { offset: parseLong('--offset', s('offset')!) }),
    ...(s('reserved2') === undefined ? {} : { reserved2: parseU64('--reserved2', s('reserved2')) }),
    ...(flags === 0 ? {} : { flags }),
    // With IOCB_FLAG_RESFD and no --resfd, the case's eventfd is meant.
    ...(s('resfd') !== undefined
      ? { resfd: parseFd('--resfd', s('resfd')!) }
      : flags & 1
        ? { resfd: { file: 4 } }
        : {}),
  };
  const which = s('iocb');
  let entry: IocbEntry = spec;
  if (which === 'null') entry = { null: true };
  else if (which === 'unmapped') entry = { unmapped: true };
  else if (which === 'readonly') entry = { ...spec, readonly: true };
  else if (which !== undefined && which !== 'readable')
    throw new UsageError(
      `--iocb: "${which}" is not one of readable, readonly, null, unmapped (what iocbpp[0] points at)`,
    );
  const nr = s('nr') === undefined ? 1n : parseLong('--nr', s('nr')!);
  const iocbsText = s('iocbs');
  const n =
    iocbsText !== undefined
      ? parseIntIn('--iocbs', iocbsText, 0, 65536)
      : nr >= 1n && nr <= 4096n
        ? Number(nr)
        : 1;
  const iocbpp = s('iocbpp') ?? 'array';
  if (iocbpp !== 'array' && iocbpp !== 'null' && iocbpp !== 'unmapped')
    throw new UsageError(`--iocbpp: "${iocbpp}" is not one of array, null, unmapped`);
  return { nr, iocbpp, iocbs: new Array<IocbEntry>(n).fill(entry) };
}

/** A timeout: null, unmapped, SEC[.FRACTION] (a decimal), or SEC,NSEC (the two s64 fields as given). */
export function parseTimeout(text: string): TimeoutSpec {
  if (text === 'null' || text === 'unmapped') return text;
  const pair = /^([^,]+),([^,]+)$/.exec(text);
  if (pair)
    return { sec: parseLong('--timeout', pair[1]!), nsec: parseLong('--timeout', pair[2]!) };
  const dec = /^(-?[0-9]+)(?:\.([0-9]{1,9}))?$/.exec(text);
  if (dec) {
    const sec = parseLong('--timeout', dec[1]!);
    const nsec = BigInt((dec[2] ?? '0').padEnd(9, '0'));
    return { sec, nsec };
  }
  throw new UsageError(
    `--timeout: "${text}" is not null, unmapped, SEC[.FRACTION] or SEC,NSEC (e.g. 0, 1.5, -1,1000000000)`,
  );
}

const EVENTS = ['buffer', 'null', 'unmapped', 'readonly'] as const;

function getArgs(syscall: 'io_getevents' | 'io_pgetevents', values: FlagValues): GetArgs {
  const s = (name: string) => str(values, name);
  const events = s('events') ?? 'buffer';
  const ev = EVENTS.find((e) => e === events);
  if (!ev) throw new UsageError(`--events: "${events}" is not one of ${EVENTS.join(', ')}`);
  return {
    minNr: s('min-nr') === undefined ? 1n : parseLong('--min-nr', s('min-nr')!),
    nr: s('nr') === undefined ? 1n : parseLong('--nr', s('nr')!),
    events: ev,
    timeout: s('timeout') === undefined ? { sec: 0n, nsec: 0n } : parseTimeout(s('timeout')!),
    sig: syscall === 'io_pgetevents' ? sigArg(values) : 'null',
    pendingUsr1: values['pending-usr1'] === true,
  };
}

const MASKS = ['null', 'unmapped', 'empty', 'block-usr1'] as const;

/** io_pgetevents' usig: NULL unless --usig says otherwise or --sigmask/--sigsetsize describe the struct. */
function sigArg(values: FlagValues): SigSpec {
  const usig = str(values, 'usig');
  const mask = str(values, 'sigmask');
  const size = str(values, 'sigsetsize');
  if (usig !== undefined) {
    if (usig !== 'null' && usig !== 'unmapped')
      throw new UsageError(
        `--usig: "${usig}" is not null or unmapped (give --sigmask/--sigsetsize for a struct)`,
      );
    if (mask !== undefined || size !== undefined)
      throw new UsageError(
        `--usig ${usig}: there is no struct for --sigmask/--sigsetsize to describe`,
      );
    return usig;
  }
  if (mask === undefined && size === undefined) return 'null';
  const m = MASKS.find((k) => k === (mask ?? 'null'));
  if (!m) throw new UsageError(`--sigmask: "${mask}" is not one of ${MASKS.join(', ')}`);
  return {
    mask: m,
    size: size === undefined ? 8n : parseUnsigned('--sigsetsize', size, (1n << 64n) - 1n, 'a u64'),
  };
}

function cancelArgs(values: FlagValues): CancelArgs {
  const t = str(values, 'iocb') ?? 'pending-poll';
  const target = CANCEL_TARGETS.find((k) => k === t);
  if (!target) throw new UsageError(`--iocb: "${t}" is not one of ${CANCEL_TARGETS.join(', ')}`);
  const key = str(values, 'key');
  const result = str(values, 'result') ?? 'buffer';
  if (result !== 'buffer' && result !== 'null')
    throw new UsageError(`--result: "${result}" is not buffer or null`);
  if (key !== undefined && (target === 'null' || target === 'unmapped'))
    throw new UsageError(`--key: --iocb ${target} has no aio_key to set`);
  return { target, key: key === undefined ? null : parseU32('--key', key), result };
}
