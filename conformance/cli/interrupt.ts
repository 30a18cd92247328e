/**
 * Ctrl-C during a run. The first SIGINT asks the run to stop: it ends its
 * current batch, and the command reports what ran and exits 130. A second one
 * ends the process at once, also with 130: the exit hooks still kill the
 * workers (and PDEATHSIG those that miss it) and remove temporary files.
 */

/** Exit status for a run ended by SIGINT: 128 + 2, as a shell reports it. */
export const INTERRUPTED = 130;

let owned = 0;

/**
 * Whether a run is handling SIGINT itself: the other SIGINT handlers (temporary
 * files, aio-max-nr) then leave the process alive for it to stop and report.
 */
export function interruptsHandled(): boolean {
  return owned > 0;
}

export interface Interrupts {
  /** Aborts at the first SIGINT. */
  readonly signal: AbortSignal;
  /** Stop catching SIGINT (the run is over). */
  release(): void;
}

/** Catch SIGINT for a run; `beforeExit` runs before a second SIGINT ends the process (clear the progress line). */
export function catchInterrupts(beforeExit: () => void = () => {}): Interrupts {
  const controller = new AbortController();
  const onSigint = () => {
    if (!controller.signal.aborted) {
      controller.abort('interrupted (SIGINT)');
      return;
    }
    beforeExit();
    process.exit(INTERRUPTED);
  };
  process.on('SIGINT', onSigint);
  owned++;
  let released = false;
  return {
    signal: controller.signal,
    release() {
      if (released) return;
      released = true;
      owned--;
      process.removeListener('SIGINT', onSigint);
    },
  };
}
