/**
 * The guided tour: each place where the kernel differs from the man page (the
 * README's "What the kernel really does"), as one link that opens the
 * playground on the case that shows it. Pure data plus one list.
 */
import { h } from './dom.js';

export interface TourStop {
  readonly title: string;
  readonly man: string;
  readonly kernel: string;
  /** The query string that opens the case (explain's flags; `mode=sequence&case=` for sequences). */
  readonly search: string;
}

const seq = (steps: unknown[]) =>
  `?mode=sequence&case=${encodeURIComponent(JSON.stringify({ steps }))}`;

export const TOUR: readonly TourStop[] = [
  {
    title: 'A bad pointer is checked first',
    man: 'io_setup(2) lists EINVAL for nr_events 0 and EFAULT for a bad pointer, in no order.',
    kernel: 'get_user(ctx) comes first: io_setup(0, NULL) is EFAULT, not EINVAL.',
    search: '?nr-events=0&ctx=null',
  },
  {
    title: 'The internal limit comes before EAGAIN',
    man: 'EAGAIN: "nr_events exceeds the limit of available events".',
    kernel:
      '2 × max(nr_events, 4×CPUs) > 0x800000 is EINVAL, checked before aio-max-nr: 4,194,305 is EINVAL even though it is far over aio-max-nr.',
    search: '?nr-events=4194305',
  },
  {
    title: 'nr_events 0x80000000 wraps to zero',
    man: 'Nothing about u32 arithmetic.',
    kernel: 'ne = 2 × 0x80000000 is 0 in 32 bits: EAGAIN, even with aio-max-nr raised to 2^32.',
    search: '?nr-events=0x80000000&aio-max-nr=4294967296',
  },
  {
    title: 'Just past the wrap, io_setup succeeds with a tiny ring',
    man: 'Nothing about u32 arithmetic.',
    kernel:
      'nr_events 0x80000001 doubles to 2 (mod 2^32): a one-page ring, while aio-nr is charged 2,147,483,649.',
    search: '?nr-events=0x80000001&aio-max-nr=4294967296',
  },
  {
    title: 'ring->nr is not nr_events',
    man: '"capable of receiving at least nr_events events".',
    kernel:
      'The ring holds 2 × max(nr_events, 4×CPUs) + 2 events rounded up to whole pages: io_setup(1) gets 127 slots on 4 CPUs.',
    search: '?nr-events=1',
  },
  {
    title: 'A read-only ctx_idp costs a whole context',
    man: 'EFAULT: "An invalid pointer is passed for ctx_idp".',
    kernel:
      'A readable but read-only ctx_idp passes the first check; the context is created, charged, slotted, then torn down at the final write: EFAULT.',
    search: '?nr-events=1&ctx=readonly',
  },
  {
    title: 'io_destroy never returns EFAULT',
    man: 'io_destroy(2): EFAULT "The context pointed to is invalid".',
    kernel: 'An unreadable handle is just "not found": EINVAL, like a destroyed one.',
    search: seq([
      { op: 'setup', nr: 1, ctx: 'zero' },
      { op: 'destroy', target: { unmapped: true } },
      { op: 'destroy', target: { handle: 0 } },
      { op: 'destroy', target: { handle: 0 } },
    ]),
  },
  {
    title: 'The context table grows 4, 16, 64 and never shrinks',
    man: 'Nothing about a table.',
    kernel:
      'Each process has a table of contexts: the fifth io_setup grows it to 16 slots; ring->id is its slot, lowest free first.',
    search: seq([
      ...Array.from({ length: 5 }, () => ({ op: 'setup', nr: 1, ctx: 'zero' })),
      { op: 'destroy', target: { handle: 1 } },
      { op: 'setup', nr: 1, ctx: 'zero' },
    ]),
  },
  {
    title: 'Linux 3.12 to 4.13 charged twice as much',
    man: 'aio-max-nr is "the maximum number of events".',
    kernel:
      'Those kernels charged ne = 2 × max(nr_events, 4×CPUs) against 2 × aio-max-nr: io_setup(1) took 32 of aio-nr on 4 CPUs.',
    search: '?nr-events=1&profile=linux-3.12',
  },
  {
    title: 'gVisor accepts nr_events 0',
    man: 'EINVAL for nr_events 0.',
    kernel: 'gVisor has no limits, accepts 0 and maps one read-only page of zeros.',
    search: '?nr-events=0&profile=gvisor',
  },
];

export function tourMode(): HTMLElement {
  return h(
    'section',
    { class: 'panel', 'aria-label': 'tour' },
    h('h2', {}, 'where the kernel differs from the man page'),
    h(
      'ol',
      { class: 'tour' },
      ...TOUR.map((t) =>
        h(
          'li',
          {},
          h('a', { href: t.search, 'data-testid': 'tour-link' }, t.title),
          h('p', {}, `man page: ${t.man}`),
          h('p', {}, `kernel: ${t.kernel}`),
        ),
      ),
    ),
  );
}
