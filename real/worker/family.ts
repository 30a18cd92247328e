/**
 * The family steps of one case (real/family-protocol.ts) on the running
 * kernel: io_submit, io_getevents, io_pgetevents, io_cancel, user-space
 * reaping, and read/write on the case's pipes and eventfds. Symbolic names
 * are resolved here: files to fds (family-files.ts), iocbs to memory of ours
 * (iocb-memory.ts), `{submitted, index}` to the very address io_submit was
 * given, and back: an event whose obj is one of the case's iocbs is reported
 * by name.
 *
 * Choices a model must share (documented in the report):
 * - an empty `iocbs` list is passed as iocbpp = NULL; otherwise the array ends
 *   at a PROT_NONE page, so an nr larger than the list faults on the entry past it;
 * - `unmapped` is the executor's unmapped page (below every mapping, never
 *   reached by mmap); an unmapped data buffer's default nbytes is one page;
 * - data buffers are filled with BUFFER_FILL; io_cancel's result buffer is 32
 *   bytes of RESULT_FILL;
 * - the events buffer holds max(1, nr) events (capped at MAX_EVENTS).
 */
import { IO_EVENT_OFFSETS, IOCB_BYTES, IOCB_OFFSETS, IOVEC_BYTES } from '../../model/abi/iocb.js';
import { AIO_RING_HEADER_BYTES, IO_EVENT_BYTES } from '../../model/abi/ring-header.js';
import { CaseFiles } from '../family-files.js';
import type {
  FamilyRealStep,
  FamilyStepResult,
  RingEnds,
  S64,
  WireBufSpec,
  WireCancelTarget,
  WireCtxRef,
  WireEvent,
  WireEvents,
  WireFileSpec,
  WireIocb,
  WireIocbEntry,
  WireSig,
  WireTimeout,
} from '../family-protocol.js';
import {
  BUFFER_FILL,
  CaseMemory,
  type IocbFields,
  RESULT_FILL,
  writeIocb,
} from '../iocb-memory.js';
import type { Libc } from '../libc.js';
import { GLIBC_SIGSET_BYTES, PROT_READ } from '../libc.js';
import type { PendingUsr1 } from '../pending-signal.js';
import { SIGUSR1, sigsetOf } from '../pending-signal.js';
import { jsonInteger } from '../protocol.js';
import type { SafeMemory } from '../safe-memory.js';

/** What the executor knows about contexts. */
export interface CtxResolver {
  /** The handle a ref names (0 when the setup step named made no context). */
  handle(ref: WireCtxRef): bigint;
  /** ring->nr of a live context of ours at `handle`, or null when there is none there. */
  liveRingNr(handle: bigint): number | null;
}

/**
 * The most events a buffer is sized for: more than any ring holds (aio-max-nr
 * bounds it, 2 * 65536 by default) and than gVisor ever returns. Only the
 * pages written are ever backed, so a big nr costs address space, not memory.
 */
const MAX_EVENTS = 1 << 22;

type Named = { readonly submitted: number; readonly index: number };

export class FamilyCase {
  private readonly files: CaseFiles;
  private readonly mem: CaseMemory;
  /** The pointer value each submit step passed for each entry, by step index. */
  private readonly submitted = new Map<number, readonly bigint[]>();
  /** The case's iocb addresses, named. */
  private readonly names = new Map<bigint, Named>();

  constructor(
    private readonly c: Libc,
    pageSize: number,
    private readonly safe: SafeMemory,
    private readonly unmapped: bigint,
    files: readonly WireFileSpec[],
    private readonly ctxs: CtxResolver,
    private readonly usr1: PendingUsr1,
  ) {
    this.mem = new CaseMemory(c, pageSize);
    this.files = new CaseFiles(c, files);
  }

  /** Close the case's fds and unmap its memory. */
  close(): void {
    this.files.close();
    this.mem.free();
  }

  run(step: FamilyRealStep, index: number): FamilyStepResult {
    switch (step.op) {
      case 'submit':
        return this.submit(step, index);
      case 'getevents':
      case 'pgetevents':
        return this.getevents(step);
      case 'cancel':
        return this.cancel(step);
      case 'reap':
        return this.reap(step.ctx, step.max);
      case 'fdwrite':
      case 'fdread':
        return this.fdio(step);
    }
  }

  private submit(step: Extract<FamilyRealStep, { op: 'submit' }>, index: number): FamilyStepResult {
    const ptrs = step.iocbs.map((e) => this.entry(e));
    ptrs.forEach((p, i) => {
      if (isIocb(step.iocbs[i]!)) this.names.set(p, { submitted: index, index: i });
    });
    this.submitted.set(index, ptrs);
    const array =
      step.array === 'unmapped'
        ? this.unmapped
        : ptrs.length === 0
          ? 0n
          : this.mem.guardedArray(ptrs);
    const ctx = this.ctxs.handle(step.ctx);
    const nr = step.nr ?? step.iocbs.length;
    const ret = this.c.syscallSubmit(this.c.arch.syscalls.io_submit, ctx, nr, array);
    const errno = ret === -1 ? this.c.errno() : 0;
    const keys = step.iocbs.map((e, i) =>
      isIocb(e) ? this.mem.view(ptrs[i]!, IOCB_BYTES).getUint32(IOCB_OFFSETS.key, true) : null,
    );
    return { op: 'submit', ret, errno, keys, ring: this.ringEnds(ctx) };
  }

  private getevents(
    step: Extract<FamilyRealStep, { op: 'getevents' | 'pgetevents' }>,
  ): FamilyStepResult {
    const c = this.c;
    const ctx = this.ctxs.handle(step.ctx);
    const kind = step.events ?? 'buffer';
    const capacity = Math.max(1, Math.min(step.nr, MAX_EVENTS));
    const events = this.eventsBuffer(kind, capacity);
    const timeout = this.timeout(step.timeout ?? { sec: 0, nsec: 0 });
    let call: () => number;
    if (step.op === 'getevents') {
      call = () =>
        c.syscallGetevents(c.arch.syscalls.io_getevents, ctx, step.minNr, step.nr, events, timeout);
    } else {
      const usig = this.usig(step.sig ?? 'null');
      call = () =>
        c.syscallPgetevents(
          c.arch.syscalls.io_pgetevents,
          ctx,
          step.minNr,
          step.nr,
          events,
          timeout,
          usig,
        );
    }
    let usr1: number | undefined;
    let ret: number;
    let errno: number;
    const withErrno = () => {
      const r = call();
      return { r, e: r === -1 ? c.errno() : 0 };
    };
    if (step.op === 'pgetevents' && step.pendingUsr1) {
      const out = this.usr1.around(withErrno);
      ({ r: ret, e: errno } = out.result);
      usr1 = out.usr1;
    } else ({ r: ret, e: errno } = withErrno());
    const got =
      kind === 'buffer' && ret > 0 ? this.decodeEvents(events, Math.min(ret, capacity)) : [];
    return {
      op: step.op,
      ret,
      errno,
      events: got,
      ring: this.ringEnds(ctx),
      ...(usr1 === undefined ? {} : { usr1 }),
    };
  }

  private cancel(step: Extract<FamilyRealStep, { op: 'cancel' }>): FamilyStepResult {
    const ctx = this.ctxs.handle(step.ctx);
    const iocb = this.cancelTarget(step.iocb);
    const RESULT_BYTES = IO_EVENT_BYTES;
    const result = step.result === 'null' ? 0n : this.mem.filled(RESULT_BYTES, RESULT_FILL);
    const ret = this.c.syscallCancel(this.c.arch.syscalls.io_cancel, ctx, iocb, result);
    const errno = ret === -1 ? this.c.errno() : 0;
    const resultUntouched =
      result === 0n
        ? undefined
        : new Uint8Array(this.c.view(result, RESULT_BYTES)).every((b) => b === RESULT_FILL);
    return {
      op: 'cancel',
      ret,
      errno,
      ...(resultUntouched === undefined ? {} : { resultUntouched }),
      ring: this.ringEnds(ctx),
    };
  }

  /**
   * User-space reaping, as libaio's harness (17.t/19.t) and fio do it: while
   * head != tail and fewer than `max` were taken, copy slot `head` (at 32 +
   * 32*head) and store (head + 1) % nr. Only on a live ring of ours; the ring
   * is read and written through SafeMemory, so a slot outside it ends the loop.
   */
  private reap(ref: WireCtxRef, max: number): FamilyStepResult {
    const handle = this.ctxs.handle(ref);
    if (this.ctxs.liveRingNr(handle) === null) return { op: 'reap', events: [], ring: null };
    const events: WireEvent[] = [];
    while (events.length < max) {
      const h = this.safe.read(handle, AIO_RING_HEADER_BYTES);
      if (!h) break;
      const v = new DataView(h.buffer, h.byteOffset, h.byteLength);
      const [nr, head, tail] = [v.getUint32(4, true), v.getUint32(8, true), v.getUint32(12, true)];
      if (head === tail || nr === 0) break;
      const slot = this.safe.read(
        handle + BigInt(AIO_RING_HEADER_BYTES + IO_EVENT_BYTES * head),
        IO_EVENT_BYTES,
      );
      if (!slot) break;
      events.push(this.decodeEvent(new DataView(slot.buffer, slot.byteOffset, IO_EVENT_BYTES), 0));
      const next = new Uint8Array(4);
      new DataView(next.buffer).setUint32(0, (head + 1) % nr, true);
      if (!this.safe.write(handle + 8n, next)) break;
    }
    return { op: 'reap', events, ring: this.ringEnds(handle) };
  }

  private fdio(step: Extract<FamilyRealStep, { op: 'fdwrite' | 'fdread' }>): FamilyStepResult {
    const fd = this.files.fd(step.fd);
    const eventfd = this.files.kind(step.fd) === 'eventfd';
    const buf = this.mem.alloc(step.bytes);
    if (step.op === 'fdwrite') {
      const bytes = new Uint8Array(this.c.view(buf, Math.max(step.bytes, 1)));
      for (let i = 0; i < step.bytes; i++) bytes[i] = i & 0xff;
      // An eventfd is written a u64 1 (model/family/steps.ts).
      if (eventfd && step.bytes >= 8) this.mem.view(buf, 8).setBigUint64(0, 1n, true);
      const ret = this.c.write(fd, buf, step.bytes);
      return { op: 'fdwrite', ret, errno: ret === -1 ? this.c.errno() : 0 };
    }
    const ret = this.c.read(fd, buf, step.bytes);
    const value =
      eventfd && ret === 8 ? jsonInteger(this.mem.view(buf, 8).getBigUint64(0, true)) : undefined;
    return {
      op: 'fdread',
      ret,
      errno: ret === -1 ? this.c.errno() : 0,
      ...(value === undefined ? {} : { value }),
    };
  }

  /** The pointer an iocbpp entry holds. */
  private entry(e: WireIocbEntry): bigint {
    if ('null' in e) return 0n;
    if ('unmapped' in e) return this.unmapped;
    return this.iocb(e);
  }

  /** A struct iocb in our memory (a page of its own, made read-only, for `readonly`). */
  private iocb(spec: WireIocb): bigint {
    const fields = this.fields(spec);
    const addr = spec.readonly ? this.mem.pages(IOCB_BYTES) : this.mem.alloc(IOCB_BYTES);
    writeIocb(this.mem.view(addr, IOCB_BYTES), 0, fields);
    if (spec.readonly) this.mem.protect(addr, IOCB_BYTES, PROT_READ);
    return addr;
  }

  private fields(spec: WireIocb): IocbFields {
    const { buf, count } = this.buffer(spec.buf);
    return {
      data: big(spec.data ?? 0),
      key: spec.key ?? 0,
      rwFlags: spec.rwFlags ?? 0,
      opcode: spec.opcode,
      reqprio: spec.reqprio ?? 0,
      fildes: this.files.fd(spec.fd),
      buf,
      nbytes: spec.nbytes === undefined ? count : big(spec.nbytes),
      offset: big(spec.offset ?? 0),
      reserved2: big(spec.reserved2 ?? 0),
      flags: spec.flags ?? 0,
      resfd: spec.resfd ? this.files.fd(spec.resfd) : 0,
    };
  }

  /** aio_buf, and the default aio_nbytes that goes with it (bytes, or the iovec count). */
  private buffer(spec: WireBufSpec | undefined): { buf: bigint; count: bigint } {
    if (spec === undefined) return { buf: 0n, count: 0n };
    if ('bytes' in spec)
      return { buf: this.mem.filled(spec.bytes, BUFFER_FILL), count: BigInt(spec.bytes) };
    if ('value' in spec) return { buf: big(spec.value), count: 0n };
    if ('unmapped' in spec) return { buf: this.unmapped, count: BigInt(this.mem.pageSize) };
    const iov = this.mem.alloc(IOVEC_BYTES * spec.iov.length);
    const v = this.mem.view(iov, Math.max(IOVEC_BYTES * spec.iov.length, 1));
    spec.iov.forEach((x, i) => {
      const [base, len] =
        'bytes' in x
          ? [this.mem.filled(x.bytes, BUFFER_FILL), BigInt(x.bytes)]
          : [big(x.base), big(x.len)];
      v.setBigUint64(i * IOVEC_BYTES, BigInt.asUintN(64, base), true);
      v.setBigUint64(i * IOVEC_BYTES + 8, BigInt.asUintN(64, len), true);
    });
    return { buf: iov, count: BigInt(spec.iov.length) };
  }

  private cancelTarget(t: WireCancelTarget): bigint {
    if ('null' in t) return 0n;
    if ('unmapped' in t) return this.unmapped;
    if ('fresh' in t) return this.iocb(t.fresh);
    const ptr = this.submitted.get(t.submitted)?.[t.index];
    if (ptr === undefined)
      throw new Error(`cancel: no iocb #${t.index} of submit step ${t.submitted}`);
    return ptr;
  }

  private eventsBuffer(kind: WireEvents, capacity: number): bigint {
    const bytes = capacity * IO_EVENT_BYTES;
    switch (kind) {
      case 'null':
        return 0n;
      case 'unmapped':
        return this.unmapped;
      case 'readonly':
        return this.mem.pages(bytes, PROT_READ);
      case 'buffer':
        return this.mem.alloc(bytes);
    }
  }

  private timeout(t: WireTimeout): bigint {
    if (t === 'null') return 0n;
    if (t === 'unmapped') return this.unmapped;
    const addr = this.mem.alloc(16);
    const v = this.mem.view(addr, 16);
    v.setBigInt64(0, BigInt.asIntN(64, big(t.sec)), true);
    v.setBigInt64(8, BigInt.asIntN(64, big(t.nsec)), true);
    return addr;
  }

  /** io_pgetevents' 6th argument: { const sigset_t *sigmask; size_t sigsetsize; }. */
  private usig(s: WireSig): bigint {
    if (s === 'null') return 0n;
    if (s === 'unmapped') return this.unmapped;
    const mask =
      s.mask === 'null'
        ? 0n
        : s.mask === 'unmapped'
          ? this.unmapped
          : this.sigset(s.mask === 'block-usr1' ? sigsetOf(SIGUSR1) : null);
    const addr = this.mem.alloc(16);
    const v = this.mem.view(addr, 16);
    v.setBigUint64(0, mask, true);
    v.setBigUint64(8, BigInt.asUintN(64, big(s.size)), true);
    return addr;
  }

  private sigset(bits: Buffer | null): bigint {
    const addr = this.mem.alloc(GLIBC_SIGSET_BYTES);
    if (bits) new Uint8Array(this.c.view(addr, GLIBC_SIGSET_BYTES)).set(bits);
    return addr;
  }

  private decodeEvents(addr: bigint, n: number): WireEvent[] {
    const v = this.mem.view(addr, n * IO_EVENT_BYTES);
    return Array.from({ length: n }, (_, i) => this.decodeEvent(v, i * IO_EVENT_BYTES));
  }

  private decodeEvent(v: DataView, at: number): WireEvent {
    const o = IO_EVENT_OFFSETS;
    const obj = v.getBigUint64(at + o.obj, true);
    const named = this.names.get(obj);
    return {
      data: jsonInteger(v.getBigUint64(at + o.data, true)),
      obj: named ? { ...named } : { raw: jsonInteger(obj) },
      res: jsonInteger(v.getBigInt64(at + o.res, true)),
      res2: jsonInteger(v.getBigInt64(at + o.res2, true)),
    };
  }

  /** ring->head and ring->tail at a live ring of ours. */
  private ringEnds(handle: bigint): RingEnds {
    if (this.ctxs.liveRingNr(handle) === null) return null;
    const b = this.safe.read(handle + 8n, 8);
    if (!b) return null;
    const v = new DataView(b.buffer, b.byteOffset, 8);
    return { head: v.getUint32(0, true), tail: v.getUint32(4, true) };
  }
}

function isIocb(e: WireIocbEntry): e is WireIocb {
  return !('null' in e) && !('unmapped' in e);
}

/** A wire u64/s64 as a bigint. */
function big(v: S64): bigint {
  return BigInt(v);
}
