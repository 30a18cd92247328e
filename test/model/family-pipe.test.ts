/**
 * Pipes count capacity in page buffers (fs/pipe.c). Expected values measured
 * on the host (6.18, 4 KiB pages) with write(2)/read(2) on an O_NONBLOCK pipe
 * while the model was written.
 */
import { describe, expect, it } from 'vitest';
import { commitFd, decideFdRead, decideFdWrite, type FileSpec } from '../../model/index.js';
import { type Rig, rig } from './family-helpers.js';

function write(r: Rig, file: number, bytes: number): number {
  const o = decideFdWrite(r.env, r.fam, { fd: { file, end: 'write' }, bytes });
  commitFd(r.fam, o);
  return o.ret;
}
function read(r: Rig, file: number, bytes: number): number {
  const o = decideFdRead(r.env, r.fam, { fd: { file, end: 'read' }, bytes });
  commitFd(r.fam, o);
  return o.ret;
}

describe('pipe buffers (measured)', () => {
  it('fill 65436; +200 EAGAIN; +96 merges; +1 merges; read 4096; +5000 writes 4096; +100 EAGAIN', () => {
    const files: FileSpec[] = [{ kind: 'pipe', nonblock: true, fill: 65436 }];
    const r = rig(files);
    expect(write(r, 0, 200)).toBe(-11);
    expect(write(r, 0, 96)).toBe(96);
    expect(write(r, 0, 1)).toBe(1);
    expect(read(r, 0, 4096)).toBe(4096);
    expect(write(r, 0, 5000)).toBe(4096);
    expect(write(r, 0, 100)).toBe(-11);
  });
  it('10 then 4090 takes two buffers; then 64 KiB writes 14 pages (57344)', () => {
    const r = rig([{ kind: 'pipe', nonblock: true }]);
    expect(write(r, 0, 10)).toBe(10);
    expect(write(r, 0, 4090)).toBe(4090);
    expect(write(r, 0, 65536)).toBe(57344);
  });
  it('a blocking pipe without room would block; a write to the read end is EBADF', () => {
    const r = rig([{ kind: 'pipe', fill: 65536 }]);
    expect(
      decideFdWrite(r.env, r.fam, { fd: { file: 0, end: 'write' }, bytes: 1 }).wouldBlock,
    ).not.toBeNull();
    expect(decideFdWrite(r.env, r.fam, { fd: { file: 0, end: 'read' }, bytes: 1 }).errno).toBe(
      'EBADF',
    );
  });
});
