/**
 * Executes protocol steps on the running kernel, inside the worker process.
 * Keeps the contexts it creates (refs) until told to release them, and never
 * dereferences in JavaScript an address the kernel gave it.
 *
 * Costs that matter, and how they are kept down:
 * - io_destroy waits for RCU grace periods (~30 ms): destroys run on the
 *   thread pool, many at once, and a step ends as soon as the ring is unmapped.
 * - /proc/self/maps costs ~150 us to read: ring sizes are measured lazily, for
 *   all pending rings at once, before any of them goes away.
 */
import { openSync, readSync } from 'node:fs';
import { errnoNumber } from '../../model/abi/errno.js';
import { INTERNAL_LIMIT_NR } from '../../model/abi/limits.js';
import {
  AIO_RING_HEADER_BYTES,
  AIO_RING_MAGIC,
  decodeRingHeader,
  IO_EVENT_BYTES,
} from '../../model/abi/ring-header.js';
import { AioNrReader } from '../aio-nr-reader.js';
import { pinToLowestCpu } from '../cpu-pin.js';
import { CtxArena, type CtxKind } from '../ctx-pointers.js';
import { armFailNth } from '../fail-nth.js';
import type { FamilyRealStep, FamilyStepResult, WireCtxRef } from '../family-protocol.js';
import type { Libc } from '../libc.js';
import {
  MAP_ANONYMOUS,
  MAP_FAILED,
  MAP_PRIVATE,
  PROT_READ,
  PROT_WRITE,
  RLIMIT_AS,
} from '../libc.js';
import { PendingUsr1 } from '../pending-signal.js';
import { aioRingCount } from '../proc-maps.js';
import {
  type CaseResults,
  type ClobberResult,
  type Completion,
  type DestroyResult,
  type DestroyTarget,
  type FillResult,
  hexAddress,
  jsonIntegerOrNull,
  type QuietWindow,
  type RealCase,
  type RealStep,
  type ReleaseResult,
  type Reply,
  type Request,
  type RingRead,
  type SetupResult,
  type Span,
  type StepResult,
  type U64,
} from '../protocol.js';
import { ringMappingSizes } from '../ring-mapping.js';
import { SafeMemory } from '../safe-memory.js';
import { type CtxResolver, FamilyCase } from './family.js';
import type { SigsysWatch } from './sigsys.js';

const ENOMEM = errnoNumber('ENOMEM');
const EINVAL = errnoNumber('EINVAL');
/** How long a step waits for io_destroy's effects (per 100 contexts, at least 5 s). */
const DESTROY_EFFECT_TIMEOUT_MS = 5000;
/**
 * Polls of a waiting destroy that look only at whether the ring's address is
 * still mapped (one mincore); later polls also read the header there, in case
 * the hole the ring left was mapped again by something else of this process.
 */
const SHALLOW_POLLS = 8;
/** Dead refs whose handle is kept for a later destroy by ref. */
const DEAD_REFS_KEPT = 4096;
/** The largest nr_events one filler context can take (the internal limit). */
const PER_FILLER = BigInt(INTERNAL_LIMIT_NR);

interface Ref {
  readonly handle: bigint;
  live: boolean;
  /** ring->id as the kernel wrote it, so that a clobbered ring can be repaired before release. */
  readonly slot: number | null;
  clobbered: boolean;
  /** The header the kernel wrote, to tell this ring from whatever may be mapped at its address later. */
  readonly header: RingRead | null;
  /** Whether the size of its mapping was measured (it must be, before the ring can go). */
  measured: boolean;
}

/** The ops of the rest of the family (real/family-protocol.ts), run by family.ts. */
const FAMILY_OPS: ReadonlySet<string> = new Set<FamilyRealStep['op']>([
  'submit',
  'getevents',
  'pgetevents',
  'cancel',
  'reap',
  'fdwrite',
  'fdread',
]);

function isFamilyStep(s: RealStep): s is FamilyRealStep {
  return FAMILY_OPS.has(s.op);
}

const u64 = jsonIntegerOrNull;
const hex = hexAddress;

export class Executor {
  private readonly arena: CtxArena;
  private readonly mem: SafeMemory;
  private readonly aioNr: AioNrReader;
  private readonly aioMaxNr: AioNrReader;
  private readonly refs = new Map<number, Ref>();
  /** Refs whose context is alive. */
  private readonly live = new Set<number>();
  /** The live ref whose ring starts at each address: what io_destroy(address) would destroy. */
  private readonly liveAt = new Map<bigint, number>();
  /**
   * Handles of the most recent refs whose context is gone (a stale handle can
   * still be passed by ref); older ones are forgotten, so that a run of
   * millions of contexts does not keep them all.
   */
  private readonly dead = new Map<number, bigint>();
  /** Refs whose ring size is not measured yet. */
  private unmeasured: number[] = [];
  /** Mapping sizes measured, by ref, until the batch's reply carries them (SetupResult.mapBytes). */
  private readonly sizes = new Map<number, number | null>();
  /** Whether io_getevents may be used to ask if a context is still in the table (see ringGone). */
  private probe = true;
  private nextRef = 0;
  private nextToken = 0;
  private completions: Completion[] = [];
  private readonly inflight = new Set<Promise<void>>();
  private readonly mincoreVec: bigint;
  private readonly rlimit = new BigUint64Array(2);
  /** Refs made by the steps of the case running now, by step index. */
  private caseRefs: (number | undefined)[] = [];
  /** Refs made by the cases of the batch running now (fillers excluded). */
  private batchRefs: number[] = [];
  private fillers: number[] = [];
  private fillLevel: bigint | null = null;
  /** The family state (files, iocb memory) of the case running now, made at its first need. */
  private family: FamilyCase | null = null;
  private readonly usr1: PendingUsr1;

  constructor(
    private readonly c: Libc,
    readonly pageSize: number,
  ) {
    this.arena = new CtxArena(c, pageSize);
    this.mem = new SafeMemory(c, this.arena.bounce, this.arena.bounceBytes);
    // aio-nr digits go to the middle of page 0 (1024..1055), clear of the ctx slot and the bounce buffer.
    const aioBuf = this.arena.base + 1024n;
    this.aioNr = new AioNrReader(c, aioBuf, new Uint8Array(c.view(aioBuf, 32)));
    const maxBuf = this.arena.base + 1088n;
    this.aioMaxNr = new AioNrReader(
      c,
      maxBuf,
      new Uint8Array(c.view(maxBuf, 32)),
      '/proc/sys/fs/aio-max-nr',
    );
    this.mincoreVec = this.arena.base + 1536n;
    this.usr1 = new PendingUsr1(c);
  }

  /** Set when the worker runs under a seccomp filter, which may TRAP its calls. */
  private sigsys: SigsysWatch | null = null;

  /** From now on, note SIGSYS with each call (see sigsys.ts). */
  watchSigsys(w: SigsysWatch): void {
    this.sigsys = w;
  }

  get liveRefs(): number {
    return this.live.size;
  }

  /** One batch request: fillers, cases, release; one reply. */
  async batch(
    req: Extract<Request, { type: 'batch' }>,
  ): Promise<Extract<Reply, { type: 'batch' }>> {
    const maxBefore = this.aioMaxNr.read();
    const fill =
      req.fill === undefined
        ? undefined
        : await this.setFill(req.fill === null ? null : BigInt(req.fill));
    this.batchRefs = [];
    const cases: CaseResults[] = [];
    for (const kase of req.cases) cases.push(await this.runCase(kase));
    this.measure(this.unmeasured);
    const released = req.releaseAfter ? await this.release(this.batchRefs) : undefined;
    return {
      type: 'batch',
      id: req.id,
      aioMaxNr: { before: u64(maxBefore), after: u64(this.aioMaxNr.read()) },
      ...(fill
        ? { fill: { released: fill.released, made: fill.made && this.sizedFill(fill.made) } }
        : {}),
      cases: cases.map((c) => ({ ...c, results: c.results.map((r) => this.sized(r)) })),
      ...(released ? { released } : {}),
      completions: this.takeCompletions(),
    };
  }

  /** Run one case's steps; results in order (plus the release of its contexts when asked). */
  async runCase(kase: RealCase): Promise<CaseResults> {
    this.caseRefs = [];
    const out: StepResult[] = [];
    const pin = kase.pin ? pinToLowestCpu(this.c) : null;
    let after: QuietWindow | undefined;
    let before: QuietWindow | undefined;
    try {
      if (kase.files || kase.steps.some(isFamilyStep)) this.family = this.familyCase(kase);
      before = kase.quietMs ? this.watch(kase.quietMs) : undefined;
      for (const step of kase.steps) {
        const r = await this.step(step, out.length);
        this.caseRefs.push(r.op === 'setup' ? r.ref : undefined);
        if (r.op === 'setup' && r.ref !== undefined) this.batchRefs.push(r.ref);
        out.push(r);
      }
      after = kase.quietMs ? this.watch(kase.quietMs) : undefined;
      if (kase.release)
        out.push(await this.release(this.caseRefs.filter((r): r is number => r !== undefined)));
    } finally {
      // After the release: a pending POLL holds its file until its context goes.
      this.family?.close();
      this.family = null;
      pin?.restore();
    }
    return {
      id: kase.id,
      results: out,
      ...(before && after ? { quiet: { before, after } } : {}),
    };
  }

  /**
   * Read aio-nr and aio-max-nr over and over for `ms` milliseconds, this
   * process doing nothing else: whatever moves them meanwhile is someone
   * else. (A process that charges aio-nr only for an instant, such as an
   * io_setup whose final write faults, can slip between two reads of a call's
   * own bracket; one that does anything else with AIO shows here.)
   */
  private watch(ms: number): QuietWindow {
    const span = (read: () => bigint | null) => {
      let lo: bigint | null = null;
      let hi: bigint | null = null;
      return {
        read: () => {
          const v = read();
          if (v === null) return;
          if (lo === null || v < lo) lo = v;
          if (hi === null || v > hi) hi = v;
        },
        get: (): Span => (lo === null || hi === null ? null : [u64(lo)!, u64(hi)!]),
      };
    };
    const nr = span(() => this.aioNr.read());
    const max = span(() => this.aioMaxNr.read());
    const end = performance.now() + ms;
    let reads = 0;
    do {
      nr.read();
      max.read();
      reads++;
    } while (performance.now() < end);
    return { aioNr: nr.get(), aioMaxNr: max.get(), reads };
  }

  takeCompletions(): Completion[] {
    const c = this.completions;
    this.completions = [];
    return c;
  }

  /**
   * Start the thread pool's threads now: io_destroy runs there, and threads
   * created later would map their stacks while rings are being unmapped.
   */
  async warmUp(): Promise<void> {
    const { done } = this.issueDestroy(0n);
    await this.waitFor(() => done.value !== undefined, DESTROY_EFFECT_TIMEOUT_MS);
    this.takeCompletions();
  }

  /** Wait until every io_destroy issued so far has returned. */
  async drain(): Promise<Completion[]> {
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
    return this.takeCompletions();
  }

  /** The ref made by a step of this case; undefined when that setup made no context. */
  private refOfStep(step: number): number | undefined {
    return this.caseRefs[step];
  }

  private familyCase(kase: RealCase): FamilyCase {
    const ctxs: CtxResolver = {
      handle: (ref: WireCtxRef) => {
        if ('address' in ref) return BigInt(ref.address);
        const id = this.refOfStep(ref.step);
        // The setup made no context: its ctx kept its value, 0, and that is what a C caller would pass.
        if (id === undefined) return 0n;
        return this.refs.get(id)?.handle ?? this.dead.get(id) ?? 0n;
      },
      liveRingNr: (handle: bigint) => {
        const id = this.liveAt.get(handle);
        const ref = id === undefined ? undefined : this.refs.get(id);
        return ref?.live ? (ref.header?.nr ?? 0) : null;
      },
    };
    return new FamilyCase(
      this.c,
      this.pageSize,
      this.mem,
      this.arena.unmapped,
      kase.files ?? [],
      ctxs,
      this.usr1,
    );
  }

  private familyStep(step: FamilyRealStep, index: number): FamilyStepResult {
    if (!this.family) throw new Error('family step outside a family case');
    return this.family.run(step, index);
  }

  private async step(step: RealStep, index: number): Promise<StepResult> {
    if (isFamilyStep(step)) return this.familyStep(step, index);
    switch (step.op) {
      case 'setup':
        return this.signalled(() => this.setup(step.nr, step.ctx, step.asHeadroom, step.failNth));
      case 'destroy':
        return this.signalled(() => this.destroy(step.target));
      case 'clobber':
        return this.clobber(step.ref ?? this.refOfStep(step.step ?? -1), step.id);
      case 'fill':
        return this.fill(BigInt(step.headroom));
      case 'release':
        return this.release(step.refs);
      case 'debug-crash':
        process.kill(process.pid, 'SIGSEGV');
        await new Promise(() => {});
        throw new Error('unreachable');
      case 'debug-hang':
        for (;;) {
          /* spin until the runner's timeout kills us */
        }
    }
  }

  /** A call, with `signal: "SIGSYS"` added when a seccomp TRAP answered it (only under a filter: see sigsys.ts). */
  private async signalled<R extends SetupResult | DestroyResult>(
    call: () => R | Promise<R>,
  ): Promise<R> {
    if (!this.sigsys) return call();
    const { result, sigsys } = await this.sigsys.around(call);
    return sigsys ? { ...result, signal: 'SIGSYS' } : result;
  }

  setup(nr: number, kind: CtxKind, asHeadroom?: U64, failNth?: number): SetupResult {
    const c = this.c;
    const ctxp = this.arena.prepare(kind);
    const ringsBefore = failNth === undefined ? 0 : aioRingCount();
    const before = this.aioNr.read();
    const restore = asHeadroom === undefined ? null : this.limitAddressSpace(BigInt(asHeadroom));
    // Armed last: the next allocation this thread makes is io_setup's own.
    const fault = failNth === undefined ? null : armFailNth(c, failNth);
    const r = c.syscallU32Ptr(c.arch.syscalls.io_setup, nr >>> 0, ctxp);
    const errno = r === -1 ? c.errno() : 0;
    const faultInjected = fault?.disarm();
    if (restore) this.restoreAddressSpace(restore);
    const after = this.aioNr.read();
    const ctxAfter = this.arena.readBack(kind);
    const result: SetupResult = {
      op: 'setup',
      ret: r,
      errno,
      ctxAfter: ctxAfter === null ? null : hex(ctxAfter),
      aioNrBefore: u64(before),
      aioNrAfter: u64(after),
      ...(faultInjected === undefined
        ? {}
        : { faultInjected, rings: { before: ringsBefore, after: aioRingCount() } }),
    };
    if (r !== 0) return result;
    // Success. The handle is only known where the kernel could write it back.
    const handle = ctxAfter !== null && ctxAfter !== CtxArena.initial(kind) ? ctxAfter : null;
    if (handle === null) return result;
    const ref = this.nextRef++;
    const ring = this.readRing(handle);
    this.refs.set(ref, {
      handle,
      live: true,
      slot: ring?.id ?? null,
      clobbered: false,
      header: ring,
      measured: false,
    });
    this.live.add(ref);
    this.liveAt.set(handle, ref);
    this.unmeasured.push(ref);
    return { ...result, ref, handle: hex(handle), ring };
  }

  /**
   * Measure the mappings of rings made but not measured yet, while they are
   * still there (see ring-mapping.ts for how that stays cheap); the sizes go
   * into the batch's reply (sized()). The header's ring->nr gives the size to
   * try first: (nr + 1) * 32 bytes is the whole ring.
   */
  private measure(ids: readonly number[]): void {
    const todo = ids.filter((id) => {
      const r = this.refs.get(id);
      return r?.live === true && !r.measured;
    });
    if (todo.length === 0) return;
    const refs = todo.map((id) => this.refs.get(id)!);
    const sizes = ringMappingSizes(
      refs.map((r) => ({
        handle: r.handle,
        guess: r.header ? (r.header.nr + 1) * IO_EVENT_BYTES : null,
      })),
    );
    todo.forEach((id, i) => {
      this.sizes.set(id, sizes[i]!);
      refs[i]!.measured = true;
    });
    const done = new Set(ids);
    this.unmeasured = this.unmeasured.filter((id) => !done.has(id));
  }

  /** A step result as the reply carries it: a setup that made a ring with its measured size. */
  private sized(r: StepResult): StepResult {
    if (r.op === 'setup') return this.sizedSetup(r);
    if (r.op === 'fill') return this.sizedFill(r);
    return r;
  }

  private sizedFill(f: FillResult): FillResult {
    return {
      ...f,
      fillers: f.fillers.map((x) => ({ nr: x.nr, result: this.sizedSetup(x.result) })),
    };
  }

  private sizedSetup(r: SetupResult): SetupResult {
    if (r.ref === undefined || !this.sizes.has(r.ref)) return r;
    const mapBytes = this.sizes.get(r.ref)!;
    this.sizes.delete(r.ref);
    return { ...r, mapBytes };
  }

  private readRing(handle: bigint): RingRead | null {
    const b = this.mem.read(handle, AIO_RING_HEADER_BYTES);
    return b ? decodeRingHeader(b) : null;
  }

  /** Soft RLIMIT_AS = current size + headroom; returns the previous limit to restore. */
  private limitAddressSpace(headroom: bigint): BigUint64Array {
    const old = new BigUint64Array(2);
    this.c.getrlimit(RLIMIT_AS, old);
    const limit = statmPages() * BigInt(this.pageSize) + headroom;
    this.rlimit[0] = limit < old[1]! ? limit : old[1]!;
    this.rlimit[1] = old[1]!;
    if (this.c.setrlimit(RLIMIT_AS, this.rlimit) !== 0)
      throw new Error(`setrlimit(RLIMIT_AS) failed: errno ${this.c.errno()}`);
    return old;
  }

  private restoreAddressSpace(old: BigUint64Array): void {
    if (this.c.setrlimit(RLIMIT_AS, old) !== 0)
      throw new Error(`restoring RLIMIT_AS failed: errno ${this.c.errno()}`);
  }

  private isMapped(addr: bigint): boolean {
    const page = addr - (addr % BigInt(this.pageSize));
    if (this.c.mincore(page, this.pageSize, this.mincoreVec) === 0) return true;
    return this.c.errno() !== ENOMEM;
  }

  private markDead(id: number, ref: Ref): void {
    ref.live = false;
    this.live.delete(id);
    if (this.liveAt.get(ref.handle) === id) this.liveAt.delete(ref.handle);
    this.refs.delete(id);
    this.dead.set(id, ref.handle);
    if (this.dead.size > DEAD_REFS_KEPT) this.dead.delete(this.dead.keys().next().value!);
  }

  /**
   * Whether this process's own evidence says the context is gone:
   * - io_getevents(ctx, 0, 0, NULL, NULL) fails with EINVAL (it never blocks
   *   with min_nr 0): the context is no longer in this process's table.
   *   kill_ioctx() marks it dead and frees its slot under mm->ioctx_lock, which
   *   every io_setup takes, so a later io_setup of ours finds the slot free; it
   *   then gives the charge back to aio-nr and unmaps the ring. (A clobbered
   *   ring->id makes that lookup fail too, so it is not asked of such a ring.)
   * - or, where that probe cannot be made (a seccomp filter refusing it), the
   *   ring's address is no longer mapped, or (`deep`) what is mapped there now
   *   is not this ring's header.
   * No io_setup of ours runs while we wait, so no other ring of ours can take
   * the address meanwhile.
   */
  private ringGone(ref: Ref, deep: boolean): boolean {
    if (this.probe && !ref.clobbered) {
      const r = this.c.syscallGetevents(
        this.c.arch.syscalls.io_getevents,
        ref.handle,
        0,
        0,
        null,
        null,
      );
      if (r === 0) return false;
      const errno = this.c.errno();
      if (errno === EINVAL) return true;
      this.probe = false; // refused (seccomp) or unknown here: use the mapping from now on
    }
    if (!this.isMapped(ref.handle)) return true;
    const h = ref.header;
    // gVisor's ring is a page of zeros, like any fresh mapping: only the call's return tells.
    if (!deep || h === null || h.magic !== AIO_RING_MAGIC) return false;
    const now = this.readRing(ref.handle);
    return (
      now === null ||
      now.magic !== h.magic ||
      now.nr !== h.nr ||
      now.headerLength !== h.headerLength ||
      now.compatFeatures !== h.compatFeatures ||
      now.incompatFeatures !== h.incompatFeatures
    );
  }

  private resolve(target: DestroyTarget): { addr: bigint; scratch?: bigint } {
    if ('ref' in target || 'step' in target) {
      const id = 'ref' in target ? target.ref : this.refOfStep(target.step);
      // The setup made no context: its ctx kept its value, 0, and that is what a C caller would pass.
      if (id === undefined) return { addr: 0n };
      const addr = this.refs.get(id)?.handle ?? this.dead.get(id);
      if (addr === undefined) throw new Error(`destroy: unknown or forgotten ref ${id}`);
      return { addr };
    }
    if ('address' in target) return { addr: BigInt(target.address) };
    if ('unmapped' in target) return { addr: this.arena.unmapped };
    const page = this.c.mmap(
      null,
      this.pageSize,
      PROT_READ | PROT_WRITE,
      MAP_PRIVATE | MAP_ANONYMOUS,
      -1,
      0,
    );
    if (page === MAP_FAILED)
      throw new Error(`mmap of a scratch page failed: errno ${this.c.errno()}`);
    const { offset, u32 } = target.scratch;
    new DataView(this.c.view(page, this.pageSize)).setUint32(offset, u32 >>> 0, true);
    return { addr: page + BigInt(offset), scratch: page };
  }

  /**
   * io_destroy on the thread pool; the step ends when it returns or its effect
   * is visible in this process: the ring of the context at that address (the
   * one the kernel destroys, whichever step made it: a stale handle whose
   * address a newer ring took names the newer one) is gone.
   */
  async destroy(target: DestroyTarget): Promise<DestroyResult> {
    const { addr, scratch } = this.resolve(target);
    const victimId = this.liveAt.get(addr);
    const victim = victimId === undefined ? undefined : this.refs.get(victimId)!;
    if (victimId !== undefined) this.measure([victimId]);
    const before = this.aioNr.read();
    const { token, done } = this.issueDestroy(addr);
    let polls = 0;
    const settled = await this.waitFor(
      () =>
        done.value !== undefined ||
        (victim !== undefined && this.ringGone(victim, ++polls > SHALLOW_POLLS)),
      DESTROY_EFFECT_TIMEOUT_MS,
    );
    const after = this.aioNr.read();
    const returned = done.value;
    const ringGone =
      victim !== undefined && (returned ? returned.ret === 0 : this.ringGone(victim, true));
    if (victim && ringGone) this.markDead(victimId!, victim);
    let scratchUnmapped: boolean | undefined;
    if (scratch !== undefined) {
      scratchUnmapped = !this.isMapped(scratch);
      if (!scratchUnmapped) this.c.munmap(scratch, this.pageSize);
    }
    if (returned) this.completions = this.completions.filter((x) => x.token !== token);
    if (!settled)
      throw new Error(
        `io_destroy(${hex(addr)}) neither returned nor took effect within ${DESTROY_EFFECT_TIMEOUT_MS} ms`,
      );
    return {
      op: 'destroy',
      handle: hex(addr),
      ret: returned ? returned.ret : null,
      errno: returned ? returned.errno : 0,
      ringGone,
      ...(victimId === undefined ? {} : { ref: victimId }),
      aioNrBefore: u64(before),
      aioNrAfter: u64(after),
      ...(returned ? {} : { token }),
      ...(scratchUnmapped === undefined ? {} : { scratchUnmapped }),
    };
  }

  private issueDestroy(addr: bigint): { token: number; done: { value?: Completion } } {
    const token = this.nextToken++;
    const done: { value?: Completion } = {};
    const p = new Promise<void>((resolve) => {
      this.c.syscallU64.async(this.c.arch.syscalls.io_destroy, addr, (err, r) => {
        if (err) throw err;
        const completion = { token, ret: r, errno: r === -1 ? this.c.errno() : 0 };
        done.value = completion;
        this.completions.push(completion);
        resolve();
      });
    });
    this.inflight.add(p);
    p.then(() => this.inflight.delete(p));
    return { token, done };
  }

  /**
   * Poll `cond` until it holds. The first polls only yield to the event loop;
   * after that the worker sleeps between polls, leaving the CPU to the
   * thread-pool threads whose io_destroy calls it is waiting for. (Sleeping a
   * few microseconds in usleep before each of the first polls was tried: no
   * faster.)
   */
  private async waitFor(cond: () => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (let polls = 0; !cond(); polls++) {
      if (Date.now() > deadline) return false;
      await new Promise((r) => (polls < 64 ? setImmediate(r) : setTimeout(r, 1)));
    }
    return true;
  }

  /** Overwrite ring->id; nothing is written where there is no live ring (its address may hold anything now). */
  clobber(refId: number | undefined, id: number): ClobberResult {
    const ref = refId === undefined ? undefined : this.refs.get(refId);
    if (!ref?.live) return { op: 'clobber', written: false };
    const written = this.writeRingId(ref, id);
    if (written) ref.clobbered = id !== ref.slot;
    return { op: 'clobber', written };
  }

  private writeRingId(ref: Ref, id: number): boolean {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setUint32(0, id >>> 0, true);
    return this.mem.write(ref.handle, bytes);
  }

  /** Bring aio-max-nr - aio-nr down to `headroom` with filler contexts (each at most the internal limit). */
  async fill(headroom: bigint): Promise<FillResult> {
    const fillers: { nr: number; result: SetupResult }[] = [];
    const max = this.aioMaxNr.read();
    if (max === null) return { op: 'fill', fillers, reached: false, aioNrAfter: null };
    for (let i = 0; i < 16; i++) {
      const gap = max - (this.aioNr.read() ?? 0n) - headroom;
      if (gap <= 0n) break;
      const nr = Number(gap < PER_FILLER ? gap : PER_FILLER);
      const result = await this.signalled(() => this.setup(nr, 'zero'));
      fillers.push({ nr, result });
      if (result.ref !== undefined) this.fillers.push(result.ref);
      if (result.ret !== 0) break; // someone else took the room meanwhile; the runner is told what happened
    }
    this.measure(this.fillers);
    const after = this.aioNr.read();
    return {
      op: 'fill',
      fillers,
      reached: after !== null && max - after === headroom,
      aioNrAfter: u64(after),
    };
  }

  /** Hold the headroom at `level` (null: no fillers). Lowering it only adds fillers. */
  private async setFill(
    level: bigint | null,
  ): Promise<{ released: ReleaseResult | null; made: FillResult | null }> {
    let released: ReleaseResult | null = null;
    const lower = level !== null && this.fillLevel !== null && level <= this.fillLevel;
    if (!lower && this.fillers.length > 0) {
      released = await this.release(this.fillers);
      this.fillers = [];
    }
    this.fillLevel = level;
    return { released, made: level === null ? null : await this.fill(level) };
  }

  /**
   * Destroy contexts concurrently and return once all their rings are gone
   * (default: every live one), by this process's own evidence: each call
   * returned, or its ring is no longer there (see ringGone). aio-nr is global:
   * another process's release could make it drop by as much, so it proves
   * nothing here. Clobbered rings get their id back first, or io_destroy could
   * not find them.
   */
  async release(only?: readonly number[]): Promise<ReleaseResult> {
    const ids = only ? only.filter((id) => this.live.has(id)) : [...this.live];
    if (ids.length === 0) return { op: 'release', refs: [], aioNrAfter: u64(this.aioNr.read()) };
    this.measure(ids);
    const live = ids.map((id) => [id, this.refs.get(id)!] as const);
    for (const [, r] of live)
      if (r.clobbered && r.slot !== null) r.clobbered = !this.writeRingId(r, r.slot);
    const calls = live.map(([, r]) => this.issueDestroy(r.handle).done);
    // The pool runs the calls about in the order issued: look at the oldest ring not seen gone
    // and go further only once it is, so that a poll costs a call or two, not one per ring.
    let next = 0;
    let pollsHere = 0;
    const timeout = DESTROY_EFFECT_TIMEOUT_MS + 50 * ids.length;
    const ok = await this.waitFor(() => {
      while (next < live.length) {
        const deep = ++pollsHere > SHALLOW_POLLS;
        if (calls[next]!.value === undefined && !this.ringGone(live[next]![1], deep)) return false;
        next++;
        pollsHere = 0;
      }
      return true;
    }, timeout);
    if (!ok)
      throw new Error(`release: ${live.length - next} rings still mapped after ${timeout} ms`);
    const released: number[] = [];
    live.forEach(([id, r], i) => {
      const failed = calls[i]!.value !== undefined && calls[i]!.value!.ret !== 0;
      if (!failed) {
        this.markDead(id, r);
        released.push(id);
      }
    });
    if (only === undefined) this.fillers = [];
    return { op: 'release', refs: released, aioNrAfter: u64(this.aioNr.read()) };
  }
}

/** Total program size in pages (/proc/self/statm, first field): what RLIMIT_AS is checked against. */
function statmPages(): bigint {
  statmFd ??= openSync('/proc/self/statm', 'r');
  const n = readSync(statmFd, statmBuf, 0, statmBuf.length, 0);
  return BigInt(statmBuf.toString('latin1', 0, n).split(' ')[0]!);
}

let statmFd: number | undefined;
const statmBuf = Buffer.alloc(128);
