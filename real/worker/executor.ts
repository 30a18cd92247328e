/**
 * Executes protocol steps on the running kernel, inside the worker process.
 * Keeps the contexts it creates (refs) until told to release them, and never
 * dereferences in JavaScript an address the kernel gave it.
 */
import { readFileSync } from 'node:fs';
import { AioNrReader } from '../aio-nr-reader.js';
import { CtxArena, type CtxKind } from '../ctx-pointers.js';
import type { Libc } from '../libc.js';
import {
  MAP_ANONYMOUS,
  MAP_FAILED,
  MAP_PRIVATE,
  PROT_READ,
  PROT_WRITE,
  RLIMIT_AS,
} from '../libc.js';
import { mappingSizes } from '../proc-maps.js';
import type {
  ClobberResult,
  Completion,
  DestroyResult,
  DestroyTarget,
  FillResult,
  RealStep,
  ReleaseResult,
  RingRead,
  SetupResult,
  StepResult,
  U64,
} from '../protocol.js';
import { SafeMemory } from '../safe-memory.js';

const ENOMEM = 12;
/** How long a step waits for io_destroy's effects before giving up on it. */
const DESTROY_EFFECT_TIMEOUT_MS = 5000;

interface Ref {
  readonly handle: bigint;
  live: boolean;
  /** ring->id as the kernel wrote it, so that a clobbered ring can be repaired before release. */
  readonly slot: number | null;
  clobbered: boolean;
  /** Mapping size, measured lazily from /proc/self/maps while the ring is still mapped. */
  mapBytes?: number | null;
  /** The result object still waiting for mapBytes. */
  result?: { mapBytes?: number | null } | undefined;
}

function u64(n: bigint | null): U64 | null {
  if (n === null) return null;
  return n <= 9007199254740991n ? Number(n) : n.toString();
}

const hex = (n: bigint) => `0x${n.toString(16)}`;

export class Executor {
  private readonly arena: CtxArena;
  private readonly mem: SafeMemory;
  private readonly aioNr: AioNrReader;
  private readonly refs = new Map<number, Ref>();
  private nextRef = 0;
  private nextToken = 0;
  private completions: Completion[] = [];
  private readonly inflight = new Set<Promise<void>>();
  private readonly mincoreVec: bigint;
  private readonly rlimit = new BigUint64Array(2);

  constructor(
    private readonly c: Libc,
    readonly pageSize: number,
  ) {
    this.arena = new CtxArena(c, pageSize);
    this.mem = new SafeMemory(c, this.arena.bounce, this.arena.bounceBytes);
    // aio-nr digits go to the middle of page 0 (1024..1055), clear of the ctx slot and the bounce buffer.
    const aioBuf = this.arena.base + 1024n;
    this.aioNr = new AioNrReader(c, aioBuf, new Uint8Array(c.view(aioBuf, 32)));
    this.mincoreVec = this.arena.base + 1536n;
  }

  get liveRefs(): number {
    let n = 0;
    for (const r of this.refs.values()) if (r.live) n++;
    return n;
  }

  /** Run one case's steps; results in order. */
  async runCase(steps: readonly RealStep[]): Promise<StepResult[]> {
    const out: StepResult[] = [];
    for (const step of steps) out.push(await this.step(step));
    return out;
  }

  /** Fill in mapBytes of every ring measured lazily (one /proc/self/maps read for all of them). */
  measurePendingMaps(): void {
    const pending = [...this.refs.values()].filter(
      (r) => r.live && r.result && r.mapBytes === undefined,
    );
    if (pending.length === 0) return;
    const sizes = mappingSizes(pending.map((r) => r.handle));
    for (const r of pending) {
      r.mapBytes = sizes.get(r.handle) ?? null;
      r.result!.mapBytes = r.mapBytes;
      r.result = undefined;
    }
  }

  takeCompletions(): Completion[] {
    const c = this.completions;
    this.completions = [];
    return c;
  }

  /** Wait until every io_destroy issued so far has returned. */
  async drain(): Promise<Completion[]> {
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
    return this.takeCompletions();
  }

  private async step(step: RealStep): Promise<StepResult> {
    switch (step.op) {
      case 'setup':
        return this.setup(step.nr, step.ctx, step.asHeadroom);
      case 'destroy':
        return this.destroy(step.target);
      case 'clobber':
        return this.clobber(step.ref, step.id);
      case 'fill':
        return this.fill(BigInt(step.headroom));
      case 'release':
        return this.release();
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

  setup(nr: number, kind: CtxKind, asHeadroom?: U64): SetupResult {
    const c = this.c;
    const ctxp = this.arena.prepare(kind);
    const before = this.aioNr.read();
    const restore = asHeadroom === undefined ? null : this.limitAddressSpace(BigInt(asHeadroom));
    const r = c.syscallU32Ptr(c.arch.syscalls.io_setup, nr >>> 0, ctxp);
    const errno = r === -1 ? c.errno() : 0;
    if (restore) this.restoreAddressSpace(restore);
    const after = this.aioNr.read();
    const ctxAfter = this.arena.readBack(kind);
    const result: SetupResult & { mapBytes?: number | null } = {
      op: 'setup',
      ret: r,
      errno,
      ctxAfter: ctxAfter === null ? null : hex(ctxAfter),
      aioNrBefore: u64(before),
      aioNrAfter: u64(after),
    };
    if (r !== 0) return result;
    // Success. The handle is only known where the kernel could write it back.
    const handle = ctxAfter !== null && ctxAfter !== CtxArena.initial(kind) ? ctxAfter : null;
    if (handle === null) return result;
    const ref = this.nextRef++;
    const out = { ...result, ref, handle: hex(handle), ring: this.readRing(handle) };
    this.refs.set(ref, {
      handle,
      live: true,
      slot: out.ring?.id ?? null,
      clobbered: false,
      result: out,
    });
    return out;
  }

  private readRing(handle: bigint): RingRead | null {
    const b = this.mem.read(handle, 32);
    if (!b) return null;
    const v = new DataView(b.buffer);
    const u = (i: number) => v.getUint32(i * 4, true);
    return {
      id: u(0),
      nr: u(1),
      head: u(2),
      tail: u(3),
      magic: u(4),
      compatFeatures: u(5),
      incompatFeatures: u(6),
      headerLength: u(7),
    };
  }

  /** Soft RLIMIT_AS = current size + headroom; returns the previous limit to restore. */
  private limitAddressSpace(headroom: bigint): BigUint64Array {
    const old = new BigUint64Array(2);
    this.c.getrlimit(RLIMIT_AS, old);
    const statm = statmPages();
    const limit = statm * BigInt(this.pageSize) + headroom;
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

  private resolve(target: DestroyTarget): { addr: bigint; ref?: Ref; scratch?: bigint } {
    if ('ref' in target) {
      const ref = this.refs.get(target.ref);
      if (!ref) throw new Error(`destroy: unknown ref ${target.ref}`);
      return { addr: ref.handle, ref };
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

  /** io_destroy on the thread pool; the step ends when it returns or its effect (the ring unmapped) is visible. */
  async destroy(target: DestroyTarget): Promise<DestroyResult> {
    const { addr, ref, scratch } = this.resolve(target);
    if (ref?.live && ref.result) this.measurePendingMaps();
    const mappedBefore = this.isMapped(addr);
    const before = this.aioNr.read();
    const { token, done } = this.issueDestroy(addr);
    const settled = await this.waitFor(
      () => done.value !== undefined || (mappedBefore && !this.isMapped(addr)),
    );
    const after = this.aioNr.read();
    const ringGone = mappedBefore && !this.isMapped(addr);
    if (ref && ringGone) ref.live = false;
    let scratchUnmapped: boolean | undefined;
    if (scratch !== undefined) {
      scratchUnmapped = !this.isMapped(scratch);
      if (!scratchUnmapped) this.c.munmap(scratch, this.pageSize);
    }
    const returned = done.value;
    if (returned) this.completions = this.completions.filter((x) => x.token !== token);
    const result: DestroyResult = {
      op: 'destroy',
      handle: hex(addr),
      ret: returned ? returned.ret : null,
      errno: returned ? returned.errno : 0,
      ringGone,
      aioNrBefore: u64(before),
      aioNrAfter: u64(after),
      ...(returned ? {} : { token }),
      ...(scratchUnmapped === undefined ? {} : { scratchUnmapped }),
    };
    if (!settled)
      throw new Error(
        `io_destroy(${hex(addr)}) neither returned nor took effect within ${DESTROY_EFFECT_TIMEOUT_MS} ms`,
      );
    return result;
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

  private async waitFor(cond: () => boolean): Promise<boolean> {
    const deadline = Date.now() + DESTROY_EFFECT_TIMEOUT_MS;
    while (!cond()) {
      if (Date.now() > deadline) return false;
      await new Promise((r) => setImmediate(r));
    }
    return true;
  }

  clobber(refId: number, id: number): ClobberResult {
    const ref = this.refs.get(refId);
    if (!ref?.live) throw new Error(`clobber: ref ${refId} is not a live context of this worker`);
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
  fill(headroom: bigint): FillResult {
    const maxText = readSysctl('aio-max-nr');
    const fillers: { nr: number; result: SetupResult }[] = [];
    if (maxText === null) return { op: 'fill', fillers, reached: false, aioNrAfter: null };
    const max = BigInt(maxText);
    const PER_FILLER = 4_194_304n;
    for (let i = 0; i < 16; i++) {
      const now = this.aioNr.read() ?? 0n;
      const gap = max - now - headroom;
      if (gap <= 0n) break;
      const nr = Number(gap < PER_FILLER ? gap : PER_FILLER);
      const result = this.setup(nr, 'zero');
      fillers.push({ nr, result });
      if (result.ret !== 0) break; // someone else took the room meanwhile; the model is told what happened
    }
    const after = this.aioNr.read();
    return {
      op: 'fill',
      fillers,
      reached: after !== null && max - after === headroom,
      aioNrAfter: u64(after),
    };
  }

  /**
   * Destroy every live context concurrently and return once all their rings are
   * gone. Clobbered rings get their id back first, or io_destroy could not find them.
   */
  async release(): Promise<ReleaseResult> {
    this.measurePendingMaps();
    const live = [...this.refs.entries()].filter(([, r]) => r.live);
    for (const [, r] of live)
      if (r.clobbered && r.slot !== null) r.clobbered = !this.writeRingId(r, r.slot);
    const calls = live.map(([, r]) => this.issueDestroy(r.handle).done);
    const ok = await this.waitFor(() =>
      live.every(([, r], i) => calls[i]!.value !== undefined || !this.isMapped(r.handle)),
    );
    if (!ok) throw new Error('release: rings still mapped after the timeout');
    const released: number[] = [];
    live.forEach(([id, r], i) => {
      const failed = calls[i]!.value !== undefined && calls[i]!.value!.ret !== 0;
      if (!failed) {
        r.live = false;
        released.push(id);
      }
    });
    return { op: 'release', refs: released, aioNrAfter: u64(this.aioNr.read()) };
  }
}

function readSysctl(name: string): string | null {
  try {
    return readFileSync(`/proc/sys/fs/${name}`, 'utf8').trim();
  } catch {
    return null;
  }
}

/** Total program size in pages (/proc/self/statm, first field): what RLIMIT_AS is checked against. */
function statmPages(): bigint {
  return BigInt(readFileSync('/proc/self/statm', 'utf8').split(' ')[0]!);
}
