/**
 * A case's family steps in the worker's wire form (real/family-protocol.ts):
 * contexts named by setup step ({setup: i} becomes {step: i}), u64 and s64
 * values as JSON numbers while exact and decimal strings beyond
 * (real/protocol.ts jsonInteger; s64 strings may start with "-").
 */
import type {
  BufSpec,
  CancelTarget,
  CtxRef,
  FamilyStep,
  FileSpec,
  IocbEntry,
  IocbSpec,
  SigSpec,
  TimeoutSpec,
} from '../../model/family/steps.js';
import type {
  FamilyRealStep,
  WireBufSpec,
  WireCancelTarget,
  WireCtxRef,
  WireFileSpec,
  WireIocb,
  WireIocbEntry,
  WireSig,
  WireTimeout,
} from '../../real/family-protocol.js';
import { jsonInteger } from '../../real/protocol.js';

export function wireCtx(c: CtxRef): WireCtxRef {
  return 'setup' in c ? { step: c.setup } : { address: c.address };
}

function wireBuf(b: BufSpec): WireBufSpec {
  if ('value' in b) return { value: jsonInteger(b.value) };
  if ('iov' in b)
    return {
      iov: b.iov.map((v) =>
        'bytes' in v ? { bytes: v.bytes } : { base: jsonInteger(v.base), len: jsonInteger(v.len) },
      ),
    };
  return b;
}

/** Only the fields the iocb sets: absent stays absent (the worker leaves it 0). */
export function wireIocb(i: IocbSpec): WireIocb {
  const big = (v: bigint | undefined) => (v === undefined ? undefined : jsonInteger(v));
  const out: Record<string, unknown> = {
    opcode: i.opcode,
    fd: i.fd,
    data: big(i.data),
    key: i.key,
    rwFlags: i.rwFlags,
    reqprio: i.reqprio,
    buf: i.buf === undefined ? undefined : wireBuf(i.buf),
    nbytes: big(i.nbytes),
    offset: big(i.offset),
    reserved2: big(i.reserved2),
    flags: i.flags,
    resfd: i.resfd,
    readonly: i.readonly,
  };
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out as unknown as WireIocb;
}

function wireEntry(e: IocbEntry): WireIocbEntry {
  return 'null' in e || 'unmapped' in e ? e : wireIocb(e);
}

function wireTimeout(t: TimeoutSpec): WireTimeout {
  return typeof t === 'string' ? t : { sec: jsonInteger(t.sec), nsec: jsonInteger(t.nsec) };
}

function wireSig(s: SigSpec): WireSig {
  return typeof s === 'string' ? s : { mask: s.mask, size: jsonInteger(s.size) };
}

function wireCancel(t: CancelTarget): WireCancelTarget {
  return 'fresh' in t ? { fresh: wireIocb(t.fresh) } : t;
}

export function familyRealStep(s: FamilyStep): FamilyRealStep {
  switch (s.op) {
    case 'submit':
      return {
        op: 'submit',
        ctx: wireCtx(s.ctx),
        ...(s.nr === undefined ? {} : { nr: s.nr }),
        iocbs: s.iocbs.map(wireEntry),
        ...(s.array === undefined ? {} : { array: s.array }),
      };
    case 'getevents':
    case 'pgetevents': {
      const common = {
        ctx: wireCtx(s.ctx),
        minNr: s.minNr,
        nr: s.nr,
        ...(s.events === undefined ? {} : { events: s.events }),
        ...(s.timeout === undefined ? {} : { timeout: wireTimeout(s.timeout) }),
      };
      if (s.op === 'getevents') return { op: 'getevents', ...common };
      return {
        op: 'pgetevents',
        ...common,
        ...(s.sig === undefined ? {} : { sig: wireSig(s.sig) }),
        ...(s.pendingUsr1 === undefined ? {} : { pendingUsr1: s.pendingUsr1 }),
      };
    }
    case 'cancel':
      return {
        op: 'cancel',
        ctx: wireCtx(s.ctx),
        iocb: wireCancel(s.iocb),
        ...(s.result === undefined ? {} : { result: s.result }),
      };
    case 'reap':
      return { op: 'reap', ctx: wireCtx(s.ctx), max: s.max };
    case 'fdwrite':
    case 'fdread':
      return { op: s.op, fd: s.fd, bytes: s.bytes };
  }
}

/** The files as the worker opens them (the same shapes: no 64-bit fields). */
export function wireFiles(files: readonly FileSpec[]): WireFileSpec[] {
  return files.map((f) => ({ ...f }));
}
