/**
 * The wire form of the AIO family's steps (io_submit, io_getevents,
 * io_pgetevents, io_cancel, user-space reaping, pipe/eventfd I/O) and of what
 * a worker observed. Shapes follow the model's vocabulary
 * (model/family/steps.ts) with u64/s64 as U64 (JSON numbers while exact,
 * decimal strings beyond; s64 values may be negative) and contexts named by
 * the setup step of the case that made them.
 */
import type { U64 } from './protocol.js';

/** Signed 64-bit values on the wire: a JSON number while exact, a decimal string (maybe "-…") beyond. */
export type S64 = number | string;

export type WireFileSpec =
  | {
      readonly kind: 'file';
      readonly mode: 'r' | 'w' | 'rw';
      readonly size?: number;
      readonly append?: boolean;
    }
  | { readonly kind: 'pipe'; readonly nonblock?: boolean; readonly fill?: number }
  | { readonly kind: 'eventfd'; readonly count?: number; readonly nonblock?: boolean }
  | { readonly kind: 'dir' };

export type WireFdRef =
  | { readonly file: number; readonly end?: 'read' | 'write' }
  | { readonly fd: number };

/** A context: the one made by setup step `step` of the current case, or a literal address. */
export type WireCtxRef = { readonly step: number } | { readonly address: string };

export type WireIovSpec = { readonly bytes: number } | { readonly base: U64; readonly len: U64 };

export type WireBufSpec =
  | { readonly bytes: number }
  | { readonly value: U64 }
  | { readonly unmapped: true }
  | { readonly iov: readonly WireIovSpec[] };

export interface WireIocb {
  readonly opcode: number;
  readonly fd: WireFdRef;
  readonly data?: U64;
  readonly key?: number;
  readonly rwFlags?: number;
  readonly reqprio?: number;
  readonly buf?: WireBufSpec;
  readonly nbytes?: U64;
  readonly offset?: S64;
  readonly reserved2?: U64;
  readonly flags?: number;
  readonly resfd?: WireFdRef;
  readonly readonly?: boolean;
}

export type WireIocbEntry = WireIocb | { readonly null: true } | { readonly unmapped: true };

export type WireTimeout = 'null' | 'unmapped' | { readonly sec: S64; readonly nsec: S64 };

export type WireSig =
  | 'null'
  | 'unmapped'
  | { readonly mask: 'null' | 'unmapped' | 'empty' | 'block-usr1'; readonly size: U64 };

export type WireEvents = 'buffer' | 'null' | 'unmapped' | 'readonly';

export type WireCancelTarget =
  | { readonly submitted: number; readonly index: number }
  | { readonly null: true }
  | { readonly unmapped: true }
  | { readonly fresh: WireIocb };

export type FamilyRealStep =
  | {
      readonly op: 'submit';
      readonly ctx: WireCtxRef;
      readonly nr?: number;
      readonly iocbs: readonly WireIocbEntry[];
      readonly array?: 'unmapped';
    }
  | {
      readonly op: 'getevents';
      readonly ctx: WireCtxRef;
      readonly minNr: number;
      readonly nr: number;
      readonly events?: WireEvents;
      readonly timeout?: WireTimeout;
    }
  | {
      readonly op: 'pgetevents';
      readonly ctx: WireCtxRef;
      readonly minNr: number;
      readonly nr: number;
      readonly events?: WireEvents;
      readonly timeout?: WireTimeout;
      readonly sig?: WireSig;
      readonly pendingUsr1?: boolean;
    }
  | {
      readonly op: 'cancel';
      readonly ctx: WireCtxRef;
      readonly iocb: WireCancelTarget;
      readonly result?: 'null';
    }
  | { readonly op: 'reap'; readonly ctx: WireCtxRef; readonly max: number }
  | { readonly op: 'fdwrite'; readonly fd: WireFdRef; readonly bytes: number }
  | { readonly op: 'fdread'; readonly fd: WireFdRef; readonly bytes: number };

/** An event as the worker read it; `obj` named when it is one of the case's iocbs. */
export interface WireEvent {
  readonly data: U64;
  readonly obj: { readonly submitted: number; readonly index: number } | { readonly raw: U64 };
  readonly res: S64;
  readonly res2: S64;
}

/** ring->head and ring->tail after the step (null: the context has no ring this process can read). */
export type RingEnds = { readonly head: number; readonly tail: number } | null;

export type FamilyStepResult =
  | {
      readonly op: 'submit';
      /** The raw syscall return value (-1 with errno on failure). */
      readonly ret: number;
      readonly errno: number;
      /** aio_key of each entry afterwards (null for NULL/unmapped entries). */
      readonly keys: readonly (number | null)[];
      readonly ring: RingEnds;
    }
  | {
      readonly op: 'getevents' | 'pgetevents';
      readonly ret: number;
      readonly errno: number;
      /** The events written to the buffer (the first `ret` of them when ret > 0). */
      readonly events: readonly WireEvent[];
      readonly ring: RingEnds;
      /** pendingUsr1: how many times the SIGUSR1 handler ran during the call. */
      readonly usr1?: number;
    }
  | {
      readonly op: 'cancel';
      readonly ret: number;
      readonly errno: number;
      /** Whether the result buffer still holds what the worker put there (absent with result NULL). */
      readonly resultUntouched?: boolean;
      readonly ring: RingEnds;
    }
  | { readonly op: 'reap'; readonly events: readonly WireEvent[]; readonly ring: RingEnds }
  | {
      readonly op: 'fdwrite' | 'fdread';
      readonly ret: number;
      readonly errno: number;
      /** fdread of an eventfd: the count read (u64). */
      readonly value?: U64;
    };
