/**
 * aio_complete() and the wake-ups that lead to it (aio-family.md §2.5, §2.6,
 * §6.1, §6.3): an event enters the ring at the tail, the slot accounting notes
 * it, the RESFD eventfd is signalled, and POLLs pending on a file complete when
 * the file becomes ready. All on the working copy of the state.
 */
import { readyMask } from './files.js';
import { noteCompletion } from './slots.js';
import { type CtxFamily, type FamilyState, type PredictedEvent, SUBMIT_CPU } from './state.js';
import type { EventObs } from './steps.js';

/** Write one event into the ring (Linux: at the tail, mod ring->nr) and account for it. */
export function complete(
  fam: FamilyState,
  c: CtxFamily,
  event: PredictedEvent,
  resfd: number | null,
): void {
  c.events.push(event);
  if (fam.profile === 'linux') {
    c.tail = (c.tail + 1) % c.ringNr;
    noteCompletion(c.pool, SUBMIT_CPU, c.ringNr, c.head, c.tail);
  }
  if (resfd !== null) signalEventfd(fam, resfd);
}

/** eventfd_signal(ctx, 1) after a completion: count + 1, and POLLs waiting on that eventfd may complete. */
export function signalEventfd(fam: FamilyState, index: number): void {
  const f = fam.files[index];
  if (f?.kind !== 'eventfd') return;
  f.count += 1n;
  wakePolls(fam, index);
}

/**
 * A file changed (written, read, signalled): every POLL pending on it whose
 * request the file now meets leaves active_reqs and completes, inline in the
 * waker or from the workqueue. Either way its ring position relative to later
 * events is not fixed and its res is known only under the requested mask,
 * so it is in flight until a waiting io_getevents collects it.
 */
export function wakePolls(fam: FamilyState, index: number): void {
  const file = fam.files[index];
  if (!file) return;
  for (const c of fam.contexts.values()) {
    const still = [];
    for (const p of c.polls) {
      const ready = p.file === index ? readyMask(file, p.end) : null;
      const met = ready === null ? 0 : ready & p.requested;
      if (met === 0) {
        still.push(p);
        continue;
      }
      c.inFlight.push({
        event: {
          data: p.data,
          obj: p.obj,
          res: BigInt(met),
          res2: 0n,
          ordered: false,
          resMask: BigInt(p.requested),
        },
        resfd: p.resfd,
      });
    }
    c.polls = still;
  }
}

/** Everything in flight lands in the ring (a waiting io_getevents lets it), in an order the model does not know. */
export function flushInFlight(fam: FamilyState, c: CtxFamily): number {
  const landing = c.inFlight;
  c.inFlight = [];
  for (const f of landing) complete(fam, c, f.event, f.resfd);
  return landing.length;
}

const sameIocb = (a: EventObs, b: EventObs) =>
  a.data === b.data &&
  ('raw' in a.obj
    ? 'raw' in b.obj && a.obj.raw === b.obj.raw
    : 'submitted' in b.obj && a.obj.submitted === b.obj.submitted && a.obj.index === b.obj.index);

/**
 * Only the flights the kernel showed (by iocb and data, in the order it
 * showed them) land; the others stay in flight. Landing one says nothing of
 * the rest: two FSYNCs queued on the workqueue complete one after the other,
 * and the worker item yields between them (process_one_work() →
 * cond_resched()), so on a one-CPU kernel a reader can run in between (UML
 * 6.12.117: io_getevents returned the first FSYNC of two, and a zero-timeout
 * io_getevents right after found nothing). Returns how many landed.
 */
export function landSeen(fam: FamilyState, c: CtxFamily, seen: readonly EventObs[]): number {
  let landed = 0;
  for (const e of seen) {
    const at = c.inFlight.findIndex((f) => sameIocb(f.event, e));
    if (at < 0) continue;
    const [f] = c.inFlight.splice(at, 1);
    if (!f) continue;
    complete(fam, c, f.event, f.resfd);
    landed++;
  }
  return landed;
}
