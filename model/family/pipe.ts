/**
 * A pipe as fs/pipe.c keeps it: a ring of PIPE_DEF_BUFFERS (16) page-sized
 * buffers. Capacity is counted in buffers, not bytes: a write fills fresh pages
 * after merging only its sub-page remainder into the last buffer (when that
 * fits), so partly filled pages leave room no write can use.
 */

/** pipe->max_usage for a new pipe: PIPE_DEF_BUFFERS. */
export const PIPE_BUFFERS = 16;

export interface PipeBuffer {
  /** buf->offset and buf->len within its page. */
  off: number;
  len: number;
}

export function pipeBytes(bufs: readonly PipeBuffer[]): number {
  return bufs.reduce((n, b) => n + b.len, 0);
}

/** pipe_full(): every buffer slot is taken. */
export function pipeFull(bufs: readonly PipeBuffer[]): boolean {
  return bufs.length >= PIPE_BUFFERS;
}

export type PipeWrite =
  | { readonly written: number }
  | { readonly eagain: true }
  | { readonly block: true };

/**
 * pipe_write() of `n` bytes into `bufs` (mutated): merge `n & (S − 1)` into the
 * last buffer when the pipe was not empty and it fits, then fresh pages while
 * slots are free; a full pipe stops a non-blocking writer (-EAGAIN if nothing
 * was written) and puts a blocking one to sleep.
 */
export function pipeWrite(
  bufs: PipeBuffer[],
  n: number,
  pageSize: number,
  nonblock: boolean,
): PipeWrite {
  if (n === 0) return { written: 0 };
  let left = n;
  const chars = n & (pageSize - 1);
  const last = bufs[bufs.length - 1];
  if (chars !== 0 && last && last.off + last.len + chars <= pageSize) {
    last.len += chars;
    left -= chars;
  }
  while (left > 0) {
    if (pipeFull(bufs)) {
      if (!nonblock) return { block: true };
      const written = n - left;
      return written > 0 ? { written } : { eagain: true };
    }
    const take = Math.min(left, pageSize);
    bufs.push({ off: 0, len: take });
    left -= take;
  }
  return { written: n };
}

/** pipe_read() of up to `n` bytes from the front (mutated): emptied buffers free their slot. */
export function pipeRead(bufs: PipeBuffer[], n: number): number {
  let got = 0;
  while (got < n && bufs.length > 0) {
    const b = bufs[0]!;
    const chars = Math.min(b.len, n - got);
    b.off += chars;
    b.len -= chars;
    got += chars;
    if (b.len === 0) bufs.shift();
  }
  return got;
}
