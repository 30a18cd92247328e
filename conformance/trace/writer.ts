/**
 * Writes a trace as the run goes (see format.ts), a line per event, to a sink:
 * the CLI's output file, a temporary file renamed into place by `record` only
 * once the run ended well (a trace cut short never takes the final name).
 */
import type { Completion, HostInfo, ReleaseResult, U64 } from '../../real/protocol.js';
import type { FillReport } from '../engine/judge.js';
import type { RecordedCase, Recorder } from '../engine/recorder.js';
import type { Suite } from '../engine/verdict.js';
import { formatLine, TRACE_FORMAT, TRACE_VERSION, type TraceLine } from './format.js';

export interface TraceMeta {
  readonly target: string;
  readonly profile: string;
  readonly seed: number;
  readonly suites: readonly Suite[];
  readonly tool: string;
  readonly seccompProfile?: { readonly source: string; readonly json: unknown };
}

/** Where the lines go. It must not throw into the run: a failing sink keeps its error for later. */
export interface TraceSink {
  write(text: string): void;
}

export class TraceWriter implements Recorder {
  private started = false;
  private cases = 0;

  constructor(
    private readonly sink: TraceSink,
    private readonly meta: TraceMeta,
  ) {}

  private write(line: TraceLine): void {
    this.sink.write(`${formatLine(line)}\n`);
  }

  worker(key: string, host: HostInfo): void {
    if (!this.started) {
      this.started = true;
      this.write({
        t: 'header',
        format: TRACE_FORMAT,
        version: TRACE_VERSION,
        tool: this.meta.tool,
        recorded: new Date().toISOString(),
        target: { kind: this.meta.target },
        kernel: {
          release: host.release,
          version: host.version,
          machine: host.machine,
          gvisor: host.gvisor,
        },
        environment: {
          possibleCpus: host.possibleCpus,
          pageSize: host.pageSize,
          aioMaxNr: host.aioMaxNr,
          aioNr: host.aioNr,
          seccompMode: host.seccompMode,
        },
        profile: this.meta.profile,
        seed: this.meta.seed,
        suites: this.meta.suites,
        ...(this.meta.seccompProfile ? { seccompProfile: this.meta.seccompProfile } : {}),
      });
    }
    this.write({ t: 'worker', worker: key, host });
  }

  batch(key: string, aioMaxNr: { readonly before: U64 | null; readonly after: U64 | null }): void {
    this.write({ t: 'batch', worker: key, aioMaxNr });
  }

  fill(key: string, fill: FillReport): void {
    this.write({ t: 'fill', worker: key, released: fill.released, made: fill.made });
  }

  case(key: string, c: RecordedCase): void {
    this.cases++;
    this.write({
      t: 'case',
      worker: key,
      suite: c.suite,
      index: c.index,
      rerun: c.rerun,
      ...(c.rerun ? { candidate: c.candidate } : {}),
      case: c.case,
      report: c.report,
    });
  }

  release(key: string, released: ReleaseResult): void {
    this.write({ t: 'release', worker: key, released });
  }

  completions(key: string, list: readonly Completion[]): void {
    this.write({ t: 'completions', worker: key, completions: list });
  }

  /** The end line: a trace without it was cut short. */
  end(): void {
    this.write({ t: 'end', cases: this.cases });
  }
}
