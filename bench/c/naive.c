/*
 * What simple test suites do: io_setup, then io_destroy before the next case.
 * Every successful case pays io_destroy's wait for RCU grace periods.
 * Waiting for all of a long stream takes minutes, so it runs an even sample:
 * every STRIDE-th case.
 *   usage: naive STREAM [STRIDE]   prints: <cases> <seconds>
 */
#include "stream.h"

int main(int argc, char **argv) {
  size_t n;
  struct kase *k = read_stream(argv[1], &n);
  size_t stride = argc > 2 ? (size_t)atol(argv[2]) : 1;
  size_t m = 0;
  for (size_t i = 0; i < n; i += stride) k[m++] = k[i];
  n = m;
  struct arena a = arena_new();
  aio_context_t fillers[16];
  int nfill = 0;
  double t0 = now();
  for (size_t i = 0; i < n; i++) {
    if (i == 0 || k[i].headroom != k[i - 1].headroom) {
      while (nfill > 0) syscall(SYS_io_destroy, fillers[--nfill]);
      long long max = read_sysctl("aio-max-nr");
      while (k[i].headroom >= 0 && nfill < 16) {
        long long gap = max - read_sysctl("aio-nr") - k[i].headroom;
        if (gap <= 0) break;
        fillers[nfill] = 0;
        if (syscall(SYS_io_setup, (unsigned)(gap < 4194304 ? gap : 4194304), &fillers[nfill])) break;
        nfill++;
      }
    }
    aio_context_t h = one_call(&a, &k[i]);
    if (h) syscall(SYS_io_destroy, h);
  }
  while (nfill > 0) syscall(SYS_io_destroy, fillers[--nfill]);
  printf("%zu %.6f\n", n, now() - t0);
  return 0;
}
