/* alloc_failure.c - the allocation-failure torture test (issue 19 item 1).
 *
 * Proves: at every allocation of each public entry point's scenario, a failed allocation ends in
 * a documented status (CENSUS_ENOMEM, a 0 handle or a NULL object, or a drop that census counts),
 * never a crash or a leak, and leaves census consistent: what a record call accepted is exactly
 * what the view's snapshot holds, and each record it refused for memory is counted in
 * census/dropped_measurements{reason="out_of_memory"}; every span attribute census accepted is
 * exported and every one it could not keep is counted in the span's dropped attributes.
 *
 * How: the test gives census its allocator (census_allocator_replace(), before any other census
 * call). Each scenario runs once to count the allocations it makes on its own thread (N), then N
 * times more, the k-th run failing exactly the k-th allocation. Only the scenario's thread is
 * armed, so the count is deterministic (the export worker allocates unarmed). The allocator counts
 * live blocks: a scenario that frees what it made must end every run with as many live blocks as
 * it started with (the "clean" scenarios); the rest are checked by LeakSanitizer in the ASan
 * build (label "unit").
 * TORTURE_BACKTRACE=1 prints the stack of each failed allocation (with a scenario's name as the
 * argument, only that scenario runs). It prints, per scenario, the allocation points exercised; the
 * totals go to docs/reliability.md. Fails on main: census_allocator_replace() did not exist (the
 * test does not build there).
 */
#include <execinfo.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "census/census.h"
#include "census/exporter.h"
#include "census/exporters/stdout.h"
#ifdef CENSUS_HAVE_PROMETHEUS
#include "census/exporters/prometheus.h"
#endif
#ifdef CENSUS_HAVE_OTLP
#include "census/exporters/otlp.h"
#endif
#ifdef CENSUS_HAVE_ZIPKIN
#include "census/exporters/zipkin.h"
#endif
#ifdef CENSUS_HAVE_GOOGLE_CLOUD
#include "census/exporters/google_cloud_monitoring.h"
#include "census/exporters/google_cloud_trace.h"
#endif
#ifdef CENSUS_HAVE_ZPAGES
#include "buffer.h"
#include "census/exporters/zpages.h"
#include "zpages_internal.h"
#endif
#include "census/propagation.h"
#include "census/shm.h"
#include "census/trace.h"

#include "../support/fork_quiet.h"

/* ---- the failing allocator --------------------------------------------------------------- */

static _Thread_local bool armed;  /* this thread's allocations are counted (and may fail) */
static _Atomic long seen;         /* allocations made while armed, this run */
static _Atomic long fail_at;      /* the allocation to fail (1-based), 0: none */
static _Atomic long failed;       /* allocations failed, this run */
static _Atomic long live;         /* blocks allocated and not freed */
static _Atomic long total_points; /* allocation points exercised, all scenarios */

static bool should_fail(void) {
  if (!armed) {
    return false;
  }
  long n = atomic_fetch_add(&seen, 1) + 1;
  if (n == atomic_load(&fail_at)) {
    atomic_fetch_add(&failed, 1);
    if (getenv("TORTURE_BACKTRACE")) { /* debugging: where the failed allocation is */
      void *frames[24];
      fprintf(stderr, "--- failing allocation %ld\n", n);
      backtrace_symbols_fd(frames, backtrace(frames, 24), 2);
    }
    return true;
  }
  return false;
}

static void *t_malloc(size_t size) {
  void *p = should_fail() ? NULL : malloc(size);
  if (p) {
    atomic_fetch_add(&live, 1);
  }
  return p;
}

static void *t_calloc(size_t count, size_t size) {
  void *p = should_fail() ? NULL : calloc(count, size);
  if (p) {
    atomic_fetch_add(&live, 1);
  }
  return p;
}

static void *t_realloc(void *block, size_t size) {
  return should_fail() ? NULL : realloc(block, size);
}

static void t_free(void *block) {
  if (block) {
    atomic_fetch_sub(&live, 1);
  }
  free(block);
}

static int failures; /* checks that failed, all scenarios */

#define CHECK(cond, ...)                                                                           \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      failures++;                                                                                  \
      fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                              \
      fprintf(stderr, __VA_ARGS__);                                                                \
      fputc('\n', stderr);                                                                         \
    }                                                                                              \
  } while (0)

/* The statuses a call may end with when an allocation fails in it. */
static bool ok_or_enomem(census_status st) { return st == CENSUS_OK || st == CENSUS_ENOMEM; }

/* ---- the harness --------------------------------------------------------------------------- */

typedef struct scenario {
  const char *name;
  void (*run)(void); /* one run, on the calling (armed) thread; frees what it makes */
  bool clean;        /* each run leaves no block behind */
} scenario;

static int64_t rec_accepted; /* values accepted by record calls, all runs */
static int64_t rec_refused;  /* record calls refused with CENSUS_ENOMEM, all runs */
static long attrs_refused;
static int64_t view_total(const char *name, const char *only_value);

/* Checks that a run's records add up: the view grew by what was accepted, the out-of-memory drop
 * count by what was refused. Call with the totals before the run. */
static void check_records(const char *what, int64_t view_before, int64_t dropped_before,
                          int64_t accepted_before, int64_t refused_before) {
  int64_t view = view_total("torture/records", NULL);
  int64_t dropped = view_total("census/dropped_measurements", "out_of_memory");
  CHECK(view - view_before == rec_accepted - accepted_before,
        "%s (failing allocation %ld): the view grew by %lld, calls accepted %lld", what,
        atomic_load(&fail_at), (long long)(view - view_before),
        (long long)(rec_accepted - accepted_before));
  CHECK(dropped - dropped_before == rec_refused - refused_before,
        "%s (failing allocation %ld): out_of_memory drops counted %lld, calls refused %lld", what,
        atomic_load(&fail_at), (long long)(dropped - dropped_before),
        (long long)(rec_refused - refused_before));
}

/* Runs s once counting, then once per allocation failing it; checks the live blocks. */
/* Where torture() is, for the watchdog: a hang (the test timed out once under ASan with no
 * output) then names its scenario and failing allocation instead of dying silently at ctest's
 * timeout. */
static const char *_Atomic progress_name = "set-up";
static _Atomic long progress_at, progress_steps;
static _Atomic pid_t child_pid; /* a fork child the test waits for, 0: none */

/* Aborts with the scenario and failing allocation when torture() makes no step for 60 s (a
 * whole scenario takes well under a second per allocation point). */
static void *watchdog(void *unused) {
  (void)unused;
  long last = -1;
  for (;;) {
    sleep(60);
    long steps = atomic_load(&progress_steps);
    if (steps == last) {
      fprintf(stderr,
              "alloc_failure: no progress for 60 s in scenario %s, failing allocation %ld "
              "(0: the reference run); aborting\n",
              atomic_load(&progress_name), atomic_load(&progress_at));
      pid_t child = atomic_load(&child_pid);
      if (child > 0) {
        kill(child, SIGKILL); /* else it keeps ctest's output pipe open until ctest's timeout */
      }
      abort();
    }
    last = steps;
  }
  return NULL;
}

static void torture(const scenario *s) {
  atomic_store(&progress_name, s->name);
  atomic_store(&progress_at, 0);
  atomic_fetch_add(&progress_steps, 1);
  s->run(); /* warm-up, unarmed: what a first use creates for good (interned keys, scratch) */
  long before = atomic_load(&live);
  atomic_store(&fail_at, 0);
  atomic_store(&seen, 0);
  armed = true;
  s->run();
  armed = false;
  long n = atomic_load(&seen);
  CHECK(!s->clean || atomic_load(&live) == before, "%s: reference run left %ld blocks", s->name,
        atomic_load(&live) - before);
  for (long k = 1; k <= n; k++) {
    atomic_store(&progress_at, k);
    atomic_fetch_add(&progress_steps, 1);
    before = atomic_load(&live);
    atomic_store(&seen, 0);
    atomic_store(&failed, 0);
    atomic_store(&fail_at, k);
    armed = true;
    s->run();
    armed = false;
    atomic_store(&fail_at, 0);
    CHECK(atomic_load(&failed) == 1, "%s: allocation %ld of %ld was not reached", s->name, k, n);
    CHECK(!s->clean || atomic_load(&live) == before, "%s: failing allocation %ld left %ld blocks",
          s->name, k, atomic_load(&live) - before);
  }
  atomic_fetch_add(&total_points, n);
  printf("%-28s %4ld allocation points\n", s->name, n);
}

/* ---- tags ---------------------------------------------------------------------------------- */

static const census_tag_key *key_a, *key_b;

static void tag_maps(void) {
  census_tag_map *m = census_tag_map_new();
  if (!m) {
    return;
  }
  census_status st = census_tag_map_put(m, key_a, "alpha");
  CHECK(ok_or_enomem(st), "put: %s", census_status_name(st));
  bool has_a = st == CENSUS_OK;
  st = census_tag_map_put(m, key_b, "beta");
  CHECK(ok_or_enomem(st), "put: %s", census_status_name(st));
  bool has_b = st == CENSUS_OK;
  st = census_tag_map_put(m, key_a, "alpha-2"); /* replaces: on failure the old value stays */
  CHECK(ok_or_enomem(st), "replace: %s", census_status_name(st));
  const char *a = census_tag_map_get(m, key_a);
  if (has_a) {
    CHECK(a && strcmp(a, st == CENSUS_OK ? "alpha-2" : "alpha") == 0, "value after replace: %s",
          a ? a : "(null)");
  } else {
    CHECK(st != CENSUS_OK || (a && strcmp(a, "alpha-2") == 0), "value: %s", a ? a : "(null)");
  }
  CHECK(census_tag_map_size(m) == (size_t)(has_a || st == CENSUS_OK) + (size_t)has_b, "size %zu",
        census_tag_map_size(m));
  census_tag_map *copy = census_tag_map_copy(m);
  if (copy) {
    CHECK(census_tag_map_size(copy) == census_tag_map_size(m), "copy size");
  }
  census_tag_map_free(copy);
  census_tag_map_free(m);
}

/* ---- propagation --------------------------------------------------------------------------- */

struct carrier {
  char baggage[512];
};

static void carrier_set(void *c, const char *name, const char *value) {
  if (strcmp(name, "baggage") == 0) {
    snprintf(((struct carrier *)c)->baggage, sizeof((struct carrier *)c)->baggage, "%s", value);
  }
}

static const char *carrier_get(void *c, const char *name) {
  return strcmp(name, "baggage") == 0 ? ((struct carrier *)c)->baggage : NULL;
}

static void propagation(void) {
  /* extract: keys interned, values copied into the map */
  struct carrier in = {"k1=v1,k2=v2;p=1,k3=v%203"};
  census_tag_map *m = census_tag_map_new();
  if (!m) {
    return;
  }
  size_t skipped = 0;
  census_status st = census_baggage_extract(carrier_get, &in, m, &skipped);
  CHECK(ok_or_enomem(st), "extract: %s", census_status_name(st));
  if (st == CENSUS_OK) {
    CHECK(census_tag_map_size(m) == 3, "extracted %zu", census_tag_map_size(m));
  }
  struct carrier out = {""};
  st = census_baggage_inject(m, carrier_set, &out, &skipped);
  CHECK(ok_or_enomem(st), "inject: %s", census_status_name(st));
  CHECK(st == CENSUS_OK || out.baggage[0] == '\0', "inject wrote on failure: %s", out.baggage);
  census_tag_map_free(m);
}

/* ---- propagation: every format, one composite propagator --------------------------------- */

#define MAX_HEADERS 16

struct headers {
  char names[MAX_HEADERS][32];
  char values[MAX_HEADERS][512];
  int count;
};

static void headers_set(void *c, const char *name, const char *value) {
  struct headers *h = c;
  if (h->count < MAX_HEADERS) {
    snprintf(h->names[h->count], sizeof h->names[0], "%s", name);
    snprintf(h->values[h->count], sizeof h->values[0], "%s", value);
    h->count++;
  }
}

static const char *headers_get(void *c, const char *name) {
  struct headers *h = c;
  for (int i = 0; i < h->count; i++) {
    if (strcasecmp(h->names[i], name) == 0) {
      return h->values[i];
    }
  }
  return NULL;
}

/* The composite propagator with every format: new, inject a context and baggage, extract them
 * back (each trace format alone too), and the binary tag format's decode.
 * Fails without its fix: census_propagator_extract() ignored census_baggage_extract()'s
 * CENSUS_ENOMEM and answered CENSUS_OK with baggage members missing (lost silently). */
static void formats(void) {
  census_status st;
  census_propagator *p =
      census_propagator_new("tracecontext,baggage,b3,b3multi,gcp_trace,grpc_trace_bin", &st);
  CHECK(p || st == CENSUS_ENOMEM, "propagator_new: %s", census_status_name(st));
  if (!p) {
    return;
  }
  census_tag_map *bag = census_tag_map_new();
  if (bag) {
    st = census_tag_map_put(bag, key_a, "alpha");
    CHECK(ok_or_enomem(st), "put: %s", census_status_name(st));
    if (st == CENSUS_OK) {
      st = census_tag_map_put(bag, key_b, "beta gamma");
      CHECK(ok_or_enomem(st), "put: %s", census_status_name(st));
    }
  }
  size_t bag_size = census_tag_map_size(bag);
  census_trace_context ctx = {{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
                              {1, 2, 3, 4, 5, 6, 7, 8},
                              1,
                              false,
                              "vendor=value"};
  struct headers h = {.count = 0};
  st = census_propagator_inject(p, &ctx, bag, headers_set, &h);
  CHECK(ok_or_enomem(st), "propagator inject: %s", census_status_name(st));
  bool baggage_sent = headers_get(&h, "baggage") != NULL;
  CHECK(st == CENSUS_OK || !baggage_sent, "inject wrote baggage on failure");
  CHECK(headers_get(&h, "traceparent") && headers_get(&h, "b3") &&
            headers_get(&h, "x-b3-traceid") && headers_get(&h, "x-cloud-trace-context") &&
            headers_get(&h, "grpc-trace-bin"),
        "inject (failing allocation %ld) left out a trace header", atomic_load(&fail_at));
  census_tag_map *got = census_tag_map_new();
  census_trace_context back;
  st = census_propagator_extract(p, headers_get, &h, &back, got);
  /* a baggage member that could not be copied is an out-of-memory; the context is still found */
  CHECK(st == CENSUS_OK || st == CENSUS_ENOMEM, "propagator extract: %s", census_status_name(st));
  if (st == CENSUS_OK) {
    CHECK(memcmp(back.trace_id, ctx.trace_id, sizeof ctx.trace_id) == 0, "trace id lost");
    if (got && baggage_sent) {
      CHECK(census_tag_map_size(got) == bag_size, "baggage extracted %zu of %zu",
            census_tag_map_size(got), bag_size);
    }
  }
  /* each trace format alone, through its own extract */
  census_trace_context one;
  CHECK(census_traceparent_extract(headers_get, &h, &one, NULL) == CENSUS_OK,
        "traceparent extract");
  CHECK(census_b3_extract(headers_get, &h, &one, NULL) == CENSUS_OK, "b3 extract");
  CHECK(census_cloud_trace_extract(headers_get, &h, &one) == CENSUS_OK, "cloud trace extract");
  /* grpc-tags-bin: all or nothing */
  uint8_t bin[256];
  size_t len = 0;
  if (bag && census_tags_binary_encode(bag, bin, sizeof bin, &len) == CENSUS_OK) {
    census_tag_map *decoded = census_tag_map_new();
    if (decoded) {
      st = census_tags_binary_decode(bin, len, decoded);
      CHECK(ok_or_enomem(st), "tags_binary_decode: %s", census_status_name(st));
      CHECK(st != CENSUS_OK || census_tag_map_size(decoded) == bag_size, "decoded %zu of %zu",
            census_tag_map_size(decoded), bag_size);
    }
    census_tag_map_free(decoded);
  }
  census_tag_map_free(got);
  census_tag_map_free(bag);
  census_propagator_free(p);
}

/* ---- stats --------------------------------------------------------------------------------- */

static const census_measure *rec_measure;
static int64_t rec_accepted; /* values accepted by record calls, all runs */
static int rec_round;

/* Records from a thread of its own (so each run also allocates the thread's state and cells),
 * against tag values new to the view (new series), and through a measurement map. */
static void *record_thread(void *arg) {
  (void)arg;
  armed = true;
  census_tag_map *tags = census_tag_map_new();
  if (tags) {
    char value[32];
    snprintf(value, sizeof value, "v%d", rec_round);
    if (census_tag_map_put(tags, key_a, value) == CENSUS_OK) {
      for (int i = 0; i < 3; i++) {
        census_status st = census_record_int64(rec_measure, 1, i == 1 ? NULL : tags);
        CHECK(ok_or_enomem(st), "record: %s", census_status_name(st));
        rec_accepted += st == CENSUS_OK;
        rec_refused += st == CENSUS_ENOMEM;
      }
      census_measurement_map *mm = census_measurement_map_new();
      if (mm) {
        census_status st = census_measurement_map_put_int64(mm, rec_measure, 1);
        CHECK(ok_or_enomem(st), "map put: %s", census_status_name(st));
        if (st == CENSUS_OK) {
          st = census_measurement_map_record(mm, tags);
          CHECK(ok_or_enomem(st), "map record: %s", census_status_name(st));
          rec_accepted += st == CENSUS_OK;
          rec_refused += st == CENSUS_ENOMEM;
        }
        census_measurement_map_free(mm);
      }
    }
    census_tag_map_free(tags);
  }
  armed = false;
  return NULL;
}

static void records(void) {
  rec_round++;
  pthread_t t;
  bool was = armed;
  armed = false; /* pthread_create's own allocations are not census's */
  int64_t view = view_total("torture/records", NULL);
  int64_t dropped = view_total("census/dropped_measurements", "out_of_memory");
  int64_t accepted = rec_accepted, refused = rec_refused;
  pthread_create(&t, NULL, record_thread, NULL);
  pthread_join(t, NULL);
  check_records("records", view, dropped, accepted, refused);
  armed = was;
}

/* The sum of the counts of the view `name` (unarmed), or -1 if it cannot be read. */
static int64_t view_total(const char *name, const char *only_value) {
  bool was = armed;
  armed = false;
  census_status st;
  census_view_data *d = census_view_data_get(name, &st);
  int64_t total = d ? 0 : -1;
  for (size_t r = 0; d && r < census_view_data_row_count(d); r++) {
    const char *v = census_view_data_row_value(d, r, 0);
    if (only_value && (!v || strcmp(v, only_value) != 0)) {
      continue;
    }
    census_point p;
    if (census_view_data_row_point(d, r, &p) == CENSUS_OK) {
      total += p.int_value; /* both views are sums */
    }
  }
  census_view_data_free(d);
  armed = was;
  return total;
}

static void bound_run(void);

static void view_snapshot(void) {
  census_status st;
  census_view_data *d = census_view_data_get("torture/records", &st);
  CHECK(d || st == CENSUS_ENOMEM, "view_data_get: %s", census_status_name(st));
  census_view_data_free(d);
  census_view_data **all = NULL;
  size_t count = 0;
  st = census_view_data_get_all(&all, &count);
  CHECK(ok_or_enomem(st), "get_all: %s", census_status_name(st));
  if (st == CENSUS_OK) {
    census_view_data_free_all(all, count);
  }
}

static int view_round;

static void views(void) {
  char name[64];
  snprintf(name, sizeof name, "torture/view_%d", view_round++);
  census_status st;
  census_aggregation *agg =
      census_aggregation_distribution_new((const double[]){1, 10, 100}, 3, &st);
  CHECK(agg || st == CENSUS_ENOMEM, "aggregation: %s", census_status_name(st));
  if (!agg) {
    return;
  }
  const census_tag_key *cols[] = {key_a, key_b};
  census_view *v = census_view_new(name, "torture view", rec_measure, cols, 2, agg, &st);
  CHECK(v || st == CENSUS_ENOMEM, "view_new: %s", census_status_name(st));
  census_aggregation_free(agg);
  if (v) {
    st = census_view_register(v);
    CHECK(ok_or_enomem(st), "register: %s", census_status_name(st));
    census_view_free(v);
  }
}

static void bound(void) {
  int64_t view = view_total("torture/records", NULL);
  int64_t dropped = view_total("census/dropped_measurements", "out_of_memory");
  int64_t accepted = rec_accepted, refused = rec_refused;
  bound_run();
  check_records("bound", view, dropped, accepted, refused);
}

static void bound_run(void) {
  census_tag_map *tags = census_tag_map_new();
  if (!tags) {
    return;
  }
  if (census_tag_map_put(tags, key_a, "bound") == CENSUS_OK) {
    census_status st;
    census_bound_measure *b = census_measure_bind(rec_measure, tags, &st);
    CHECK(b || st == CENSUS_ENOMEM, "bind: %s", census_status_name(st));
    if (b) {
      st = census_bound_record_int64(b, 1);
      CHECK(ok_or_enomem(st), "bound record: %s", census_status_name(st));
      rec_accepted += st == CENSUS_OK;
      rec_refused += st == CENSUS_ENOMEM;
      census_bound_measure_free(b);
    }
  }
  census_tag_map_free(tags);
}

static int instrument_round;

static void instruments(void) {
  char name[64];
  snprintf(name, sizeof name, "torture/counter_%d", instrument_round++);
  census_status st;
  census_counter *c = census_counter_int64_new(name, NULL, &st);
  CHECK(c || st == CENSUS_ENOMEM, "counter_new: %s", census_status_name(st));
  if (c) {
    st = census_counter_add_int64(c, 2, NULL);
    CHECK(ok_or_enomem(st), "counter add: %s", census_status_name(st));
    rec_refused += st == CENSUS_ENOMEM; /* counted in census/dropped_measurements too */
  }
}

/* Every other synchronous kind: up-down counter, histogram, gauge (new, record) and a bound
 * counter. Each refusal for memory is counted in census/dropped_measurements. */
static void instrument_kinds(void) {
  char name[64];
  int round = instrument_round++;
  census_status st;
  snprintf(name, sizeof name, "torture/updown_%d", round);
  census_updown_counter *u = census_updown_counter_int64_new(name, NULL, &st);
  CHECK(u || st == CENSUS_ENOMEM, "updown_new: %s", census_status_name(st));
  if (u) {
    st = census_updown_counter_add_int64(u, -3, NULL);
    CHECK(ok_or_enomem(st), "updown add: %s", census_status_name(st));
    rec_refused += st == CENSUS_ENOMEM;
  }
  snprintf(name, sizeof name, "torture/histogram_%d", round);
  census_histogram *h = census_histogram_double_new(name, NULL, &st);
  CHECK(h || st == CENSUS_ENOMEM, "histogram_new: %s", census_status_name(st));
  if (h) {
    st = census_histogram_record_double(h, 12.5, NULL);
    CHECK(ok_or_enomem(st), "histogram record: %s", census_status_name(st));
    rec_refused += st == CENSUS_ENOMEM;
  }
  snprintf(name, sizeof name, "torture/gauge_%d", round);
  census_gauge *g = census_gauge_int64_new(name, NULL, &st);
  CHECK(g || st == CENSUS_ENOMEM, "gauge_new: %s", census_status_name(st));
  if (g) {
    st = census_gauge_record_int64(g, 5, NULL);
    CHECK(ok_or_enomem(st), "gauge record: %s", census_status_name(st));
    rec_refused += st == CENSUS_ENOMEM;
    census_bound_measure *b = census_gauge_bind(g, NULL, &st);
    CHECK(b || st == CENSUS_ENOMEM, "gauge bind: %s", census_status_name(st));
    if (b) {
      st = census_bound_record_int64(b, 6);
      CHECK(ok_or_enomem(st), "bound gauge record: %s", census_status_name(st));
      rec_refused += st == CENSUS_ENOMEM;
      census_bound_measure_free(b);
    }
  }
}

/* ---- observable instruments --------------------------------------------------------------- */

static census_status observed_status;
static bool observed;

static void observe_cb(census_observer *o, void *user) {
  observed_status = census_observer_observe_int64(o, 7, user);
  observed = true;
}

/* An observable gauge (new, its callback run by a collection on this thread, free): what the
 * callback reported is what the snapshot shows, or its refusal is counted. */
static void observables(void) {
  char name[64];
  snprintf(name, sizeof name, "torture/observable_%d", instrument_round++);
  census_tag_map *t = census_tag_map_new();
  if (t && census_tag_map_put(t, key_a, "observed") != CENSUS_OK) {
    census_tag_map_free(t);
    t = NULL;
  }
  census_status st;
  census_observable *o = census_observable_gauge_int64_new(name, NULL, observe_cb, t, &st);
  CHECK(o || st == CENSUS_ENOMEM, "observable_new: %s", census_status_name(st));
  if (o) {
    observed = false;
    census_view_data *d = census_view_data_get(name, &st);
    CHECK(d || st == CENSUS_ENOMEM, "observable view_data_get: %s", census_status_name(st));
    if (observed) {
      CHECK(ok_or_enomem(observed_status), "observe: %s", census_status_name(observed_status));
      rec_refused += observed_status == CENSUS_ENOMEM;
    }
    if (d && observed && observed_status == CENSUS_OK) {
      bool found = false;
      for (size_t r = 0; r < census_view_data_row_count(d); r++) {
        census_point p;
        found |= census_view_data_row_point(d, r, &p) == CENSUS_OK && p.int_value == 7;
      }
      CHECK(found, "observable (failing allocation %ld): the observed value is not in the view",
            atomic_load(&fail_at));
    }
    census_view_data_free(d);
    census_observable_free(o);
  }
  census_tag_map_free(t);
}

/* ---- exemplars ------------------------------------------------------------------------------ */

static const census_measure *ex_measure;
static int64_t ex_accepted;
static int ex_round;

static void *exemplar_thread(void *arg) {
  (void)arg;
  armed = true;
  census_tag_map *tags = census_tag_map_new();
  if (tags) {
    char value[32];
    snprintf(value, sizeof value, "e%d", ex_round);
    if (census_tag_map_put(tags, key_a, value) == CENSUS_OK &&
        census_tag_map_put(tags, key_b, "filtered") == CENSUS_OK) {
      const int64_t values[] = {2, 5, 50};
      for (int i = 0; i < 3; i++) {
        census_status st = census_record_int64(ex_measure, values[i], tags);
        CHECK(ok_or_enomem(st), "exemplar record: %s", census_status_name(st));
        ex_accepted += st == CENSUS_OK;
        rec_refused += st == CENSUS_ENOMEM;
      }
    }
    census_tag_map_free(tags);
  }
  armed = false;
  return NULL;
}

/* A distribution view keeping exemplars (filter always_on): records from a new thread (new series,
 * their reservoirs), then a snapshot: its counts are the records accepted, and each exemplar is
 * one of the values recorded, in its bucket, with its filtered attribute.
 * Fails without its fix: when the collection could not allocate its list of threads,
 * census_view_data_get() answered CENSUS_OK with a snapshot missing the run's records (the
 * observable scenario saw the same: an observation accepted, absent from the snapshot). */
static void exemplars(void) {
  bool was = armed;
  if (!ex_measure) { /* once, unarmed (the warm-up run) */
    armed = false;
    census_exemplar_filter_set(CENSUS_EXEMPLAR_FILTER_ALWAYS_ON);
    ex_measure = census_measure_int64_new("torture/ex", "exemplar measure", "1", NULL);
    census_aggregation *agg =
        census_aggregation_distribution_new((const double[]){1, 10, 100}, 3, NULL);
    const census_tag_key *cols[] = {key_a};
    census_view *v = census_view_new("torture/exemplars", "", ex_measure, cols, 1, agg, NULL);
    CHECK(v && census_view_register(v) == CENSUS_OK, "exemplar view");
    census_view_free(v);
    census_aggregation_free(agg);
    armed = was;
  }
  ex_round++;
  pthread_t t;
  armed = false;
  pthread_create(&t, NULL, exemplar_thread, NULL);
  pthread_join(t, NULL);
  armed = was;
  census_status st;
  census_view_data *d = census_view_data_get("torture/exemplars", &st);
  CHECK(d || st == CENSUS_ENOMEM, "exemplar view_data_get: %s", census_status_name(st));
  armed = false;
  if (!d) {
    d = census_view_data_get("torture/exemplars", &st);
  }
  int64_t count = 0;
  for (size_t r = 0; d && r < census_view_data_row_count(d); r++) {
    census_point p;
    if (census_view_data_row_point(d, r, &p) != CENSUS_OK) {
      continue;
    }
    count += p.count;
    size_t n = census_view_data_row_exemplar_count(d, r);
    CHECK((int64_t)n <= p.count, "row %zu: %zu exemplars for %lld values", r, n,
          (long long)p.count);
    for (size_t i = 0; i < n; i++) {
      census_exemplar e;
      CHECK(census_view_data_row_exemplar(d, r, i, &e) == CENSUS_OK, "exemplar %zu", i);
      CHECK((e.int_value == 2 && e.bucket == 1) || (e.int_value == 5 && e.bucket == 1) ||
                (e.int_value == 50 && e.bucket == 2),
            "exemplar value %lld in bucket %zu", (long long)e.int_value, e.bucket);
      const char *k = NULL, *v = NULL;
      CHECK(e.attribute_count == 1 &&
                census_view_data_row_exemplar_attribute(d, r, i, 0, &k, &v) == CENSUS_OK &&
                strcmp(k, "torture_b") == 0 && strcmp(v, "filtered") == 0,
            "exemplar attribute %s=%s", k ? k : "(none)", v ? v : "(none)");
    }
  }
  CHECK(d && count == ex_accepted,
        "exemplars (failing allocation %ld): the view holds %lld values, records accepted %lld",
        atomic_load(&fail_at), (long long)count, (long long)ex_accepted);
  census_view_data_free(d);
  armed = was;
}

/* ---- trace --------------------------------------------------------------------------------- */

static _Atomic long spans_exported, attrs_exported, attrs_dropped, events_exported, links_exported;
static long attrs_accepted, spans_started;

static census_status export_spans(void *user, const census_span_data *const *spans, size_t count) {
  (void)user;
  for (size_t i = 0; i < count; i++) {
    if (strncmp(census_span_data_name(spans[i]), "torture", 7) != 0) {
      continue;
    }
    atomic_fetch_add(&spans_exported, 1);
    atomic_fetch_add(&attrs_exported, (long)census_span_data_attribute_count(spans[i]));
    atomic_fetch_add(&attrs_dropped, (long)census_span_data_dropped_attributes(spans[i]));
    atomic_fetch_add(&events_exported, (long)census_span_data_event_count(spans[i]));
    atomic_fetch_add(&links_exported, (long)census_span_data_link_count(spans[i]));
  }
  return CENSUS_OK;
}

static void spans(void) {
  census_span s = census_span_start("torture span", NULL);
  if (!s) {
    return; /* out of memory: reported, nothing to end */
  }
  spans_started++;
  long accepted = 0, refused = 0;
  const char *keys[] = {"a.string", "b.string", "c.string"};
  for (int i = 0; i < 3; i++) {
    census_status st = census_span_set_attribute_string(s, keys[i], "some value");
    CHECK(ok_or_enomem(st), "attribute: %s", census_status_name(st));
    accepted += st == CENSUS_OK;
    refused += st == CENSUS_ENOMEM;
  }
  census_status st = census_span_set_attribute_int64(s, "d.int", 42);
  CHECK(ok_or_enomem(st), "attribute: %s", census_status_name(st));
  accepted += st == CENSUS_OK;
  refused += st == CENSUS_ENOMEM;
  /* Arrays: a string[] (one allocation for the pointers, one per string) and an int64[] of
   * 2 kB (a new arena block), each kept or refused and counted whole. */
  static const char *const strings[] = {"first element", "second element", "third element"};
  static int64_t ints[256];
  st = census_span_set_attribute_string_array(s, "e.strings", strings, 3);
  CHECK(ok_or_enomem(st), "string array: %s", census_status_name(st));
  accepted += st == CENSUS_OK;
  refused += st == CENSUS_ENOMEM;
  st = census_span_set_attribute_int64_array(s, "f.ints", ints, 256);
  CHECK(ok_or_enomem(st), "int64 array: %s", census_status_name(st));
  accepted += st == CENSUS_OK;
  refused += st == CENSUS_ENOMEM;
  attrs_accepted += accepted;
  attrs_refused += refused;
  st = census_span_add_event_with_attribute(s, "an event", "k", "v");
  CHECK(ok_or_enomem(st), "event: %s", census_status_name(st));
  census_trace_context linked;
  census_span_context(s, &linked);
  st = census_span_add_link(s, &linked);
  CHECK(ok_or_enomem(st), "link: %s", census_status_name(st));
  st = census_span_set_status(s, CENSUS_SPAN_STATUS_ERROR, "a failure message");
  CHECK(ok_or_enomem(st), "status: %s", census_status_name(st));
  st = census_span_set_name(s, "torture span renamed");
  CHECK(ok_or_enomem(st), "rename: %s", census_status_name(st));
  census_span_end(s);
  bool was = armed;
  armed = false;
  long exported = atomic_load(&spans_exported), kept = atomic_load(&attrs_exported),
       dropped = atomic_load(&attrs_dropped);
  census_flush(10000);
  CHECK(atomic_load(&spans_exported) == exported + 1, "span (failing allocation %ld) not exported",
        atomic_load(&fail_at));
  CHECK(atomic_load(&attrs_exported) - kept == accepted,
        "span (failing allocation %ld): %ld attributes exported, %ld accepted",
        atomic_load(&fail_at), atomic_load(&attrs_exported) - kept, accepted);
  CHECK(atomic_load(&attrs_dropped) - dropped == refused,
        "span (failing allocation %ld): %ld attributes counted dropped, %ld refused",
        atomic_load(&fail_at), atomic_load(&attrs_dropped) - dropped, refused);
  armed = was;
}

/* ---- exporters (offline) ------------------------------------------------------------------ */

static int devnull = -1;

/* Start and stop (its final export runs on this thread): each ends OK, ENOMEM, or for the stop
 * EEXPORT with the rows it could not write counted as dropped. */
static void stdout_exporter(void) {
  census_stdout_options o = CENSUS_STDOUT_OPTIONS_INIT;
  o.fd = devnull;
  o.skip_spans = 1;
  census_stdout_exporter *e = NULL;
  census_status st = census_stdout_exporter_start(&o, &e);
  CHECK(ok_or_enomem(st), "stdout start: %s", census_status_name(st));
  CHECK((st == CENSUS_OK) == (e != NULL), "stdout start: handle and status disagree");
  if (e) {
    st = census_stdout_exporter_stop(e, 5000);
    CHECK(ok_or_enomem(st) || st == CENSUS_EEXPORT, "stdout stop: %s", census_status_name(st));
  }
}

#ifdef CENSUS_HAVE_PROMETHEUS
static void prometheus_render(void) {
  char *text = (char *)1;
  size_t length = 0;
  census_status st = census_prometheus_render(NULL, &text, &length);
  CHECK(ok_or_enomem(st), "render: %s", census_status_name(st));
  CHECK((st == CENSUS_OK) == (text != NULL), "render: text and status disagree");
  if (st == CENSUS_OK) {
    CHECK(strstr(text, "torture_records") != NULL, "render (failing allocation %ld) lost the view",
          atomic_load(&fail_at));
  }
  census_prometheus_text_free(text);
}
#endif

#ifdef CENSUS_HAVE_OTLP
/* Start against a closed port and stop at once: what it held is dropped and counted. */
static void otlp_exporter(void) {
  census_otlp_options o = CENSUS_OTLP_OPTIONS_INIT;
  o.endpoint = "http://127.0.0.1:9";
  o.service_name = "torture";
  o.timeout_ms = 200;
  o.max_elapsed_ms = 200;
  census_otlp_exporter *e = NULL;
  census_status st = census_otlp_exporter_start(&o, &e);
  CHECK(ok_or_enomem(st), "otlp start: %s", census_status_name(st));
  CHECK((st == CENSUS_OK) == (e != NULL), "otlp start: handle and status disagree");
  if (e) {
    st = census_otlp_exporter_stop(e, 100);
    CHECK(st == CENSUS_OK || st == CENSUS_ETIMEDOUT || st == CENSUS_EEXPORT || st == CENSUS_ENOMEM,
          "otlp stop: %s", census_status_name(st));
  }
}
#endif

/* A span ended while a span exporter runs against a closed port: it is never delivered, so the
 * stop must say that something was not sent (CENSUS_EEXPORT, or CENSUS_ETIMEDOUT), unless census
 * itself refused the span for memory (counted in census_trace_dropped_spans()).
 * Fails without its fix: when census's final export at the stop could not allocate,
 * census_span_exporter_unregister() answered CENSUS_OK and so did the Zipkin and Cloud Trace
 * stops, though their span was never handed to them. */
static uint64_t offline_dropped_before;

static void offline_span(const char *name) {
  offline_dropped_before = census_trace_dropped_spans();
  census_span s = census_span_start(name, NULL);
  if (s) {
    census_span_set_attribute_string(s, "k", "v");
    census_span_end(s);
  }
}

static void check_offline_stop(const char *what, census_status st) {
  CHECK(st == CENSUS_EEXPORT || st == CENSUS_ETIMEDOUT ||
            (st == CENSUS_OK && census_trace_dropped_spans() > offline_dropped_before),
        "%s stop (failing allocation %ld): %s, but its span was not delivered", what,
        atomic_load(&fail_at), census_status_name(st));
}

#ifdef CENSUS_HAVE_ZIPKIN
static void zipkin_exporter(void) {
  census_zipkin_options o = CENSUS_ZIPKIN_OPTIONS_INIT;
  o.endpoint = "http://127.0.0.1:9/api/v2/spans";
  o.service_name = "torture";
  o.timeout_ms = 200;
  o.max_elapsed_ms = 200;
  census_zipkin_exporter *e = NULL;
  census_status st = census_zipkin_exporter_start(&o, &e);
  CHECK(ok_or_enomem(st), "zipkin start: %s", census_status_name(st));
  CHECK((st == CENSUS_OK) == (e != NULL), "zipkin start: handle and status disagree");
  if (e) {
    offline_span("offline zipkin");
    check_offline_stop("zipkin", census_zipkin_exporter_stop(e, 100));
  }
}
#endif

#ifdef CENSUS_HAVE_GOOGLE_CLOUD
static void google_trace_exporter(void) {
  census_google_trace_options o = CENSUS_GOOGLE_TRACE_OPTIONS_INIT;
  o.project_id = "torture-project";
  o.access_token = "torture-token";
  o.trace_endpoint = "http://127.0.0.1:9";
  o.timeout_ms = 200;
  o.max_elapsed_ms = 200;
  census_google_trace_exporter *e = NULL;
  census_status st = census_google_trace_exporter_start(&o, &e);
  CHECK(ok_or_enomem(st), "google trace start: %s", census_status_name(st));
  CHECK((st == CENSUS_OK) == (e != NULL), "google trace start: handle and status disagree");
  if (e) {
    offline_span("offline google");
    check_offline_stop("google trace", census_google_trace_exporter_stop(e, 100));
  }
}

/* Cloud Monitoring: start (descriptors, resource given: no metadata server asked), stop (its
 * final export of every view runs on this thread). */
static void google_monitoring_exporter(void) {
  census_google_monitoring_options o = CENSUS_GOOGLE_MONITORING_OPTIONS_INIT;
  o.project_id = "torture-project";
  o.access_token = "torture-token";
  o.monitoring_endpoint = "http://127.0.0.1:9";
  o.metadata_host = "127.0.0.1:9";
  o.resource_type = "global";
  o.timeout_ms = 200;
  o.max_elapsed_ms = 200;
  census_google_monitoring_exporter *e = NULL;
  census_status st = census_google_monitoring_exporter_start(&o, &e);
  CHECK(ok_or_enomem(st), "google monitoring start: %s", census_status_name(st));
  CHECK((st == CENSUS_OK) == (e != NULL), "google monitoring start: handle and status disagree");
  if (e) {
    st = census_google_monitoring_exporter_stop(e, 100);
    CHECK(st == CENSUS_OK || st == CENSUS_ETIMEDOUT || st == CENSUS_EEXPORT || st == CENSUS_ENOMEM,
          "google monitoring stop: %s", census_status_name(st));
  }
}
#endif

#ifdef CENSUS_HAVE_ZPAGES
/* ---- zPages (their pages rendered in process, as the server's handler does) ---------------
 * Fails without its fix: pages came out partial with status 200 (statsz without its views, the
 * overview saying "shut down", tracez without its spans) and the overview read a NULL
 * environment table (UBSan, then SIGSEGV). */

static zp_context zpages;
static census_zpages_options zpages_options = CENSUS_ZPAGES_OPTIONS_INIT;

static void zpages_stats_stub(void *z, census_zpages_stats *stats) {
  (void)z;
  memset(stats, 0, sizeof *stats);
}

struct zquery {
  const char *name, *type;
};

static const char *zquery_get(void *request, const char *name) {
  struct zquery *q = request;
  return strcmp(name, "name") == 0 ? q->name : strcmp(name, "type") == 0 ? q->type : NULL;
}

/* Once, unarmed: a store fed by a span observer, with a span ended and one running. */
static void zpages_setup(void) {
  setenv("CENSUS_TORTURE_SETTING", "shown on the overview", 1); /* its environment table */
  zpages_options.prefix = "/zpages";
  zpages_options.max_span_names = 64;
  zpages_options.samples_per_bucket = 4;
  zpages_options.running_samples = 16;
  zpages_options.sample_max_bytes = 4096;
  zpages_options.sample_interval_ms = 1;
  zpages_options.history_interval_ms = 3600000;
  zpages_options.history_points = 4;
  zpages_options.max_history_views = 8;
  zp_limits limits = {64, 4, 16, 4096, 1000000};
  zp_store *store = zp_store_new(&limits);
  census_status st;
  zp_history *history =
      zp_history_start(zpages_options.history_interval_ms, zpages_options.history_points,
                       zpages_options.max_history_views, &st);
  census_span_observer_ops ops = CENSUS_SPAN_OBSERVER_OPS_INIT;
  ops.on_start = zp_store_on_start;
  ops.on_end = zp_store_on_end;
  ops.record_unsampled = 1;
  CHECK(store && history && census_span_observer_register(&ops, store) == CENSUS_OK,
        "zpages setup");
  census_span s = census_span_start("zpages span", NULL);
  census_span_set_attribute_string(s, "k", "v");
  census_span_end(s);
  census_span_start("zpages span running", NULL); /* never ended: a running span */
  zpages = (zp_context){store, history, "/zpages", &zpages_options, zpages_stats_stub, NULL};
}

/* Every page, HTML and JSON: each renders whole (status 200, with what it must show) or its
 * buffer says it failed (the server answers 503 "out of memory"); never a partial page or
 * another status. */
static void zpages_pages(void) {
  if (!zpages.store) {
    bool was = armed;
    armed = false;
    zpages_setup();
    armed = was;
  }
  static const struct {
    const char *page, *name, *type, *must;
  } pages[] = {
      {"", NULL, NULL, "running"},
      {"/overview.json", NULL, NULL, "\"running\""},
      {"/tracez", NULL, NULL, "zpages span"},
      {"/tracez.json", NULL, NULL, "zpages span"},
      {"/tracez", "zpages span", "latency", "zpages span"},
      {"/tracez.json", "zpages span running", "running", "zpages span running"},
      {"/statsz", NULL, NULL, "torture/records"},
      {"/statsz.json", NULL, NULL, "torture/records"},
  };
  for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
    struct zquery q = {pages[i].name, pages[i].type};
    zp_request r = {pages[i].page, zquery_get, &q};
    census_buf out = CENSUS_BUF_INIT;
    const char *content_type = NULL;
    unsigned status = zp_render(&zpages, &r, &out, &content_type);
    if (!out.failed) {
      CHECK(status == 200, "zpages %s (failing allocation %ld): status %u", pages[i].page,
            atomic_load(&fail_at), status);
      CHECK(out.data && strstr(out.data, pages[i].must),
            "zpages %s (failing allocation %ld): no \"%s\" on the page", pages[i].page,
            atomic_load(&fail_at), pages[i].must);
    }
    census__buf_free(&out);
  }
}
#endif

/* ---- census_flush() (its collection and export run on the calling thread) ---------------- */

static _Atomic int64_t flushed_total = -1; /* torture/records as the stats exporter last saw it */
static bool flush_registered;

static census_status flush_export(void *user, const census_view_data *const *views, size_t count) {
  (void)user;
  for (size_t i = 0; i < count; i++) {
    if (strcmp(census_view_data_name(views[i]), "torture/records") != 0) {
      continue;
    }
    int64_t total = 0;
    for (size_t r = 0; r < census_view_data_row_count(views[i]); r++) {
      census_point p;
      if (census_view_data_row_point(views[i], r, &p) == CENSUS_OK) {
        total += p.int_value;
      }
    }
    atomic_store(&flushed_total, total);
  }
  return CENSUS_OK;
}

/* A record, then census_flush(): CENSUS_OK means the stats exporter got every value accepted so
 * far; else CENSUS_ENOMEM (the values wait for the next export). */
static void flush_scenario(void) {
  bool was = armed;
  armed = false;
  if (!flush_registered) {
    census_stats_exporter_ops ops = CENSUS_STATS_EXPORTER_OPS_INIT;
    ops.export_views = flush_export;
    static int flush_user;
    flush_registered = census_stats_exporter_register(&ops, &flush_user) == CENSUS_OK;
    CHECK(flush_registered, "stats exporter registration");
  }
  census_status st = census_record_int64(rec_measure, 1, NULL);
  rec_accepted += st == CENSUS_OK;
  atomic_store(&flushed_total, -1);
  armed = was;
  st = census_flush(5000);
  CHECK(ok_or_enomem(st), "flush: %s", census_status_name(st));
  CHECK(st != CENSUS_OK || atomic_load(&flushed_total) == rec_accepted,
        "flush (failing allocation %ld): CENSUS_OK, but the exporter got %lld of %lld",
        atomic_load(&fail_at), (long long)atomic_load(&flushed_total), (long long)rec_accepted);
}

/* ---- fork (census's fork handlers, each of their allocations failing) -------------------- */

static void *fork_child_thread(void *arg) {
  census_status *st = arg;
  *st = census_record_int64(rec_measure, 1, NULL);
  return NULL;
}

/* In the child, unarmed: census still records (from the forking thread and from a new one) and
 * collects, and the view grew by exactly what it accepted. Writes {allocations seen while armed,
 * allocations failed, result} to `fd`. */
static void fork_child_checks(int fd) {
  long report[3] = {atomic_load(&seen), atomic_load(&failed), 0};
  armed = false;
  int64_t before = view_total("torture/records", NULL);
  census_status a = census_record_int64(rec_measure, 1, NULL), b = CENSUS_EINVAL;
  pthread_t t;
  if (pthread_create(&t, NULL, fork_child_thread, &b) == 0) {
    pthread_join(t, NULL);
  }
  int64_t after = view_total("torture/records", NULL);
  report[2] = before >= 0 && a == CENSUS_OK && b == CENSUS_OK && after - before == 2;
  ssize_t w = write(fd, report, sizeof report);
  _exit(w == sizeof report ? 0 : 1);
}

/* Reads a fork child's report of `size` bytes from `fd`, waiting at most 60 s: a child that hangs
 * (see tests/support/fork_quiet.h) is killed and the wait fails here with a message, instead of the
 * whole test hanging until ctest's timeout. Returns the bytes read (0: EOF, the child died). */
static ssize_t read_child_report(int fd, pid_t pid, void *report, size_t size, const char *what) {
  struct pollfd pfd = {fd, POLLIN, 0};
  if (poll(&pfd, 1, 60000) != 1) {
    CHECK(false, "%s (failing allocation %ld): the child hung for 60 s; killed", what,
          atomic_load(&fail_at));
    kill(pid, SIGKILL);
    return -1;
  }
  return read(fd, report, size);
}

/* One fork, armed: the parent's handlers (prepare, parent) and the child's (prepare, child)
 * allocate on this thread; each side counts its own. Fails without its fix: a view whose series
 * table the child's handler could not remake crashed the child's next record of it (SIGSEGV in
 * census__series_get()). Returns the allocations counted in the
 * child (prepare and child handlers) and sets *parent_seen. */
static long fork_once(long *parent_seen) {
  int fds[2];
  if (pipe(fds) != 0) {
    CHECK(false, "pipe");
    return 0;
  }
  atomic_store(&seen, 0);
  atomic_store(&failed, 0);
  armed = true;
  pid_t pid = fork_quiet();
  if (pid == 0) {
    close(fds[0]);
    fork_child_checks(fds[1]);
  }
  armed = false;
  atomic_store(&child_pid, pid);
  *parent_seen = atomic_load(&seen);
  close(fds[1]); /* a child that dies before writing gives EOF */
  long report[3] = {0, 0, 0};
  ssize_t r = pid > 0 ? read_child_report(fds[0], pid, report, sizeof report, "fork") : 0;
  close(fds[0]);
  int status = 0;
  if (pid > 0) {
    waitpid(pid, &status, 0);
  }
  atomic_store(&child_pid, 0);
  CHECK(pid > 0 && r == sizeof report && WIFEXITED(status) && WEXITSTATUS(status) == 0,
        "fork (failing allocation %ld): the child did not report", atomic_load(&fail_at));
  CHECK(report[2] == 1, "fork (failing allocation %ld): census in the child is inconsistent",
        atomic_load(&fail_at));
  long k = atomic_load(&fail_at);
  CHECK(k == 0 || atomic_load(&failed) + report[1] >= 1,
        "fork: allocation %ld was reached on neither side", k);
  return report[0];
}

static void fork_torture(void) {
  atomic_store(&progress_name, "fork");
  long parent_n = 0;
  long child_n = fork_once(&parent_n); /* warm-up */
  child_n = fork_once(&parent_n);
  long n = child_n > parent_n ? child_n : parent_n;
  for (long k = 1; k <= n; k++) {
    atomic_store(&progress_at, k);
    atomic_fetch_add(&progress_steps, 1);
    atomic_store(&fail_at, k);
    long unused;
    fork_once(&unused);
    atomic_store(&fail_at, 0);
    /* and the parent goes on: records and collects */
    int64_t before = view_total("torture/records", NULL);
    census_status st = census_record_int64(rec_measure, 1, NULL);
    rec_accepted += st == CENSUS_OK;
    CHECK(st == CENSUS_OK && view_total("torture/records", NULL) == before + 1,
          "fork (failing allocation %ld): the parent's census is inconsistent", k);
  }
  atomic_fetch_add(&total_points, n);
  printf("%-28s %4ld allocation points (%ld in the parent's handlers, %ld in the child's)\n",
         "fork", n, parent_n, child_n);
}

/* ---- shared-memory mode (last: it changes what a collection returns) ----------------------- */

static char shm_dir[64];
static const census_measure *shm_measure;
static int64_t shm_accepted;
static int shm_round;
static uint64_t shm_unshared;    /* census_shm_stats()' unshared cells seen */
static bool shm_unshared_window; /* a cell was left unshared since the view last added up */

/* census_shm_enable(): on at most once, so it cannot run under torture() (its warm-up would turn
 * the mode on): a fork child counts its allocations, then the k-th run fails the k-th one; each
 * must leave the mode off with CENSUS_ENOMEM (or turn it on with CENSUS_OK). */
static void shm_enable_torture(void) {
  atomic_store(&progress_name, "shm enable");
  atomic_fetch_add(&progress_steps, 1);
  int fds[2];
  if (pipe(fds) != 0) {
    CHECK(false, "pipe");
    return;
  }
  pid_t pid = fork_quiet();
  if (pid == 0) {
    atomic_store(&seen, 0);
    atomic_store(&fail_at, 0);
    armed = true;
    census_status st = census_shm_enable(shm_dir);
    armed = false;
    long n = st == CENSUS_OK ? atomic_load(&seen) : -1;
    ssize_t w = write(fds[1], &n, sizeof n);
    _exit(w == sizeof n ? 0 : 1);
  }
  long n = -1;
  atomic_store(&child_pid, pid);
  close(fds[1]); /* a child that dies before writing gives EOF */
  ssize_t r = pid > 0 ? read_child_report(fds[0], pid, &n, sizeof n, "shm enable") : 0;
  close(fds[0]);
  if (pid > 0) {
    waitpid(pid, NULL, 0);
  }
  atomic_store(&child_pid, 0);
  CHECK(r == sizeof n && n > 0, "shm enable: the counting child failed");
  long points = 0;
  for (long k = 1; k <= n && !census_shm_enabled(); k++) {
    atomic_store(&seen, 0);
    atomic_store(&failed, 0);
    atomic_store(&fail_at, k);
    armed = true;
    census_status st = census_shm_enable(shm_dir);
    armed = false;
    atomic_store(&fail_at, 0);
    CHECK(atomic_load(&failed) == 1, "shm enable: allocation %ld of %ld was not reached", k, n);
    CHECK(ok_or_enomem(st), "shm enable: %s", census_status_name(st));
    CHECK((st == CENSUS_OK) == census_shm_enabled(),
          "shm enable (failing allocation %ld): %s but %s", k, census_status_name(st),
          census_shm_enabled() ? "on" : "off");
    points++;
  }
  CHECK(census_shm_enabled() || census_shm_enable(shm_dir) == CENSUS_OK, "shm enable");
  atomic_fetch_add(&total_points, points);
  printf("%-28s %4ld allocation points\n", "shm enable", points);
}

static void *shm_record_thread(void *arg) {
  (void)arg;
  armed = true;
  census_tag_map *tags = census_tag_map_new();
  if (tags) {
    char value[32];
    snprintf(value, sizeof value, "s%d", shm_round);
    if (census_tag_map_put(tags, key_a, value) == CENSUS_OK) {
      for (int i = 0; i < 2; i++) {
        census_status st = census_record_int64(shm_measure, 3, tags);
        CHECK(ok_or_enomem(st), "shm record: %s", census_status_name(st));
        shm_accepted += st == CENSUS_OK ? 3 : 0;
        rec_refused += st == CENSUS_ENOMEM;
      }
    }
    census_tag_map_free(tags);
  }
  armed = false;
  return NULL;
}

/* In the mode: records from a new thread (new series: cells placed in the process's file), the
 * group's merged view read and compacted: the merged view of torture/shm holds exactly what was
 * accepted (less only what a cell left unshared for memory holds: counted).
 * Fails without its fix: a merge that could not allocate a view's entry left the view's records
 * out and answered CENSUS_OK (src/stats/shm_read.c, view_find()). */
static void shm_scenario(void) {
  bool was = armed;
  shm_round++;
  armed = false;
  pthread_t t;
  pthread_create(&t, NULL, shm_record_thread, NULL);
  pthread_join(t, NULL);
  armed = was;
  census_view_data **all = NULL;
  size_t count = 0;
  census_status st = census_shm_view_data_get_all(shm_dir, &all, &count);
  CHECK(ok_or_enomem(st), "shm get_all: %s", census_status_name(st));
  if (st == CENSUS_OK) {
    int64_t total = -1;
    for (size_t i = 0; i < count; i++) {
      if (strcmp(census_view_data_name(all[i]), "torture/shm") != 0) {
        continue;
      }
      total = 0;
      for (size_t r = 0; r < census_view_data_row_count(all[i]); r++) {
        census_point p;
        if (census_view_data_row_point(all[i], r, &p) == CENSUS_OK) {
          total += p.int_value;
        }
      }
    }
    /* A cell that could not be placed in the file records in this process only, counted in
     * census_shm_stats() (docs/shared-memory.md): until it shows again, the group's view may
     * hold less than was accepted, never more. */
    census_shm_counts counts;
    census_shm_stats(&counts);
    shm_unshared_window |= counts.unshared_cells > shm_unshared;
    shm_unshared = counts.unshared_cells;
    CHECK(total == shm_accepted || (shm_unshared_window && total < shm_accepted),
          "shm (failing allocation %ld): the merged view holds %lld, records accepted %lld",
          atomic_load(&fail_at), (long long)total, (long long)shm_accepted);
    if (total == shm_accepted) {
      shm_unshared_window = false;
    }
    census_view_data_free_all(all, count);
  }
  size_t compacted = 0;
  st = census_shm_compact(shm_dir, &compacted);
  CHECK(ok_or_enomem(st), "shm compact: %s", census_status_name(st));
}

static void shm_setup(void) {
  snprintf(shm_dir, sizeof shm_dir, "/tmp/census-alloc-failure-XXXXXX");
  CHECK(mkdtemp(shm_dir) != NULL, "mkdtemp");
  shm_enable_torture();
  shm_measure = census_measure_int64_new("torture/shm", "shm measure", "1", NULL);
  census_aggregation *sum = census_aggregation_sum_new();
  const census_tag_key *cols[] = {key_a};
  census_view *v = census_view_new("torture/shm", "", shm_measure, cols, 1, sum, NULL);
  CHECK(v && census_view_register(v) == CENSUS_OK, "shm view");
  census_view_free(v);
  census_aggregation_free(sum);
}

static void shm_cleanup(void) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", shm_dir);
  CHECK(system(cmd) == 0, "rm %s", shm_dir);
}

/* ---- main ---------------------------------------------------------------------------------- */

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0); /* each scenario's line reaches ctest's log even on a kill */
  pthread_t dog;
  if (pthread_create(&dog, NULL, watchdog, NULL) == 0) {
    pthread_detach(dog);
  }
  census_status st = census_allocator_replace(t_malloc, t_calloc, t_realloc, t_free);
  if (st != CENSUS_OK) {
    fprintf(stderr, "census_allocator_replace: %s\n", census_status_name(st));
    return 1;
  }
  census_diagnostics_set_callback(NULL, NULL); /* thousands of expected refusals */
  devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
  /* After census's first use, the allocator is fixed. */
  CHECK(census_allocator_replace(malloc, calloc, realloc, free) == CENSUS_ETOOLATE, "late replace");
  CHECK(census_allocator_replace(NULL, calloc, realloc, free) == CENSUS_EINVAL, "NULL function");

  key_a = census_tag_key_new("torture_a", NULL);
  key_b = census_tag_key_new("torture_b", NULL);
  rec_measure = census_measure_int64_new("torture/m", "torture measure", "1", NULL);
  census_aggregation *sum = census_aggregation_sum_new();
  const census_tag_key *cols[] = {key_a};
  census_view *v = census_view_new("torture/records", "", rec_measure, cols, 1, sum, NULL);
  if (!key_a || !key_b || !rec_measure || !v || census_view_register(v) != CENSUS_OK) {
    fprintf(stderr, "setup failed\n");
    return 1;
  }
  census_view_free(v);
  census_aggregation_free(sum);
  census_span_exporter_ops ops = CENSUS_SPAN_EXPORTER_OPS_INIT;
  ops.export_spans = export_spans;
  static int span_user;
  if (census_span_exporter_register(&ops, &span_user) != CENSUS_OK) {
    fprintf(stderr, "span exporter registration failed\n");
    return 1;
  }
  census_sampler *always = census_sampler_always_on();
  census_trace_set_sampler(always);

  const scenario scenarios[] = {
      {"tag maps", tag_maps, true},
      {"baggage extract/inject", propagation, true},
      {"propagator, every format", formats, true},
      {"record (thread, map)", records, false},
      {"bound measure", bound, false},
      {"view new/register", views, false},
      {"view snapshot/get_all", view_snapshot, true},
      {"instrument counter", instruments, false},
      {"span", spans, false},
      {"stdout exporter start/stop", stdout_exporter, false},
#ifdef CENSUS_HAVE_PROMETHEUS
      {"prometheus render", prometheus_render, true},
#endif
#ifdef CENSUS_HAVE_OTLP
      {"otlp exporter start/stop", otlp_exporter, false},
#endif
#ifdef CENSUS_HAVE_ZIPKIN
      {"zipkin exporter start/stop", zipkin_exporter, false},
#endif
#ifdef CENSUS_HAVE_GOOGLE_CLOUD
      {"google trace start/stop", google_trace_exporter, false},
      {"google monitoring start/stop", google_monitoring_exporter, false},
#endif
#ifdef CENSUS_HAVE_ZPAGES
      {"zpages pages", zpages_pages, false},
#endif
      /* after the exporters: they create views, which the exporters' points would grow with */
      {"exemplars", exemplars, false},
      {"observable gauge", observables, false},
      {"instruments, other kinds", instrument_kinds, false},
      {"census_flush", flush_scenario, false},
  };
  int64_t dropped_before = view_total("census/dropped_measurements", "out_of_memory");
  if (argc == 1 || strstr("fork", argv[1])) {
    fork_torture();
  }
  for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
    if (argc > 1 && !strstr(scenarios[i].name, argv[1])) {
      continue; /* a scenario chosen by name (debugging) */
    }
    torture(&scenarios[i]);
  }

  /* Stats: what was accepted is exactly what the view holds; what was refused is counted. */
  int64_t total = view_total("torture/records", NULL);
  CHECK(total == rec_accepted, "view torture/records holds %lld, records accepted %lld",
        (long long)total, (long long)rec_accepted);
  int64_t dropped = view_total("census/dropped_measurements", "out_of_memory") -
                    (dropped_before < 0 ? 0 : dropped_before);
  CHECK(dropped == rec_refused, "out_of_memory drops counted %lld, records refused %lld",
        (long long)dropped, (long long)rec_refused);
  printf("records: %lld accepted (= view total %lld), %lld refused for memory (= counted %lld)\n",
         (long long)rec_accepted, (long long)total, (long long)rec_refused, (long long)dropped);

  /* Trace: every started span is exported or counted dropped; attributes add up. */
  uint64_t dropped_spans_before = census_trace_dropped_spans();
  CHECK(census_flush(10000) == CENSUS_OK, "flush");
  long exported = atomic_load(&spans_exported);
  uint64_t dropped_spans = census_trace_dropped_spans();
  CHECK((uint64_t)exported + dropped_spans >= (uint64_t)spans_started && exported <= spans_started,
        "spans started %ld, exported %ld, dropped %llu", spans_started, exported,
        (unsigned long long)dropped_spans);
  if ((uint64_t)exported == (uint64_t)spans_started) {
    CHECK(atomic_load(&attrs_exported) == attrs_accepted, "attributes exported %ld, accepted %ld",
          atomic_load(&attrs_exported), attrs_accepted);
    CHECK(atomic_load(&attrs_dropped) == attrs_refused,
          "attributes counted dropped %ld, refused for memory %ld", atomic_load(&attrs_dropped),
          attrs_refused);
  }
  (void)dropped_spans_before;
  printf("spans: %ld started, %ld exported, %llu dropped; attributes %ld accepted (exported %ld), "
         "%ld refused (counted %ld)\n",
         spans_started, exported, (unsigned long long)dropped_spans, attrs_accepted,
         atomic_load(&attrs_exported), attrs_refused, atomic_load(&attrs_dropped));

  /* Shared-memory mode last: once on, a collection returns the group's merged view. */
  if (argc == 1 || strstr("shm", argv[1])) {
    shm_setup();
    const scenario shm = {"shm record/read/compact", shm_scenario, false};
    torture(&shm);
    census_shm_counts counts;
    census_shm_stats(&counts);
    printf("shm: %llu cell(s) left unshared for memory (counted), the merged view %s\n",
           (unsigned long long)counts.unshared_cells,
           shm_unshared_window ? "still misses some" : "adds up");
  }

  census_sampler_free(always);
  CHECK(census_shutdown(10000) == CENSUS_OK, "shutdown");
  if (shm_dir[0]) {
    shm_cleanup();
  }
  printf("%ld allocation points exercised; %d check(s) failed\n", atomic_load(&total_points),
         failures);
  return failures == 0 ? 0 : 1;
}
