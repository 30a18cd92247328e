/*
 * The case stream shared by the C harnesses: one case per line,
 *   <headroom or -1> <nr_events> <ctx kind 0..7> <RLIMIT_AS headroom or -1>
 * ctx kinds, in aiospec's order: zero nonzero null unmapped readonly
 * readonly-nonzero kernel straddle. Cases come grouped by headroom, in the
 * order aiospec's engine runs them.
 */
#ifndef AIOSPEC_STREAM_H
#define AIOSPEC_STREAM_H

#define _GNU_SOURCE
#include <linux/aio_abi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

struct kase {
  long long headroom;
  unsigned nr;
  int ctx;
  long long as_headroom;
};

static struct kase *read_stream(const char *path, size_t *n) {
  FILE *f = fopen(path, "r");
  if (!f) { perror(path); exit(2); }
  size_t cap = 1024, len = 0;
  struct kase *k = malloc(cap * sizeof *k);
  struct kase c;
  while (fscanf(f, "%lld %u %d %lld", &c.headroom, &c.nr, &c.ctx, &c.as_headroom) == 4) {
    if (len == cap) k = realloc(k, (cap *= 2) * sizeof *k);
    k[len++] = c;
  }
  fclose(f);
  *n = len;
  return k;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

/* The pointers for each ctx kind, built as aiospec's worker builds them. */
struct arena {
  char *base;
  long page;
};

static struct arena arena_new(void) {
  struct arena a;
  a.page = sysconf(_SC_PAGESIZE);
  a.base = mmap(NULL, 5 * a.page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memset(a.base + 2 * a.page, 1, a.page);
  mprotect(a.base + a.page, 2 * a.page, PROT_READ);
  mprotect(a.base + 4 * a.page, a.page, PROT_NONE);
  return a;
}

static aio_context_t *ctx_pointer(struct arena *a, int kind) {
  aio_context_t *slot = (aio_context_t *)a->base;
  switch (kind) {
  case 0: *slot = 0; return slot;
  case 1: *slot = 0x0101010101010101ULL; return slot;
  case 2: return NULL;
  case 3: return (aio_context_t *)0x100000;
#if defined(__x86_64__)
  case 6: return (aio_context_t *)0xffff800000000000ULL;
#else
  case 6: return (aio_context_t *)0xffff000000000000ULL;
#endif
  case 4: return (aio_context_t *)(a->base + a->page);
  case 5: return (aio_context_t *)(a->base + 2 * a->page);
  default: return (aio_context_t *)(a->base + 4 * a->page - 4);
  }
}

static long long read_sysctl(const char *name) {
  char path[64];
  snprintf(path, sizeof path, "/proc/sys/fs/%s", name);
  FILE *f = fopen(path, "r");
  long long v = -1;
  if (f) { if (fscanf(f, "%lld", &v) != 1) v = -1; fclose(f); }
  return v;
}

/* Bring aio-max-nr - aio-nr down to `headroom` with filler contexts. */
static inline void fill(long long headroom) {
  if (headroom < 0) return;
  long long max = read_sysctl("aio-max-nr");
  for (int i = 0; i < 16; i++) {
    long long gap = max - read_sysctl("aio-nr") - headroom;
    if (gap <= 0) return;
    aio_context_t c = 0;
    if (syscall(SYS_io_setup, (unsigned)(gap < 4194304 ? gap : 4194304), &c)) return;
  }
}

/* io_setup for one case, with RLIMIT_AS around it when the case asks. Returns the handle or 0. */
static aio_context_t one_call(struct arena *a, const struct kase *k) {
  aio_context_t *p = ctx_pointer(a, k->ctx);
  struct rlimit old, lim;
  if (k->as_headroom >= 0) {
    long pages = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) { if (fscanf(f, "%ld", &pages) != 1) pages = 0; fclose(f); }
    getrlimit(RLIMIT_AS, &old);
    lim = old;
    lim.rlim_cur = (rlim_t)pages * a->page + k->as_headroom;
    setrlimit(RLIMIT_AS, &lim);
  }
  long r = syscall(SYS_io_setup, k->nr, p);
  if (k->as_headroom >= 0) setrlimit(RLIMIT_AS, &old);
  return r == 0 && (k->ctx == 0 || k->ctx == 1) ? *p : 0;
}

#endif
