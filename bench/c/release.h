/*
 * Releasing contexts as aiospec's worker does: a pool of threads calls
 * io_destroy, and the caller goes on as soon as each context is out of the
 * process's table, looking at them in the order issued. io_destroy waits for
 * RCU grace periods (~30 ms), but kill_ioctx() takes the context out of the
 * table, gives aio-nr back and unmaps the ring before that wait; so
 * io_getevents(ctx, 0, 0, NULL, NULL) failing with EINVAL is the evidence (the
 * worker's own, not the global aio-nr, which other processes move).
 * Shared by reference.c (bulk release per batch) and family.c (per case).
 */
#ifndef AIOSPEC_RELEASE_H
#define AIOSPEC_RELEASE_H

#define _GNU_SOURCE
#include <errno.h>
#include <linux/aio_abi.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define THREADS 256
#define QUEUE 65536

static aio_context_t release_queue[QUEUE];
static unsigned release_head, release_tail;

static pthread_mutex_t release_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t release_nonempty = PTHREAD_COND_INITIALIZER;

static double release_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static void *destroyer(void *arg) {
  (void)arg;
  for (;;) {
    pthread_mutex_lock(&release_lock);
    while (release_head == release_tail) pthread_cond_wait(&release_nonempty, &release_lock);
    aio_context_t c = release_queue[release_head++ % QUEUE];
    pthread_mutex_unlock(&release_lock);
    syscall(SYS_io_destroy, c);
  }
  return NULL;
}

/* Start the pool (the worker starts its threads before the first case, too). */
static void start_destroyers(void) {
  for (int i = 0; i < THREADS; i++) {
    pthread_t t;
    pthread_create(&t, NULL, destroyer, NULL);
  }
}

static void destroy_async(aio_context_t c) {
  pthread_mutex_lock(&release_lock);
  release_queue[release_tail++ % QUEUE] = c;
  pthread_cond_signal(&release_nonempty);
  pthread_mutex_unlock(&release_lock);
}

/* Whether the context c is out of this process's table (min_nr 0: never blocks). */
static int gone(aio_context_t c) {
  return syscall(SYS_io_getevents, c, 0L, 0L, NULL, NULL) == -1 && errno == EINVAL;
}

/* Destroy contexts on the pool and wait until each is out of the table, oldest first. */
static void release(const char *who, aio_context_t *c, int n) {
  for (int i = 0; i < n; i++) destroy_async(c[i]);
  double deadline = release_now() + 10;
  for (int next = 0; next < n;) {
    if (gone(c[next])) next++;
    else if (release_now() > deadline) {
      fprintf(stderr, "%s: %d contexts still in the table after 10 s\n", who, n - next);
      exit(2);
    }
  }
}

#endif
