/* test_span_ids.c - ids drawn on first use (span.c): a span that does not record starts without
 * drawing its ids, and the first reader draws them. What the tests prove:
 * - every reader sees the same ids, and a child (by handle or by current span), an injected
 *   header and census_span_context() agree on them, whichever reads first;
 * - the ids stay random and unique: 200000 spans, none repeats a trace id or a span id, and each
 *   of the 56 bits the W3C random flag promises (trace id bytes 9..15) is set in half of them
 *   within 6 standard deviations;
 * - two threads reading one span's ids for the first time at once (children of one parent, the
 *   common fan-out) get the same ids (and TSan sees the draw ordered before every read), and a
 *   reader that finds another thread drawing waits for its ids;
 * - a fork in a span whose ids were never read: parent and child still agree on them.
 * The draw-once checks fail on a draw that does not claim the record (each reader drawing its
 * own ids); the fork check fails without census__span_fork_prepare(). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support.h"

#include "census/propagation.h"
#include "census/trace.h"
#include "trace/span_internal.h"
#include "trace/span_pool.h"
#include "../support/fork_quiet.h" /* fork() under ASan: see there */

static census_sampler *off;

static census_span_options unsampled(void) {
  census_span_options o = CENSUS_SPAN_OPTIONS_INIT;
  o.sampler = off;
  return o;
}

/* True if span's ids are not drawn yet. Read with memcpy, not atomic_load: GCC's
 * -Wstringop-overflow misreads an atomic byte load through census__span_lookup()'s chunk table
 * (a false "region of size 0"); the tests read it only while no other thread touches the span. */
static bool pending(census_span span) {
  struct census_span_data *r = census__span_lookup(span);
  assert_non_null(r);
  uint8_t bits;
  memcpy(&bits, (const void *)&r->ids_pending, 1);
  return bits != 0;
}

static int setup(void **state) {
  (void)state;
  off = census_sampler_always_off();
  assert_non_null(off);
  census_span_end(census_span_start("ids/warm-up", NULL)); /* the thread's free records */
  return 0;
}

static int teardown(void **state) {
  (void)state;
  census_sampler_free(off);
  return 0;
}

static void set_header(void *carrier, const char *name, const char *value) {
  if (strcmp(name, "traceparent") == 0) {
    strcpy(carrier, value);
  }
}

/* One unsampled root: undrawn at start, drawn once, and a child by handle, a child by current
 * span and an injected traceparent all carry those ids. */
static void test_readers_agree(void **state) {
  (void)state;
  census_span_options o = unsampled();
  o.root = true;
  census_span root = census_span_start("ids/root", &o);
  assert_true(pending(root));

  census_span_options by_handle = unsampled();
  by_handle.parent = root; /* the child reads the root's ids first */
  census_span child = census_span_start("ids/child", &by_handle);
  assert_false(pending(root));
  census_trace_context r1, r2, c;
  assert_int_equal(census_span_context(root, &r1), CENSUS_OK);
  assert_int_equal(census_span_context(root, &r2), CENSUS_OK);
  assert_memory_equal(&r1, &r2, sizeof r1);
  assert_true(census_trace_context_is_valid(&r1));
  assert_true(r1.trace_flags & CENSUS_TRACE_FLAG_RANDOM);
  assert_false(r1.trace_flags & CENSUS_TRACE_FLAG_SAMPLED);
  /* A second child, started with the root's ids drawn, leaves its own span id for later. */
  census_span second = census_span_start("ids/second child", &by_handle);
  assert_true(pending(second));
  census_span children[] = {child, second};
  for (int i = 0; i < 2; i++) {
    assert_int_equal(census_span_context(children[i], &c), CENSUS_OK);
    assert_memory_equal(c.trace_id, r1.trace_id, sizeof c.trace_id);
    assert_memory_not_equal(c.span_id, r1.span_id, sizeof c.span_id);
    assert_memory_equal(census__span_lookup(children[i])->parent_span_id, r1.span_id, 8);
    census_span_end(children[i]);
  }

  /* A current span read first by its child, then by inject. */
  census_span current = census_span_start_current("ids/current", &o);
  assert_true(pending(current));
  census_span grandchild = census_span_start("ids/under current", NULL);
  struct census_span_data *g = census__span_lookup(grandchild);
  census_trace_context cur;
  assert_int_equal(census_span_context(current, &cur), CENSUS_OK);
  assert_memory_equal(g->context.trace_id, cur.trace_id, 16);
  assert_memory_equal(g->parent_span_id, cur.span_id, 8);
  char header[CENSUS_TRACEPARENT_LENGTH + 1] = "";
  census_span_end(grandchild);
  census_span lone = census_span_start("ids/lone", &o);
  census_trace_context lone_context;
  assert_int_equal(census_span_context(lone, &lone_context), CENSUS_OK);
  assert_int_equal(census_traceparent_inject(&lone_context, set_header, header), CENSUS_OK);
  census_trace_context back;
  assert_int_equal(census_traceparent_parse(header, strlen(header), &back), CENSUS_OK);
  assert_memory_equal(back.trace_id, lone_context.trace_id, 16);
  assert_memory_equal(back.span_id, lone_context.span_id, 8);
  census_span_end(lone);
  census_span_end(current);
  census_span_end(root);
}

static int compare_ids(const void *a, const void *b) { return memcmp(a, b, 16); }

/* 200000 unsampled roots, each read after its end's record is reused by the next: no trace id or
 * span id repeats (a draw from a stale or shared state would), and the random flag's 56 bits are
 * balanced. Span ids are compared in the same 16-byte rows (zero-padded). */
static void test_ids_random_and_unique(void **state) {
  (void)state;
  enum { N = 200000 };
  uint8_t(*traces)[16] = calloc(N, 16), (*spans)[16] = calloc(N, 16);
  assert_true(traces && spans);
  census_span_options o = unsampled();
  o.root = true;
  size_t ones[56] = {0};
  for (size_t i = 0; i < N; i++) {
    census_span s = census_span_start("ids/many", &o);
    census_trace_context c;
    assert_int_equal(census_span_context(s, &c), CENSUS_OK);
    census_span_end(s);
    memcpy(traces[i], c.trace_id, 16);
    memcpy(spans[i], c.span_id, 8);
    for (int bit = 0; bit < 56; bit++) {
      ones[bit] += (c.trace_id[9 + bit / 8] >> (bit % 8)) & 1;
    }
  }
  qsort(traces, N, 16, compare_ids);
  qsort(spans, N, 16, compare_ids);
  for (size_t i = 1; i < N; i++) {
    assert_memory_not_equal(traces[i - 1], traces[i], 16);
    assert_memory_not_equal(spans[i - 1], spans[i], 16);
  }
  /* Binomial(N, 1/2): standard deviation sqrt(N)/2, about 224. */
  for (int bit = 0; bit < 56; bit++) {
    assert_in_range(ones[bit], N / 2 - 6 * 224, N / 2 + 6 * 224);
  }
  free(traces);
  free(spans);
}

struct fan_out {
  census_span parent;
  pthread_barrier_t *go;
  census_trace_context parent_seen;
  census_status parent_status; /* cmocka asserts only on the test's thread */
  uint8_t child_trace[16], child_parent[8];
};

static void *start_child(void *arg) {
  struct fan_out *f = arg;
  census_span_options o = unsampled();
  o.parent = f->parent;
  pthread_barrier_wait(f->go);
  census_span child = census_span_start("ids/fan-out child", &o);
  struct census_span_data *r = census__span_lookup(child);
  if (r) {
    memcpy(f->child_trace, r->context.trace_id, 16);
    memcpy(f->child_parent, r->parent_span_id, 8);
  }
  census_span_end(child);
  f->parent_status = census_span_context(f->parent, &f->parent_seen);
  return NULL;
}

/* Four threads start children of one parent whose ids nobody has read, all at once: every child
 * has the parent's trace id and span id, the ones the parent reports. */
static void test_children_on_threads_agree(void **state) {
  (void)state;
  enum { THREADS = 4, ROUNDS = 200 };
  census_span_options o = unsampled();
  o.root = true;
  for (int round = 0; round < ROUNDS; round++) {
    census_span parent = census_span_start("ids/fan-out parent", &o);
    assert_true(pending(parent));
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, THREADS);
    struct fan_out f[THREADS];
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) {
      f[i] = (struct fan_out){.parent = parent, .go = &go};
      assert_int_equal(pthread_create(&t[i], NULL, start_child, &f[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
      assert_int_equal(pthread_join(t[i], NULL), 0);
    }
    pthread_barrier_destroy(&go);
    census_trace_context mine;
    assert_int_equal(census_span_context(parent, &mine), CENSUS_OK);
    for (int i = 0; i < THREADS; i++) {
      assert_int_equal(f[i].parent_status, CENSUS_OK);
      assert_memory_equal(f[i].child_trace, mine.trace_id, 16);
      assert_memory_equal(f[i].child_parent, mine.span_id, 8);
      assert_memory_equal(f[i].parent_seen.trace_id, mine.trace_id, 16);
    }
    census_span_end(parent);
  }
}

struct waiting_reader {
  census_span span;
  census_trace_context seen;
  census_status status;
  atomic_bool done;
};

static void *read_context(void *arg) {
  struct waiting_reader *w = arg;
  w->status = census_span_context(w->span, &w->seen);
  atomic_store(&w->done, true);
  return NULL;
}

/* A reader that finds another thread drawing the ids (CENSUS__SPAN_IDS_BUSY, set here by hand
 * as span.c's draw sets it) waits for that thread's ids instead of drawing its own: it has not
 * returned 100 ms later, and returns the ids the "drawer" then publishes. */
static void test_reader_waits_for_drawer(void **state) {
  (void)state;
  census_span_options o = unsampled();
  o.root = true;
  census_span span = census_span_start("ids/drawn elsewhere", &o);
  struct census_span_data *r = census__span_lookup(span);
  assert_true(pending(span));
  uint8_t bits = (uint8_t)(CENSUS__SPAN_IDS_SPAN | CENSUS__SPAN_IDS_TRACE);
  assert_true(atomic_compare_exchange_strong(&r->ids_pending, &bits,
                                             (uint8_t)(bits | CENSUS__SPAN_IDS_BUSY)));
  struct waiting_reader w = {.span = span};
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, read_context, &w), 0);
  struct timespec pause = {.tv_nsec = 100 * 1000 * 1000};
  nanosleep(&pause, NULL);
  assert_false(atomic_load(&w.done));
  memset(r->context.trace_id, 0x5a, 16);
  memset(r->context.span_id, 0xa5, 8);
  atomic_store_explicit(&r->ids_pending, 0, memory_order_release);
  assert_int_equal(pthread_join(t, NULL), 0);
  assert_int_equal(w.status, CENSUS_OK);
  assert_memory_equal(w.seen.trace_id, r->context.trace_id, 16);
  assert_memory_equal(w.seen.span_id, r->context.span_id, 8);
  census_span_end(span);
}

/* A fork inside a current span whose ids were never read: the child reads them after the fork
 * (with its generator reseeded), the parent after; both must see the same ids. */
static void test_fork_keeps_current_ids(void **state) {
  (void)state;
#if defined(__SANITIZE_THREAD__)
  /* ThreadSanitizer does not support fork() once threads ran (test_children_on_threads_agree). */
  return;
#endif
  census_span_options o = unsampled();
  o.root = true;
  census_span span = census_span_start_current("ids/before fork", &o);
  assert_true(pending(span));
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  pid_t pid = fork_quiet();
  assert_true(pid >= 0);
  if (pid == 0) {
    census_trace_context child;
    int ok = census_span_context(span, &child) == CENSUS_OK;
    ssize_t n = write(fds[1], &child, sizeof child);
    _exit(ok && n == (ssize_t)sizeof child ? 0 : 1);
  }
  census_trace_context parent, child;
  assert_int_equal(read(fds[0], &child, sizeof child), (ssize_t)sizeof child);
  int wstatus;
  assert_int_equal(waitpid(pid, &wstatus, 0), pid);
  assert_true(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0);
  close(fds[0]);
  close(fds[1]);
  assert_int_equal(census_span_context(span, &parent), CENSUS_OK);
  assert_memory_equal(parent.trace_id, child.trace_id, 16);
  assert_memory_equal(parent.span_id, child.span_id, 8);
  census_span_end(span);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_readers_agree),
      cmocka_unit_test(test_ids_random_and_unique),
      cmocka_unit_test(test_fork_keeps_current_ids),
      cmocka_unit_test(test_children_on_threads_agree),
      cmocka_unit_test(test_reader_waits_for_drawer),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
