/**
 * Reading a trace checks every field of every line: a value no kernel or
 * worker can produce is refused with the line and the field named, on one
 * line, exit 2, and no stack trace. Each bad trace is a real fixture with one
 * edit, so that the edit is the only thing wrong with it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { parseTrace, TraceError } from '../../conformance/trace/format.js';
import {
  aiospec,
  editLine,
  findLine,
  fixtureLines,
  type Json,
  scratch,
  traceText,
} from './trace-edit.js';

const files = scratch();
afterAll(files.cleanup);

/** An edit of a trace: changes the lines and returns the index of the line now wrong. */
type Edit = (lines: string[]) => number;

/** Edit the first line satisfying `pred` with `change`. */
function first(pred: (o: Json) => boolean, change: (o: Json) => void): Edit {
  return (lines) => {
    const i = findLine(lines, pred);
    editLine(lines, i, change);
    return i;
  };
}

const header = (change: (o: Json) => void) => first((o) => o.t === 'header', change);
const mainWorker = (change: (o: Json) => void) =>
  first((o) => o.t === 'worker' && o.worker === 'main', change);
/** The first case line whose first result is a successful io_setup (a ring and its mapping). */
const setupResult = (change: (r: Json) => void) =>
  first(
    (o) => o.t === 'case' && o.report.results?.[0]?.op === 'setup' && o.report.results[0].ring,
    (o) => change(o.report.results[0]),
  );
const destroyResult = (change: (r: Json) => void) =>
  first(
    (o) => o.t === 'case' && o.report.results?.some((r: Json) => r.op === 'destroy'),
    (o) => change(o.report.results.find((r: Json) => r.op === 'destroy')),
  );
const caseLine = (change: (o: Json) => void) => first((o) => o.t === 'case', change);

const ROWS: readonly [string, Edit, RegExp][] = [
  // aio-nr and aio-max-nr: u64 counts
  [
    'a negative aio-nr',
    header((o) => {
      o.environment.aioNr = -1;
    }),
    /^environment\.aioNr: -1 is negative/,
  ],
  [
    'a fractional aio-max-nr',
    header((o) => {
      o.environment.aioMaxNr = 65536.5;
    }),
    /^environment\.aioMaxNr: 65536\.5 is not an integer/,
  ],
  [
    'an aio-max-nr past 2^64-1',
    mainWorker((o) => {
      o.host.aioMaxNr = '18446744073709551616';
    }),
    /^host\.aioMaxNr: "18446744073709551616" is past 2\^64-1/,
  ],
  [
    'an aio-nr as a JSON number that lost its digits',
    mainWorker((o) => {
      o.host.aioNr = 2 ** 60;
    }),
    /^host\.aioNr: \d+ is past 2\^53-1/,
  ],
  [
    'an aio-nr as a signed string',
    setupResult((r) => {
      r.aioNrAfter = '-3';
    }),
    /^report\.results\[0\]\.aioNrAfter: "-3" is not a decimal u64/,
  ],
  // CPUs and pages
  [
    'no CPU',
    header((o) => {
      o.environment.possibleCpus = 0;
    }),
    /^environment\.possibleCpus: 0 is not a number of possible CPUs/,
  ],
  [
    'more CPUs than any kernel counts',
    mainWorker((o) => {
      o.host.possibleCpus = 1_000_000;
    }),
    /^host\.possibleCpus: 1000000 is not a number of possible CPUs/,
  ],
  [
    'half a CPU',
    mainWorker((o) => {
      o.host.possibleCpus = 1.5;
    }),
    /^host\.possibleCpus: 1\.5 is not/,
  ],
  [
    'a page size the model does not know',
    mainWorker((o) => {
      o.host.pageSize = 8192;
    }),
    /^host\.pageSize: 8192 is not a page size the model knows/,
  ],
  [
    'a ring mapping that is not whole pages',
    setupResult((r) => {
      r.mapBytes += 100;
    }),
    /^report\.results\[0\]\.mapBytes: \d+ is not a multiple of the page size \(4096\)/,
  ],
  [
    'a ring mapping of no bytes',
    setupResult((r) => {
      r.mapBytes = 0;
    }),
    /^report\.results\[0\]\.mapBytes: 0 is not a size/,
  ],
  // suites and indexes
  [
    'a negative index',
    caseLine((o) => {
      o.index = -1;
    }),
    /^index: -1 is not a case index/,
  ],
  [
    'a fractional index',
    caseLine((o) => {
      o.index = 2.5;
    }),
    /^index: 2\.5 is not a case index/,
  ],
  [
    'an absurd index',
    caseLine((o) => {
      o.index = 2 ** 40;
    }),
    /^index: 1099511627776 is not a case index/,
  ],
  [
    'an unknown suite',
    caseLine((o) => {
      o.suite = 'fuzz';
    }),
    /^suite: "fuzz" is not one of "table", "props", "stateful"/,
  ],
  // step results
  [
    'an errno past 4095',
    setupResult((r) => {
      r.errno = 4096;
    }),
    /^report\.results\[0\]\.errno: 4096 is not an errno/,
  ],
  [
    'a negative errno',
    destroyResult((r) => {
      r.errno = -22;
    }),
    /^report\.results\[\d+\]\.errno: -22 is not an errno/,
  ],
  [
    'a return value the worker never writes',
    setupResult((r) => {
      r.ret = 1;
    }),
    /^report\.results\[0\]\.ret: 1 is not one of 0, -1/,
  ],
  [
    'a destroy return value the worker never writes',
    destroyResult((r) => {
      r.ret = -22;
    }),
    /^report\.results\[\d+\]\.ret: -22 is not one of 0, -1/,
  ],
  [
    'a handle that is not hex',
    setupResult((r) => {
      r.handle = '140737488347136';
    }),
    /^report\.results\[0\]\.handle: "140737488347136" is not an address/,
  ],
  [
    'a ctx_idp value past 2^64-1',
    setupResult((r) => {
      r.ctxAfter = '0x10000000000000000';
    }),
    /^report\.results\[0\]\.ctxAfter: "0x10000000000000000" is past 2\^64-1/,
  ],
  [
    'a destroyed handle that is not hex',
    destroyResult((r) => {
      r.handle = 'ffff';
    }),
    /^report\.results\[\d+\]\.handle: "ffff" is not an address/,
  ],
  [
    'a ring header field past u32',
    setupResult((r) => {
      r.ring.magic = 2 ** 32;
    }),
    /^report\.results\[0\]\.ring\.magic: 4294967296 is not a u32/,
  ],
  [
    'a negative ring header field',
    setupResult((r) => {
      r.ring.tail = -1;
    }),
    /^report\.results\[0\]\.ring\.tail: -1 is not a u32/,
  ],
  [
    'a missing errno',
    setupResult((r) => {
      delete r.errno;
    }),
    /^report\.results\[0\]\.errno: missing$/,
  ],
  [
    'a report status nobody writes',
    caseLine((o) => {
      o.report = { status: 'exploded' };
    }),
    /^report\.status: "exploded" is not one of "ok", "crashed", "timeout", "not-run"/,
  ],
  [
    'a crash with a signal that is not one',
    caseLine((o) => {
      o.report = { status: 'crashed', signal: 'segv', code: null, stderr: '' };
    }),
    /^report\.signal: "segv" is not a signal name/,
  ],
  [
    'more results than steps and a release',
    caseLine((o) => {
      o.report.results.push(o.report.results.at(-1));
    }),
    /^report\.results: \d+ results for a case of \d+ steps/,
  ],
  // other lines
  [
    'a late return value the worker never writes',
    first(
      (o) => o.t === 'completions',
      (o) => {
        o.completions[0].ret = 7;
      },
    ),
    /^completions\[0\]\.ret: 7 is not one of 0, -1/,
  ],
  [
    'a negative ref released',
    first(
      (o) => o.t === 'release',
      (o) => {
        o.released.refs[0] = -1;
      },
    ),
    /^released\.refs\[0\]: -1 is not a count/,
  ],
  [
    'a profile the model does not know',
    header((o) => {
      o.profile = 'freebsd';
    }),
    /^profile: "freebsd" is not a profile the model knows/,
  ],
  [
    'another trace version',
    header((o) => {
      o.version = 3;
    }),
    /^version: 3 is not a trace version this aiospec reads \(1, 2\)/,
  ],
  [
    'a batch line with a negative aio-max-nr',
    (lines) => {
      lines.splice(
        2,
        0,
        JSON.stringify({ t: 'batch', worker: 'main', aioMaxNr: { before: -1, after: 65536 } }),
      );
      return 2;
    },
    /^aioMaxNr\.before: -1 is negative/,
  ],
  [
    'a re-run in a form no case has',
    caseLine((o) => {
      o.rerun = true;
      o.candidate = 2;
    }),
    /^candidate: 2 is not a candidate form/,
  ],
  [
    'a seed past 32 bits',
    header((o) => {
      o.seed = 2 ** 32;
    }),
    /^seed: 4294967296 is not a seed/,
  ],
  [
    'a negative seed (`--seed` takes none)',
    header((o) => {
      o.seed = -1;
    }),
    /^seed: -1 is not a seed/,
  ],
  // the order of lines
  [
    'a case of a worker no line started',
    caseLine((o) => {
      o.worker = 'fresh:9';
    }),
    /^worker: "fresh:9" was not started by an earlier worker line/,
  ],
  [
    'a sandbox whose errno the model does not know',
    first(
      (o) => o.t === 'worker' && o.worker.startsWith('seccomp:'),
      (o) => {
        o.worker = 'seccomp:EWHATEVER';
      },
    ),
    /^worker: "seccomp:EWHATEVER" is not a worker key/,
  ],
  [
    'a second header',
    (lines) => {
      lines.splice(3, 0, lines[0]!);
      return 3;
    },
    /^a second header/,
  ],
  [
    'a line after the end line',
    (lines) => {
      lines.push(lines.find((l) => l.startsWith('{"t":"completions"'))!);
      return lines.length - 1;
    },
    /^after the end line \(line \d+\)/,
  ],
  [
    'an end line that miscounts',
    (lines) => {
      editLine(lines, lines.length - 1, (o) => {
        o.cases -= 1;
      });
      return lines.length - 1;
    },
    /^cases: the end line counts \d+ cases, the trace has \d+/,
  ],
];

describe('every value in a trace is one a kernel or worker can produce', () => {
  it.each(ROWS)('refuses %s, naming the line and the field', (what, edit, message) => {
    const lines = fixtureLines();
    const at = edit(lines) + 1;
    const body = traceText(lines);
    let error: unknown;
    try {
      parseTrace(body);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TraceError);
    const text = (error as Error).message;
    expect(text.startsWith(`line ${at}: `), text).toBe(true);
    expect(text.slice(`line ${at}: `.length)).toMatch(message);
    expect(text).not.toContain('\n');

    const file = files.file(`${what.replaceAll(' ', '-')}.jsonl`, lines);
    const r = aiospec('replay', file);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toBe(`aiospec replay: ${file}: ${text}\n`);
    expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('accepts the edges: 8192 CPUs, a 64 KiB page, 2^64-1, the largest errno', () => {
    const lines = fixtureLines();
    mainWorker((o) => {
      o.host.possibleCpus = 8192;
      o.host.aioMaxNr = '18446744073709551615';
    })(lines);
    setupResult((r) => {
      r.errno = 4095;
      r.ctxAfter = '0xffffffffffffffff';
    })(lines);
    expect(() => parseTrace(traceText(lines))).not.toThrow();
    const paged = fixtureLines('gvisor.trace.jsonl');
    first(
      (o) => o.t === 'worker' && o.worker === 'main',
      (o) => {
        o.host.pageSize = 65536;
      },
    )(paged);
    // gVisor's rings here are one 4 KiB page: under a 64 KiB page size that is no longer whole pages.
    expect(() => parseTrace(traceText(paged))).toThrow(/mapBytes: 4096 is not a multiple/);
  });

  it('reads version 2: batch lines', () => {
    const lines = fixtureLines();
    header((o) => {
      o.version = 2;
    })(lines);
    const batch = { t: 'batch', worker: 'main', aioMaxNr: { before: 65536, after: 65536 } };
    lines.splice(2, 0, JSON.stringify(batch));
    expect(() => parseTrace(traceText(lines))).not.toThrow();
  });

  it('says a trace cut in the middle of its last line was cut short', () => {
    const lines = fixtureLines();
    const last = lines.length - 2; // the line before the end line
    const cut = [...lines.slice(0, last), lines[last]!.slice(0, 100)];
    expect(() => parseTrace(cut.join('\n'))).toThrow(
      `line ${last + 1}: the trace stops here in the middle of a line (cut short?)`,
    );
  });
});
