/**
 * Values of `aiospec explain`'s family flags: signed longs, names of flag
 * bits, and the file an fd names in explain's fixed set of files. Node-free
 * and strict like numbers.ts: every error names the flag.
 */

import type { FdRef, FileSpec } from '../../model/index.js';
import { IOCB_CMD, IOCB_FLAG_IOPRIO, IOCB_FLAG_RESFD, RWF } from '../../model/index.js';
import { parseUnsigned } from './numbers.js';
import { UsageError } from './usage-error.js';

const U64_MAX = (1n << 64n) - 1n;

/**
 * A C long (s64): decimal or 0x hex, with an optional minus sign; a value
 * from 2^63 to 2^64 − 1 is its two's-complement bit pattern (0xffffffffffffffff is -1).
 */
export function parseLong(flag: string, text: string): bigint {
  const neg = text.startsWith('-');
  const n = parseUnsigned(
    flag,
    neg ? text.slice(1) : text,
    neg ? 1n << 63n : U64_MAX,
    'a signed 64-bit integer',
  );
  return BigInt.asIntN(64, neg ? -n : n);
}

/** An integer from min to max, sign allowed (min may be negative). */
export function parseSignedIn(flag: string, text: string, min: bigint, max: bigint): bigint {
  const n = parseLong(flag, text);
  if (n < min || n > max)
    throw new UsageError(`${flag}: ${text} is out of range (expected ${min} to ${max})`);
  return n;
}

/** A number, or names joined by `|` or `,` (case-insensitive), each a bit of `names`. */
export function parseBits(
  flag: string,
  text: string,
  names: Readonly<Record<string, number>>,
  max: bigint,
): number {
  if (/^[0-9]/.test(text)) return Number(parseUnsigned(flag, text, max, 'a bit mask'));
  let bits = 0;
  for (const part of text.split(/[|,]/)) {
    const bit = names[part.trim().toLowerCase()];
    if (bit === undefined)
      throw new UsageError(
        `${flag}: unknown name "${part}" (one of ${Object.keys(names).join(', ')}, or a number)`,
      );
    bits |= bit;
  }
  return bits;
}

export const RWF_NAMES: Readonly<Record<string, number>> = Object.fromEntries(
  Object.entries(RWF).map(([k, v]) => [k.toLowerCase(), v]),
);

export const IOCB_FLAG_NAMES: Readonly<Record<string, number>> = {
  resfd: IOCB_FLAG_RESFD,
  ioprio: IOCB_FLAG_IOPRIO,
};

export const OPCODE_NAMES: Readonly<Record<string, number>> = Object.fromEntries(
  Object.entries(IOCB_CMD).map(([k, v]) => [k.toLowerCase(), v]),
);

/** An opcode name (pread, …, noop) or a u16. */
export function parseOpcode(text: string): number {
  const named = OPCODE_NAMES[text.toLowerCase()];
  if (named !== undefined) return named;
  if (/^[0-9]/.test(text)) return Number(parseUnsigned('--opcode', text, 0xffffn, 'a u16'));
  throw new UsageError(
    `--opcode: unknown opcode "${text}" (one of ${Object.keys(OPCODE_NAMES).join(', ')}, or a u16)`,
  );
}

/**
 * The files every explained case has open, in this order (Case.files of the
 * family vocabulary): what --fd and --resfd name, and what the prior state
 * flags (--pending, --in-flight, io_cancel's targets) use. FILL stands for
 * --fill: bytes already in the pipe, the eventfd's count.
 */
export const EXPLAIN_FILES = [
  { name: 'file', what: 'a tmpfs file of 4096 bytes, O_RDWR' },
  { name: 'file:r', what: 'a tmpfs file of 4096 bytes, O_RDONLY' },
  { name: 'file:w', what: 'a tmpfs file of 4096 bytes, O_WRONLY' },
  { name: 'pipe', what: 'a pipe holding --fill bytes' },
  { name: 'eventfd', what: 'an eventfd whose count is --fill' },
  { name: 'dir', what: 'a directory, O_RDONLY' },
  { name: 'poll-pipe', what: 'an empty pipe (the POLL --iocb pending-poll waits on)' },
] as const;

export function explainFiles(fill: number): FileSpec[] {
  return [
    { kind: 'file', mode: 'rw', size: 4096 },
    { kind: 'file', mode: 'r', size: 4096 },
    { kind: 'file', mode: 'w', size: 4096 },
    { kind: 'pipe', fill },
    { kind: 'eventfd', count: fill },
    { kind: 'dir' },
    { kind: 'pipe' },
  ];
}

export const FD_KINDS = [
  'file',
  'file:r',
  'file:w',
  'file:rw',
  'pipe-read',
  'pipe-write',
  'eventfd',
  'dir',
  'closed',
] as const;

/** An fd flag's value: one of the files above, `closed` (no file has it), or a literal u32 (not open in the model). */
export function parseFd(flag: string, text: string): FdRef {
  switch (text) {
    case 'file':
    case 'file:rw':
      return { file: 0 };
    case 'file:r':
      return { file: 1 };
    case 'file:w':
      return { file: 2 };
    case 'pipe-read':
      return { file: 3, end: 'read' };
    case 'pipe-write':
      return { file: 3, end: 'write' };
    case 'eventfd':
      return { file: 4 };
    case 'dir':
      return { file: 5 };
    case 'closed':
      return { fd: 1000 };
  }
  if (/^[0-9]/.test(text))
    return { fd: Number(parseUnsigned(flag, text, 0xffff_ffffn, 'an fd (u32)')) };
  throw new UsageError(`${flag}: unknown fd "${text}" (one of ${FD_KINDS.join(', ')}, or a u32)`);
}

/** How an FdRef reads in explain's output, with --fill's value in place. */
export function describeFd(ref: FdRef | undefined, fill: number): string {
  if (ref === undefined) return '0';
  if ('fd' in ref) return `${ref.fd} (no file of the case: not open)`;
  const end = ref.end ? ` (${ref.end} end)` : '';
  const what = (EXPLAIN_FILES[ref.file]?.what ?? '?').replace('--fill', String(fill));
  return `file #${ref.file}: ${what}${end}`;
}
