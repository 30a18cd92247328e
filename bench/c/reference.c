/*
 * The physical floor: the same stream of io_setup calls as aiospec's engine,
 * batched the same way (contexts released in bulk at the end of each batch of
 * CHUNK cases), and nothing else. Release is what costs: io_destroy waits for
 * RCU grace periods (~30 ms), but kill_ioctx() takes the context out of the
 * process's table, gives aio-nr back and unmaps the ring before that wait. So
 * a pool of threads calls io_destroy, and the main thread goes on as soon as
 * io_getevents(ctx, 0, 0, NULL, NULL) fails for every context (it is out of
 * the table), looking at them in the order issued: the same evidence as
 * aiospec's worker (its own, not the global aio-nr, which other processes
 * move), without JavaScript, koffi, pipes or the model.
 *   usage: reference STREAM [CHUNK]   prints: <cases> <seconds>
 */
#include <fcntl.h>
#include "release.h"
#include "stream.h"

static int aio_nr_fd;

static long long aio_nr(void) {
  char buf[32];
  ssize_t n = pread(aio_nr_fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return -1;
  buf[n] = 0;
  return atoll(buf);
}

static aio_context_t made[QUEUE];

int main(int argc, char **argv) {
  size_t n;
  struct kase *k = read_stream(argv[1], &n);
  size_t chunk = argc > 2 ? (size_t)atol(argv[2]) : 256;
  int nmade = 0;
  size_t in_chunk = 0;
  aio_nr_fd = open("/proc/sys/fs/aio-nr", O_RDONLY);
  start_destroyers();
  struct arena a = arena_new();
  aio_context_t fillers[16];
  int nfill = 0;
  double t0 = now();
  for (size_t i = 0; i < n; i++) {
    int new_group = i == 0 || k[i].headroom != k[i - 1].headroom;
    if (new_group || in_chunk == chunk) {
      release("reference", made, nmade);
      nmade = 0;
      in_chunk = 0;
    }
    in_chunk++;
    if (new_group) {
      release("reference", fillers, nfill);
      nfill = 0;
      long long max = read_sysctl("aio-max-nr");
      while (k[i].headroom >= 0 && nfill < 16) {
        long long before = aio_nr(), gap = max - before - k[i].headroom;
        if (gap <= 0) break;
        fillers[nfill] = 0;
        if (syscall(SYS_io_setup, (unsigned)(gap < 4194304 ? gap : 4194304), &fillers[nfill])) break;
        nfill++;
      }
    }
    /* The engine's worker reads aio-nr before and after each call: so does the floor. */
    aio_nr();
    aio_context_t h = one_call(&a, &k[i]);
    aio_nr();
    if (h) made[nmade++] = h;
  }
  release("reference", made, nmade);
  release("reference", fillers, nfill);
  printf("%zu %.6f\n", n, now() - t0);
  return 0;
}
