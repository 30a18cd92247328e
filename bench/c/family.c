/*
 * The floor for the family stream: the same family cases as aiospec's engine
 * (bench/family-stream.ts writes them, one operation a line), making the
 * syscalls aiospec's worker makes for each (real/worker/family.ts,
 * real/family-files.ts), and nothing else:
 *   - the case's files: regular files and directories in a private directory
 *     on tmpfs (/dev/shm), each unlinked as soon as it is open, the directory
 *     removed once all are; pipe2 (a fill written with O_NONBLOCK set for the
 *     time of the write, as the worker does); eventfd;
 *   - io_setup between two reads of aio-nr (the worker reads them: so does the
 *     floor), io_submit, io_getevents with the case's timeout, io_cancel,
 *     write(2)/read(2), with the iocbs, buffers (0x5a), iovec arrays, guarded
 *     iocbpp array, events buffer, timespec and io_cancel result (32 bytes of
 *     0xa5) laid out as the worker lays them out;
 *   - at the case's end its contexts are released as the worker releases a
 *     case read alone (io_destroy on a thread pool, going on once each is out
 *     of the table: release.h), then its fds are closed.
 * What the worker reads back (aio_key, the events, ring->head and tail, the
 * result buffer) is read from memory here. Memory is made once, not per case,
 * and no ring mapping is measured: JavaScript, koffi, pipes to the runner,
 * JSON and the model are the difference.
 *   usage: family STREAM           prints: <cases> <seconds>
 *          family --check STREAM   prints the calls it would make, one a line, and makes none
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include "release.h"

#define MAX_FILES 16
#define MAX_STEPS 64
#define MAX_ENTRIES 4096
#define MAX_EVENTS (1L << 22) /* real/worker/family.ts MAX_EVENTS */
#define ARENA_BYTES (16L << 20)
#define RO_PAGES 64
#define BUFFER_FILL 0x5a
#define RESULT_FILL 0xa5
#define RESULT_BYTES 32

enum kind { K_CASE, K_FILE, K_SETUP, K_SUBMIT, K_IOCB, K_NULL, K_UNMAPPED, K_IOV, K_GETEVENTS, K_CANCEL, K_FDWRITE, K_FDREAD, K_END };
enum fkind { F_FILE, F_PIPE, F_EVENTFD, F_DIR };
static const char *fkind_name[] = {"file", "pipe", "eventfd", "dir"};

/* A file of the case (file >= 0, end 0/'r'/'w') or a literal fd. */
struct fdref { int file; char end; uint32_t literal; };
/* A setup step of the case (step >= 0) or a literal address. */
struct ctxref { int step; uint64_t addr; };

struct op {
  enum kind k;
  union {
    struct { int kind, mode, append, nonblock; long size, fill; unsigned count; } file;
    struct { unsigned nr; } setup;
    struct { struct ctxref ctx; long nr; int entries, unmapped_array; } submit;
    struct {
      uint64_t data; uint32_t key, rw_flags; uint16_t opcode; int16_t reqprio; struct fdref fd;
      char buf; uint64_t bufval; int has_nbytes; uint64_t nbytes; int64_t offset;
      uint64_t reserved2; uint32_t flags; struct fdref resfd; int readonly;
    } iocb;
    struct { int bytes; uint64_t base, len; } iov; /* bytes >= 0: a fresh buffer; else literal */
    struct { struct ctxref ctx; long min_nr, nr; char events, timeout; int64_t sec, nsec; } getevents;
    struct { struct ctxref ctx; char target; int step, index; char result; } cancel;
    struct { struct fdref fd; long bytes; } fdio;
  } u;
};

static void bad(const char *line, int n) {
  fprintf(stderr, "family: line %d: cannot read '%s'\n", n, line);
  exit(2);
}

static struct fdref parse_fd(const char *t, const char *line, int n) {
  struct fdref r = {-1, 0, 0};
  if (t[0] == '#') r.literal = (uint32_t)strtoull(t + 1, NULL, 10);
  else if (t[0] == 'f') {
    char *e;
    r.file = (int)strtol(t + 1, &e, 10);
    if (*e == 'r' || *e == 'w') r.end = *e;
    if (r.file < 0 || r.file >= MAX_FILES) bad(line, n);
  } else bad(line, n);
  return r;
}

static struct ctxref parse_ctx(const char *t, const char *line, int n) {
  struct ctxref c = {-1, 0};
  if (t[0] == 's') c.step = atoi(t + 1);
  else if (t[0] == '@') c.addr = strtoull(t + 1, NULL, 10);
  else bad(line, n);
  if (c.step >= MAX_STEPS) bad(line, n);
  return c;
}

static struct op *read_family(const char *path, size_t *len) {
  FILE *f = fopen(path, "r");
  if (!f) { perror(path); exit(2); }
  size_t cap = 4096, m = 0;
  struct op *ops = malloc(cap * sizeof *ops);
  char *line = NULL, *tok[16];
  size_t lcap = 0;
  int n = 0;
  while (getline(&line, &lcap, f) > 0) {
    n++;
    char copy[512];
    snprintf(copy, sizeof copy, "%s", line);
    int nt = 0;
    for (char *s, *t = strtok_r(line, " \n", &s); t && nt < 16; t = strtok_r(NULL, " \n", &s)) tok[nt++] = t;
    if (nt == 0) continue;
    if (m == cap) ops = realloc(ops, (cap *= 2) * sizeof *ops);
    struct op *o = &ops[m++];
    memset(o, 0, sizeof *o);
    const char *w = tok[0];
    if (!strcmp(w, "case")) o->k = K_CASE;
    else if (!strcmp(w, "end")) o->k = K_END;
    else if (!strcmp(w, "null")) o->k = K_NULL;
    else if (!strcmp(w, "unmapped")) o->k = K_UNMAPPED;
    else if (!strcmp(w, "file") && nt >= 2) {
      o->k = K_FILE;
      const char *kd = tok[1];
      if (!strcmp(kd, "file") && nt == 5) {
        o->u.file.kind = F_FILE;
        o->u.file.mode = !strcmp(tok[2], "r") ? O_RDONLY : !strcmp(tok[2], "w") ? O_WRONLY : O_RDWR;
        o->u.file.size = atol(tok[3]);
        o->u.file.append = atoi(tok[4]);
      } else if (!strcmp(kd, "pipe") && nt == 4) {
        o->u.file.kind = F_PIPE;
        o->u.file.nonblock = atoi(tok[2]);
        o->u.file.fill = atol(tok[3]);
      } else if (!strcmp(kd, "eventfd") && nt == 4) {
        o->u.file.kind = F_EVENTFD;
        o->u.file.nonblock = atoi(tok[2]);
        o->u.file.count = (unsigned)strtoul(tok[3], NULL, 10);
      } else if (!strcmp(kd, "dir") && nt == 2) o->u.file.kind = F_DIR;
      else bad(copy, n);
    } else if (!strcmp(w, "setup") && nt == 2) {
      o->k = K_SETUP;
      o->u.setup.nr = (unsigned)strtoul(tok[1], NULL, 10);
    } else if (!strcmp(w, "submit") && nt == 5) {
      o->k = K_SUBMIT;
      o->u.submit.ctx = parse_ctx(tok[1], copy, n);
      o->u.submit.nr = atol(tok[2]);
      o->u.submit.entries = atoi(tok[3]);
      o->u.submit.unmapped_array = tok[4][0] == 'u';
      if (o->u.submit.entries > MAX_ENTRIES) bad(copy, n);
    } else if (!strcmp(w, "iocb") && nt == 14) {
      o->k = K_IOCB;
      o->u.iocb.data = strtoull(tok[1], NULL, 10);
      o->u.iocb.key = (uint32_t)strtoul(tok[2], NULL, 10);
      o->u.iocb.rw_flags = (uint32_t)strtoul(tok[3], NULL, 10);
      o->u.iocb.opcode = (uint16_t)strtoul(tok[4], NULL, 10);
      o->u.iocb.reqprio = (int16_t)strtol(tok[5], NULL, 10);
      o->u.iocb.fd = parse_fd(tok[6], copy, n);
      o->u.iocb.buf = tok[7][0];
      if (strchr("-bviu", o->u.iocb.buf) == NULL) bad(copy, n);
      o->u.iocb.bufval = strtoull(tok[7] + 1, NULL, 10);
      o->u.iocb.has_nbytes = tok[8][0] != '-';
      o->u.iocb.nbytes = strtoull(tok[8], NULL, 10);
      o->u.iocb.offset = strtoll(tok[9], NULL, 10);
      o->u.iocb.reserved2 = strtoull(tok[10], NULL, 10);
      o->u.iocb.flags = (uint32_t)strtoul(tok[11], NULL, 10);
      o->u.iocb.resfd = parse_fd(tok[12], copy, n);
      o->u.iocb.readonly = atoi(tok[13]);
    } else if (!strcmp(w, "iov") && (nt == 2 || nt == 3)) {
      o->k = K_IOV;
      o->u.iov.bytes = nt == 2 ? atoi(tok[1] + 1) : -1;
      if (nt == 3) {
        o->u.iov.base = strtoull(tok[1] + 1, NULL, 10);
        o->u.iov.len = strtoull(tok[2], NULL, 10);
      }
    } else if (!strcmp(w, "getevents") && nt == 6) {
      o->k = K_GETEVENTS;
      o->u.getevents.ctx = parse_ctx(tok[1], copy, n);
      o->u.getevents.min_nr = atol(tok[2]);
      o->u.getevents.nr = atol(tok[3]);
      o->u.getevents.events = tok[4][0];
      o->u.getevents.timeout = tok[5][0] == 'n' || tok[5][0] == 'u' ? tok[5][0] : 't';
      if (o->u.getevents.timeout == 't') {
        char *e;
        o->u.getevents.sec = strtoll(tok[5], &e, 10);
        if (*e != ',') bad(copy, n);
        o->u.getevents.nsec = strtoll(e + 1, NULL, 10);
      }
    } else if (!strcmp(w, "cancel") && nt == 4) {
      o->k = K_CANCEL;
      o->u.cancel.ctx = parse_ctx(tok[1], copy, n);
      o->u.cancel.target = tok[2][0];
      if (o->u.cancel.target == 's' && sscanf(tok[2], "s%d.%d", &o->u.cancel.step, &o->u.cancel.index) != 2)
        bad(copy, n);
      o->u.cancel.result = tok[3][0];
    } else if ((!strcmp(w, "fdwrite") || !strcmp(w, "fdread")) && nt == 3) {
      o->k = w[2] == 'w' ? K_FDWRITE : K_FDREAD;
      o->u.fdio.fd = parse_fd(tok[1], copy, n);
      o->u.fdio.bytes = atol(tok[2]);
    } else bad(copy, n);
  }
  free(line);
  fclose(f);
  *len = m;
  return ops;
}

/* ---- memory, made once ---- */

static long page;
static char *arena, *arena_next;
static char *ro_pages;
static int ro_used;
static char *unmapped;        /* nothing readable there (PROT_NONE) */
static char *ptr_guard;       /* a PROT_NONE page after the iocbpp array's pages */
static char *events_rw, *events_ro;
static int aio_nr_fd;
static volatile uint64_t sink; /* what the worker reads back, read here too */

static void *map(size_t len, int prot) {
  void *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) { perror("mmap"); exit(2); }
  return p;
}

static void memory_new(void) {
  page = sysconf(_SC_PAGESIZE);
  arena = map(ARENA_BYTES, PROT_READ | PROT_WRITE);
  ro_pages = map(RO_PAGES * page, PROT_READ);
  unmapped = map(page, PROT_NONE);
  size_t ptr_bytes = MAX_ENTRIES * sizeof(uint64_t);
  char *p = map(ptr_bytes + page, PROT_READ | PROT_WRITE);
  ptr_guard = p + ptr_bytes;
  mprotect(ptr_guard, page, PROT_NONE);
  events_rw = map(MAX_EVENTS * sizeof(struct io_event), PROT_READ | PROT_WRITE);
  events_ro = map(MAX_EVENTS * sizeof(struct io_event), PROT_READ);
}

static char *alloc(size_t bytes) {
  char *p = arena_next;
  arena_next += (bytes + 15) & ~(size_t)15;
  if (arena_next > arena + ARENA_BYTES) { fprintf(stderr, "family: a case needs more than the arena\n"); exit(2); }
  return p;
}

static char *filled(size_t bytes, int fill) {
  char *p = alloc(bytes);
  memset(p, fill, bytes);
  return p;
}

static long long aio_nr(void) {
  char buf[32];
  ssize_t n = pread(aio_nr_fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return -1;
  buf[n] = 0;
  return atoll(buf);
}

/* ---- one case ---- */

struct open_file { int kind, fd, rd, wr; };

struct kase {
  int check;
  int nfiles;
  struct open_file files[MAX_FILES];
  int step;                              /* the index of the step being run */
  aio_context_t handles[MAX_STEPS];      /* by setup step; 0: none made */
  uint64_t *submitted[MAX_STEPS];        /* iocbpp entries, by submit step */
  aio_context_t made[MAX_STEPS];
  int nmade;
};

static int resolve_fd(struct kase *c, struct fdref r) {
  if (r.file < 0) return (int)r.literal;
  struct open_file *f = &c->files[r.file];
  if (r.end == 'w' && f->kind == F_PIPE) return f->wr;
  return f->fd; /* a pipe's fd without an end is its read end */
}

/* How --check names an fd: the file's kind and index, a pipe's end, or the literal. */
static const char *fd_name(struct kase *c, struct fdref r, char *out, size_t len) {
  if (r.file < 0) snprintf(out, len, "#%u", r.literal);
  else {
    int k = c->files[r.file].kind;
    snprintf(out, len, "%s%d%s", fkind_name[k], r.file, k != F_PIPE ? "" : r.end == 'w' ? ".w" : ".r");
  }
  return out;
}

static aio_context_t resolve_ctx(struct kase *c, struct ctxref r) {
  return r.step >= 0 ? c->handles[r.step] : (aio_context_t)r.addr;
}

static const char *ctx_name(struct ctxref r, char *out, size_t len) {
  if (r.step >= 0) snprintf(out, len, "s%d", r.step);
  else snprintf(out, len, "@%llu", (unsigned long long)r.addr);
  return out;
}

/* ring->head and ring->tail of a live context of ours, as the worker reads them after a call. */
static void ring_ends(struct kase *c, struct ctxref r) {
  if (r.step < 0 || c->handles[r.step] == 0) return;
  volatile uint32_t *ring = (volatile uint32_t *)c->handles[r.step];
  sink += ring[2] + ring[3];
}

static void pattern_file(const char *path, long size) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) { perror(path); exit(2); }
  if (size > 0) {
    char *b = alloc(size);
    for (long i = 0; i < size; i++) b[i] = (char)(i & 0xff);
    if (write(fd, b, size) != size) { perror("write"); exit(2); }
  }
  close(fd);
}

static void open_files(struct kase *c, struct op *o, int n) {
  char dir[64] = "", path[96];
  int on_disk = 0;
  for (int i = 0; i < n; i++) on_disk |= o[i].u.file.kind == F_FILE || o[i].u.file.kind == F_DIR;
  if (on_disk && !c->check) {
    snprintf(dir, sizeof dir, "/dev/shm/aiospec-bench-%d-XXXXXX", getpid());
    if (!mkdtemp(dir)) { perror("mkdtemp /dev/shm"); exit(2); }
  }
  for (int i = 0; i < n; i++) {
    struct open_file *f = &c->files[i];
    typeof(o[i].u.file) *s = &o[i].u.file;
    f->kind = s->kind;
    f->rd = f->wr = -1;
    snprintf(path, sizeof path, "%s/f%d", dir, i);
    switch (s->kind) {
    case F_FILE:
      if (c->check) {
        printf("open file%d %s size %ld append %d\n", i, s->mode == O_RDONLY ? "r" : s->mode == O_WRONLY ? "w" : "rw", s->size, s->append);
        break;
      }
      pattern_file(path, s->size);
      f->fd = open(path, s->mode | (s->append ? O_APPEND : 0) | O_CLOEXEC);
      unlink(path);
      break;
    case F_DIR:
      if (c->check) { printf("open dir%d\n", i); break; }
      mkdir(path, 0700);
      f->fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      rmdir(path);
      break;
    case F_PIPE: {
      if (c->check) { printf("pipe2 pipe%d nonblock %d fill %ld\n", i, s->nonblock, s->fill); break; }
      int fds[2];
      if (pipe2(fds, O_CLOEXEC | (s->nonblock ? O_NONBLOCK : 0))) { perror("pipe2"); exit(2); }
      f->fd = f->rd = fds[0];
      f->wr = fds[1];
      if (s->fill > 0) {
        int fl = fcntl(f->wr, F_GETFL, 0);
        fcntl(f->wr, F_SETFL, fl | O_NONBLOCK);
        char *b = alloc(s->fill);
        for (long j = 0; j < s->fill; j++) b[j] = (char)(j & 0xff);
        if (write(f->wr, b, s->fill) != s->fill) { perror("pipe fill"); exit(2); }
        fcntl(f->wr, F_SETFL, fl);
      }
      break;
    }
    case F_EVENTFD:
      if (c->check) { printf("eventfd eventfd%d nonblock %d count %u\n", i, s->nonblock, s->count); break; }
      f->fd = eventfd(s->count, EFD_CLOEXEC | (s->nonblock ? EFD_NONBLOCK : 0));
      break;
    }
    if (!c->check && f->fd < 0) { fprintf(stderr, "family: file %d: %s\n", i, strerror(errno)); exit(2); }
  }
  if (dir[0]) rmdir(dir);
}

/* One struct iocb (and its iovecs, o[1..]); returns its address. *used: the lines it took. */
static uint64_t build_iocb(struct kase *c, struct op *o, int *used) {
  typeof(o->u.iocb) *s = &o->u.iocb;
  uint64_t buf = 0, count = 0;
  int iovs = 0;
  char b1[32], b2[32];
  switch (s->buf) {
  case 'b': buf = (uint64_t)(uintptr_t)filled(s->bufval, BUFFER_FILL); count = s->bufval; break;
  case 'v': buf = s->bufval; break;
  case 'u': buf = (uint64_t)(uintptr_t)unmapped; count = page; break;
  case 'i': {
    iovs = (int)s->bufval;
    struct iovec *v = (struct iovec *)alloc(iovs * sizeof *v + 1);
    for (int i = 0; i < iovs; i++) {
      typeof(o[1 + i].u.iov) *x = &o[1 + i].u.iov;
      if (o[1 + i].k != K_IOV) { fprintf(stderr, "family: an iocb lacks its iovecs\n"); exit(2); }
      if (x->bytes >= 0) { v[i].iov_base = filled(x->bytes, BUFFER_FILL); v[i].iov_len = x->bytes; }
      else { v[i].iov_base = (void *)(uintptr_t)x->base; v[i].iov_len = x->len; }
    }
    buf = (uint64_t)(uintptr_t)v;
    count = iovs;
    break;
  }
  }
  *used = 1 + iovs;
  uint64_t nbytes = s->has_nbytes ? s->nbytes : count;
  if (c->check) {
    const char *bufs = s->buf == 'b' ? "bytes" : s->buf == 'v' ? "value" : s->buf == 'u' ? "unmapped" : s->buf == 'i' ? "iov" : "none";
    printf("  iocb data %llu key %u rw_flags %u opcode %u reqprio %d fildes %s buf %s", (unsigned long long)s->data,
           s->key, s->rw_flags, s->opcode, s->reqprio, fd_name(c, s->fd, b1, sizeof b1), bufs);
    if (s->buf == 'v') printf(" %llu", (unsigned long long)s->bufval);
    printf(" nbytes %llu offset %lld reserved2 %llu flags %u resfd %s readonly %d\n", (unsigned long long)nbytes,
           (long long)s->offset, (unsigned long long)s->reserved2, s->flags, fd_name(c, s->resfd, b2, sizeof b2), s->readonly);
    for (int i = 0; i < iovs; i++) {
      typeof(o[1 + i].u.iov) *x = &o[1 + i].u.iov;
      if (x->bytes >= 0) printf("  iov bytes %d\n", x->bytes);
      else printf("  iov base %llu len %llu\n", (unsigned long long)x->base, (unsigned long long)x->len);
    }
  }
  struct iocb *cb;
  if (s->readonly) {
    if (ro_used == RO_PAGES) { fprintf(stderr, "family: too many read-only iocbs in a case\n"); exit(2); }
    cb = (struct iocb *)(ro_pages + page * ro_used++);
    mprotect(cb, page, PROT_READ | PROT_WRITE);
  } else cb = (struct iocb *)alloc(sizeof *cb);
  memset(cb, 0, sizeof *cb);
  cb->aio_data = s->data;
  cb->aio_key = s->key;
  cb->aio_rw_flags = (int)s->rw_flags;
  cb->aio_lio_opcode = s->opcode;
  cb->aio_reqprio = s->reqprio;
  cb->aio_fildes = c->check ? 0 : (uint32_t)resolve_fd(c, s->fd);
  cb->aio_buf = buf;
  cb->aio_nbytes = nbytes;
  cb->aio_offset = s->offset;
  cb->aio_reserved2 = s->reserved2;
  cb->aio_flags = s->flags;
  cb->aio_resfd = c->check ? 0 : (uint32_t)resolve_fd(c, s->resfd);
  if (s->readonly) mprotect(cb, page, PROT_READ);
  return (uint64_t)(uintptr_t)cb;
}

static int do_submit(struct kase *c, struct op *o) {
  typeof(o->u.submit) *s = &o->u.submit;
  char b[32];
  if (c->check)
    printf("io_submit %s nr %ld entries %d array %s\n", ctx_name(s->ctx, b, sizeof b), s->nr, s->entries,
           s->unmapped_array ? "unmapped" : s->entries == 0 ? "null" : "guarded");
  uint64_t *ptrs = (uint64_t *)(ptr_guard - s->entries * sizeof(uint64_t));
  int at = 1;
  static char is_iocb[MAX_ENTRIES];
  for (int i = 0; i < s->entries; i++) {
    struct op *e = &o[at];
    is_iocb[i] = e->k == K_IOCB;
    if (e->k == K_NULL) { ptrs[i] = 0; at++; if (c->check) printf("  null\n"); }
    else if (e->k == K_UNMAPPED) { ptrs[i] = (uint64_t)(uintptr_t)unmapped; at++; if (c->check) printf("  unmapped\n"); }
    else if (e->k == K_IOCB) { int used; ptrs[i] = build_iocb(c, e, &used); at += used; }
    else { fprintf(stderr, "family: io_submit lacks entry %d\n", i); exit(2); }
  }
  uint64_t *keep = (uint64_t *)alloc(s->entries * sizeof *keep + 1);
  memcpy(keep, ptrs, s->entries * sizeof *keep);
  c->submitted[c->step] = keep;
  if (c->check) return at;
  uint64_t array = s->unmapped_array ? (uint64_t)(uintptr_t)unmapped : s->entries == 0 ? 0 : (uint64_t)(uintptr_t)ptrs;
  syscall(SYS_io_submit, resolve_ctx(c, s->ctx), s->nr, array);
  for (int i = 0; i < s->entries; i++)
    if (is_iocb[i]) sink += ((struct iocb *)(uintptr_t)ptrs[i])->aio_key;
  ring_ends(c, s->ctx);
  return at;
}

static void do_getevents(struct kase *c, struct op *o) {
  typeof(o->u.getevents) *s = &o->u.getevents;
  long capacity = s->nr < 1 ? 1 : s->nr > MAX_EVENTS ? MAX_EVENTS : s->nr;
  char b[32];
  if (c->check) {
    printf("io_getevents %s min_nr %ld nr %ld events %s capacity %ld timeout ", ctx_name(s->ctx, b, sizeof b), s->min_nr,
           s->nr, s->events == 'b' ? "buffer" : s->events == 'n' ? "null" : s->events == 'u' ? "unmapped" : "readonly", capacity);
    if (s->timeout == 't') printf("%lld,%lld\n", (long long)s->sec, (long long)s->nsec);
    else printf("%s\n", s->timeout == 'n' ? "null" : "unmapped");
    return;
  }
  struct io_event *ev = s->events == 'b' ? (struct io_event *)events_rw
                        : s->events == 'r' ? (struct io_event *)events_ro
                        : s->events == 'u' ? (struct io_event *)unmapped : NULL;
  struct timespec *ts = NULL;
  if (s->timeout == 'u') ts = (struct timespec *)unmapped;
  else if (s->timeout == 't') {
    int64_t *t = (int64_t *)alloc(16);
    t[0] = s->sec;
    t[1] = s->nsec;
    ts = (struct timespec *)t;
  }
  long r = syscall(SYS_io_getevents, resolve_ctx(c, s->ctx), s->min_nr, s->nr, ev, ts);
  if (s->events == 'b')
    for (long i = 0; i < r && i < capacity; i++) sink += ev[i].data + ev[i].obj + ev[i].res + ev[i].res2;
  ring_ends(c, s->ctx);
}

static void do_cancel(struct kase *c, struct op *o) {
  typeof(o->u.cancel) *s = &o->u.cancel;
  char b[32];
  if (c->check) {
    printf("io_cancel %s iocb ", ctx_name(s->ctx, b, sizeof b));
    if (s->target == 's') printf("s%d.%d", s->step, s->index);
    else printf("%s", s->target == 'n' ? "null" : "unmapped");
    printf(" result %s\n", s->result == 'n' ? "null" : "buffer");
    return;
  }
  uint64_t iocb = s->target == 'n' ? 0 : s->target == 'u' ? (uint64_t)(uintptr_t)unmapped : c->submitted[s->step][s->index];
  unsigned char *result = s->result == 'n' ? NULL : (unsigned char *)filled(RESULT_BYTES, RESULT_FILL);
  syscall(SYS_io_cancel, resolve_ctx(c, s->ctx), iocb, result);
  if (result)
    for (int i = 0; i < RESULT_BYTES; i++) sink += result[i] != RESULT_FILL;
  ring_ends(c, s->ctx);
}

static void do_fdio(struct kase *c, struct op *o) {
  typeof(o->u.fdio) *s = &o->u.fdio;
  int eventfd = s->fd.file >= 0 && c->files[s->fd.file].kind == F_EVENTFD;
  char b[32];
  if (c->check) {
    if (o->k == K_FDWRITE)
      printf("write %s bytes %ld%s\n", fd_name(c, s->fd, b, sizeof b), s->bytes, eventfd && s->bytes >= 8 ? " u64 1" : " pattern");
    else printf("read %s bytes %ld\n", fd_name(c, s->fd, b, sizeof b), s->bytes);
    return;
  }
  char *buf = alloc(s->bytes > 0 ? s->bytes : 1);
  int fd = resolve_fd(c, s->fd);
  if (o->k == K_FDWRITE) {
    for (long i = 0; i < s->bytes; i++) buf[i] = (char)(i & 0xff);
    if (eventfd && s->bytes >= 8) *(uint64_t *)buf = 1;
    sink += write(fd, buf, s->bytes);
  } else {
    ssize_t r = read(fd, buf, s->bytes);
    if (eventfd && r == 8) sink += *(uint64_t *)buf;
  }
}

/* Run (or, checking, print) the case whose first line is ops[i] ("case"); returns the index after its "end". */
static size_t run_case(struct op *ops, size_t n, size_t i, int check) {
  static struct kase c;
  memset(&c, 0, sizeof c);
  c.check = check;
  arena_next = arena;
  ro_used = 0;
  size_t j = i + 1, first = j;
  while (j < n && ops[j].k == K_FILE) j++;
  c.nfiles = (int)(j - first);
  if (c.nfiles > MAX_FILES) { fprintf(stderr, "family: more than %d files in a case\n", MAX_FILES); exit(2); }
  open_files(&c, &ops[first], c.nfiles);
  for (c.step = 0; j < n && ops[j].k != K_END; c.step++) {
    if (c.step >= MAX_STEPS) { fprintf(stderr, "family: more than %d steps in a case\n", MAX_STEPS); exit(2); }
    struct op *o = &ops[j];
    switch (o->k) {
    case K_SETUP:
      if (check) {
        printf("io_setup %u -> s%d\n", o->u.setup.nr, c.step);
        c.made[c.nmade++] = c.step; /* checking: the steps whose contexts a release would destroy */
      } else {
        aio_context_t h = 0;
        aio_nr();
        long r = syscall(SYS_io_setup, o->u.setup.nr, &h);
        aio_nr();
        if (r == 0 && h) {
          c.handles[c.step] = h;
          c.made[c.nmade++] = h;
          volatile uint32_t *ring = (volatile uint32_t *)h;
          sink += ring[1]; /* the worker reads the ring's header */
        }
      }
      j++;
      break;
    case K_SUBMIT: j += do_submit(&c, o); break;
    case K_GETEVENTS: do_getevents(&c, o); j++; break;
    case K_CANCEL: do_cancel(&c, o); j++; break;
    case K_FDWRITE:
    case K_FDREAD: do_fdio(&c, o); j++; break;
    default: fprintf(stderr, "family: unexpected line in a case (op %d)\n", o->k); exit(2);
    }
  }
  if (j >= n) { fprintf(stderr, "family: the stream ends inside a case\n"); exit(2); }
  /* As the worker: the case's contexts go first (a pending POLL holds its file until then), then its fds. */
  if (check) {
    for (int k = 0; k < c.nmade; k++) printf("io_destroy s%d\n", (int)c.made[k]);
    printf("close %d\n", c.nfiles);
  } else {
    release("family", c.made, c.nmade);
    for (int f = 0; f < c.nfiles; f++) {
      close(c.files[f].fd);
      if (c.files[f].wr >= 0) close(c.files[f].wr);
    }
  }
  return j + 1;
}

int main(int argc, char **argv) {
  int check = argc > 2 && !strcmp(argv[1], "--check");
  if (argc < 2 || (argc > 2 && !check)) {
    fprintf(stderr, "usage: family [--check] STREAM\n");
    return 2;
  }
  size_t n, cases = 0;
  struct op *ops = read_family(argv[check ? 2 : 1], &n);
  memory_new();
  aio_nr_fd = open("/proc/sys/fs/aio-nr", O_RDONLY);
  if (!check) start_destroyers();
  double t0 = release_now();
  for (size_t i = 0; i < n; cases++) {
    if (ops[i].k != K_CASE) { fprintf(stderr, "family: a case must begin with 'case'\n"); return 2; }
    if (check) printf("case %zu\n", cases);
    i = run_case(ops, n, i, check);
  }
  if (!check) printf("%zu %.6f\n", cases, release_now() - t0);
  return 0;
}
