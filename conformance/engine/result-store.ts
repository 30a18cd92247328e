/**
 * Every case's result, for the reporters that list cases one by one (TAP,
 * JUnit), kept in bounded memory: the first results stay in an array; past
 * that, all go to a temporary file of JSON lines, read back as the reporter
 * iterates. A run of ten million cases thus costs disk, not memory. The file
 * is removed when the process exits, however it exits short of SIGKILL.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { CaseResult } from './summary.js';

/** A divergence's values may be bigints (an aio-nr delta): on disk they are {"bigint": "<decimal>"}. */
function toLine(_key: string, v: unknown): unknown {
  return typeof v === 'bigint' ? { bigint: v.toString() } : v;
}

function fromLine(_key: string, v: unknown): unknown {
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    if (Object.keys(o).length === 1 && typeof o.bigint === 'string') return BigInt(o.bigint);
  }
  return v;
}

/** Results kept in memory before they go to disk (each is a few hundred bytes). */
const IN_MEMORY = 50_000;

export class ResultStore implements Iterable<CaseResult> {
  private readonly kept: CaseResult[] = [];
  private file: { readonly dir: string; readonly path: string; fd: number } | null = null;
  private pending: string[] = [];
  private n = 0;

  constructor(private readonly inMemory = IN_MEMORY) {}

  get count(): number {
    return this.n;
  }

  add(r: CaseResult): void {
    this.n++;
    if (this.file === null && this.kept.length < this.inMemory) {
      this.kept.push(r);
      return;
    }
    if (this.file === null) this.spill();
    this.pending.push(JSON.stringify(r, toLine));
    if (this.pending.length >= 4096) this.flush();
  }

  private spill(): void {
    const dir = mkdtempSync(join(tmpdir(), 'aiospec-results-'));
    const path = join(dir, 'results.jsonl');
    this.file = { dir, path, fd: openSync(path, 'w+') };
    const file = this.file;
    process.once('exit', () => rmSync(file.dir, { recursive: true, force: true }));
    for (const r of this.kept.splice(0)) this.pending.push(JSON.stringify(r, toLine));
  }

  private flush(): void {
    if (this.file === null || this.pending.length === 0) return;
    writeSync(this.file.fd, `${this.pending.join('\n')}\n`);
    this.pending = [];
  }

  *[Symbol.iterator](): Iterator<CaseResult> {
    if (this.file === null) {
      yield* this.kept;
      return;
    }
    this.flush();
    const buf = Buffer.alloc(1 << 20);
    // A character may straddle two reads: the decoder keeps its first bytes for the next.
    const decoder = new StringDecoder('utf8');
    let offset = 0;
    let rest = '';
    for (;;) {
      const got = readSync(this.file.fd, buf, 0, buf.length, offset);
      if (got === 0) break;
      offset += got;
      const lines = (rest + decoder.write(buf.subarray(0, got))).split('\n');
      rest = lines.pop()!;
      for (const l of lines) if (l) yield JSON.parse(l, fromLine) as CaseResult;
    }
    if (rest) yield JSON.parse(rest, fromLine) as CaseResult;
  }

  /** Remove the file now (the summary's results are read). */
  dispose(): void {
    if (this.file === null) return;
    closeSync(this.file.fd);
    rmSync(this.file.dir, { recursive: true, force: true });
    this.file = null;
  }
}
