/**
 * The family stream's two ends agree: bench/family-stream.ts writes family
 * cases as lines, and bench/c/family.c, in --check mode, reads them back and
 * prints the calls it would make for each case (making none). The expected
 * calls are derived here, from the Case objects themselves and the worker's
 * documented choices (real/worker/family.ts, real/family-files.ts): a pipe's
 * fd without an end is its read end; aio_nbytes defaults to the buffer's size,
 * the iovec count, one page for an unmapped buffer, 0 otherwise; an events
 * buffer holds max(1, min(nr, 2^22)) events; an eventfd is written a u64 1; a
 * timeout defaults to {0, 0}. Not with the writer's code: a field the writer
 * drops or garbles, or the reader misreads, shows as a different line.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { familyStream } from '../../bench/family-stream.js';
import type { Case } from '../../conformance/cases.js';
import {
  cancel,
  collect,
  DIR,
  eventfd,
  f,
  fdread,
  fdwrite,
  getevents,
  NULL_ENTRY,
  ONE_SECOND,
  pipe,
  poll,
  pread,
  preadv,
  pwrite,
  resfd,
  setup,
  submit,
  UNMAPPED_ENTRY,
} from '../../conformance/family/build.js';
import { familyPropsCases } from '../../conformance/gen/family-props.js';
import type { BufSpec, FdRef, FileSpec, IocbEntry, IocbSpec } from '../../model/family/steps.js';

const ROOT = resolve(import.meta.dirname, '../..');
const gcc = spawnSync('gcc', ['--version']).status === 0 ? null : 'no gcc';
const linux = process.platform === 'linux' ? null : `not Linux (${process.platform})`;
const skip = linux ?? gcc;
const PAGE = 4096; // the page size the checked cases assume (x86_64; arm64 hosts may differ)
const pageSize = Number(spawnSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).stdout.trim());

/** The calls a case makes, derived from the case (the format family.c --check prints). */
function expectedCalls(c: Case, index: number): string[] {
  const files = c.files ?? [];
  const out = [`case ${index}`];
  for (const [i, file] of files.entries()) out.push(openLine(file, i));
  const setups: number[] = [];
  c.steps.forEach((s, i) => {
    switch (s.op) {
      case 'setup':
        setups.push(i);
        out.push(`io_setup ${s.nr} -> s${i}`);
        return;
      case 'submit': {
        const array =
          s.array === 'unmapped' ? 'unmapped' : s.iocbs.length === 0 ? 'null' : 'guarded';
        out.push(
          `io_submit ${ctx(s.ctx)} nr ${s.nr ?? s.iocbs.length} entries ${s.iocbs.length} array ${array}`,
        );
        for (const e of s.iocbs) out.push(...entryLines(e, files));
        return;
      }
      case 'getevents': {
        const events = s.events ?? 'buffer';
        const capacity = Math.max(1, Math.min(s.nr, 2 ** 22));
        const t = s.timeout ?? { sec: 0n, nsec: 0n };
        const timeout = typeof t === 'string' ? t : `${t.sec},${t.nsec}`;
        out.push(
          `io_getevents ${ctx(s.ctx)} min_nr ${s.minNr} nr ${s.nr} events ${events} capacity ${capacity} timeout ${timeout}`,
        );
        return;
      }
      case 'cancel': {
        const t = s.iocb;
        const target =
          'submitted' in t ? `s${t.submitted}.${t.index}` : 'null' in t ? 'null' : 'unmapped';
        out.push(
          `io_cancel ${ctx(s.ctx)} iocb ${target} result ${s.result === 'null' ? 'null' : 'buffer'}`,
        );
        return;
      }
      case 'fdwrite': {
        const isEventfd = 'file' in s.fd && files[s.fd.file]?.kind === 'eventfd';
        const what = isEventfd && s.bytes >= 8 ? 'u64 1' : 'pattern';
        out.push(`write ${fdName(s.fd, files)} bytes ${s.bytes} ${what}`);
        return;
      }
      case 'fdread':
        out.push(`read ${fdName(s.fd, files)} bytes ${s.bytes}`);
        return;
      default:
        throw new Error(`no expectation for ${s.op}`);
    }
  });
  for (const i of setups) out.push(`io_destroy s${i}`);
  out.push(`close ${files.length}`);
  return out;
}

function openLine(file: FileSpec, i: number): string {
  switch (file.kind) {
    case 'file':
      return `open file${i} ${file.mode} size ${file.size ?? 0} append ${file.append ? 1 : 0}`;
    case 'dir':
      return `open dir${i}`;
    case 'pipe':
      return `pipe2 pipe${i} nonblock ${file.nonblock ? 1 : 0} fill ${file.fill ?? 0}`;
    case 'eventfd':
      return `eventfd eventfd${i} nonblock ${file.nonblock ? 1 : 0} count ${file.count ?? 0}`;
  }
}

const ctx = (c: { setup: number } | { address: string }) =>
  'setup' in c ? `s${c.setup}` : `@${BigInt(c.address)}`;

function fdName(r: FdRef, files: readonly FileSpec[]): string {
  if ('fd' in r) return `#${r.fd >>> 0}`;
  const kind = files[r.file]!.kind;
  // A pipe's fd without an end is its read end (real/family-files.ts).
  const end = kind !== 'pipe' ? '' : r.end === 'write' ? '.w' : '.r';
  return `${kind}${r.file}${end}`;
}

function defaultNbytes(b: BufSpec | undefined): bigint {
  if (b === undefined || 'value' in b) return 0n;
  if ('bytes' in b) return BigInt(b.bytes);
  if ('unmapped' in b) return BigInt(PAGE);
  return BigInt(b.iov.length);
}

function entryLines(e: IocbEntry, files: readonly FileSpec[]): string[] {
  if ('null' in e) return ['  null'];
  if ('unmapped' in e) return ['  unmapped'];
  const i = e as IocbSpec;
  const b = i.buf;
  const buf =
    b === undefined
      ? 'none'
      : 'bytes' in b
        ? 'bytes'
        : 'value' in b
          ? `value ${BigInt.asUintN(64, b.value)}`
          : 'unmapped' in b
            ? 'unmapped'
            : 'iov';
  const u64 = (v: bigint | undefined) => BigInt.asUintN(64, v ?? 0n);
  const line =
    `  iocb data ${u64(i.data)} key ${i.key ?? 0} rw_flags ${i.rwFlags ?? 0} opcode ${i.opcode}` +
    ` reqprio ${i.reqprio ?? 0} fildes ${fdName(i.fd, files)} buf ${buf}` +
    ` nbytes ${i.nbytes === undefined ? defaultNbytes(b) : u64(i.nbytes)}` +
    ` offset ${BigInt.asIntN(64, i.offset ?? 0n)} reserved2 ${u64(i.reserved2)} flags ${i.flags ?? 0}` +
    ` resfd ${i.resfd === undefined ? '#0' : fdName(i.resfd, files)} readonly ${i.readonly ? 1 : 0}`;
  const iov =
    b !== undefined && 'iov' in b
      ? b.iov.map((v) =>
          'bytes' in v ? `  iov bytes ${v.bytes}` : `  iov base ${u64(v.base)} len ${u64(v.len)}`,
        )
      : [];
  return [line, ...iov];
}

/** Cases reaching the forms family-props rarely or never draws. */
const handMade: Case[] = [
  {
    files: [{ kind: 'file', mode: 'r', size: 8192, append: true }, DIR, eventfd(3, true), pipe(5)],
    steps: [
      setup(1),
      submit(
        0,
        [
          pread(f(0), 512, 4096n, { data: 7n, key: 0xdead_beef, readonly: true }),
          NULL_ENTRY,
          UNMAPPED_ENTRY,
          preadv(f(3, 'read'), [0, 3]),
          {
            opcode: 8,
            fd: f(3, 'write'),
            buf: { iov: [{ base: 0xffff_ffff_0000_0000n, len: 1n << 63n }] },
          },
          resfd(pwrite(f(1), 16, -1n), f(2)),
          { opcode: 1, fd: { fd: 0xffff_ffff }, buf: { unmapped: true }, reqprio: -3 },
          poll(f(3), 1, { nbytes: (1n << 64n) - 1n, reserved2: 1n, flags: 0x8000_0002 }),
        ],
        { nr: 9 },
      ),
      cancel(0, { submitted: 1, index: 7 }, 'null'),
      cancel(0, { null: true }),
      cancel(0, { unmapped: true }),
      getevents(0, 0, 0, 'null', { events: 'null' }),
      getevents(0, 1, -5, 'unmapped', { events: 'unmapped' }),
      getevents(0, 2, 1 << 23, { sec: -1n, nsec: 999_999_999n }, { events: 'readonly' }),
      { op: 'getevents', ctx: { address: '0' }, minNr: 0, nr: 4 },
      fdwrite(f(2), 8),
      fdwrite(f(3, 'write'), 3),
      fdread(f(2), 8),
      fdread(f(3), 16),
      submit(0, [], { array: 'unmapped', nr: -1 }),
      submit(0, []),
      setup(),
      collect(19),
      getevents(19, 1, 16, ONE_SECOND),
    ],
  },
];

describe.skipIf(skip !== null)(
  `the family stream: bench.ts's writer and family.c's reader${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'aiospec-bench-check-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    function check(cases: readonly Case[]): string[] {
      const bin = join(dir, 'family');
      const cc = spawnSync('gcc', ['-O2', '-o', bin, join(ROOT, 'bench/c/family.c'), '-lpthread'], {
        encoding: 'utf8',
      });
      expect(cc.status, cc.stderr).toBe(0);
      const stream = join(dir, 'stream.txt');
      writeFileSync(stream, familyStream(cases));
      const r = spawnSync(bin, ['--check', stream], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout.trimEnd().split('\n');
    }

    it.skipIf(pageSize !== PAGE)('agree on family-props cases, field by field', () => {
      const cases = familyPropsCases(60, 7);
      expect(check(cases)).toEqual(cases.flatMap((c, i) => expectedCalls(c, i)));
    });

    it.skipIf(pageSize !== PAGE)(
      'agree on every form the stream has (entries, iovecs, literal fds and contexts, odd buffers and timeouts)',
      () => {
        expect(check(handMade)).toEqual(handMade.flatMap((c, i) => expectedCalls(c, i)));
      },
    );

    it('the stream refuses what it has no form for, rather than dropping it', () => {
      const reap: Case = {
        files: [pipe()],
        steps: [setup(), { op: 'reap', ctx: { setup: 0 }, max: 1 }],
      };
      expect(() => familyStream([reap])).toThrow(/no reap step/);
      expect(() => familyStream([{ headroom: 5n, steps: [setup()] }])).toThrow(/headroom/);
    });
  },
);
