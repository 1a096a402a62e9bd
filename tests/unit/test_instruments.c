/* test_instruments.c - OpenTelemetry's instruments over measures and views (census/instruments.h):
 * every synchronous kind (counter, up-down counter, histogram, gauge) in both value types, bound
 * handles, the observable kinds and their callbacks (when they run, on which thread, with which
 * user pointer, what is exported), the rules a name, a unit and options must follow and the
 * conflicts, the two styles side by side (a view of one's own over an instrument's measure), the
 * bucket helpers, the timer and the process metrics (checked against the kernel's own numbers).
 *
 * Every test that asserts a value reads it back through census_view_data_get(), the path every
 * exporter reads, so a record that went nowhere fails the test. On main none of this compiles:
 * census/instruments.h did not exist (issue 15).
 *
 * Instruments, measures and views are process-global: every test uses its own names.
 */
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "support.h" /* cmocka, census/census.h and the shared helpers */

/* ---- helpers ----------------------------------------------------------------------------- */

static char diag[2048];
static int diag_count;
static void capture(void *user, census_status status, const char *message) {
  (void)user;
  (void)status;
  snprintf(diag, sizeof diag, "%s", message);
  diag_count++;
}

static int quiet(void **state) {
  (void)state;
  diag[0] = '\0';
  diag_count = 0;
  census_diagnostics_set_callback(capture, NULL);
  return 0;
}

/* The point of the row whose first column is `value` (NULL: the only row); fails the test when
 * there is none. Sets *monotonic when not NULL. Its bucket counts are copied (into a static
 * array, valid until the next call): the snapshot they came from is freed here. */
static census_point row_point(const char *view, const char *value, bool *monotonic) {
  census_view_data *d = get_data(view);
  census_point p;
  memset(&p, 0, sizeof p);
  bool found = false;
  for (size_t r = 0; r < census_view_data_row_count(d) && !found; r++) {
    if (!value || strcmp(census_view_data_row_value(d, r, 0), value) == 0) {
      assert_int_equal(census_view_data_row_point(d, r, &p), CENSUS_OK);
      found = true;
    }
  }
  static int64_t buckets[64];
  assert_true(p.bucket_count <= 64);
  if (p.bucket_count) {
    memcpy(buckets, p.bucket_counts, p.bucket_count * sizeof buckets[0]);
    p.bucket_counts = buckets;
  }
  if (monotonic) {
    *monotonic = census_view_data_is_monotonic(d);
  }
  size_t rows = census_view_data_row_count(d);
  census_view_data_free(d);
  if (!found) {
    fail_msg("view %s: no row %s (%zu rows)", view, value ? value : "(any)", rows);
  }
  return p;
}

static size_t row_count(const char *view) {
  census_view_data *d = get_data(view);
  size_t n = census_view_data_row_count(d);
  census_view_data_free(d);
  return n;
}

static census_tag_map *tags1(const census_tag_key *k, const char *v) {
  census_tag_map *t = census_tag_map_new();
  assert_non_null(t);
  assert_int_equal(census_tag_map_put(t, k, v), CENSUS_OK);
  return t;
}

/* ---- counters ---------------------------------------------------------------------------- */

/* Proves: one call makes a counter: its measure (same name, unit, description, unsigned) and a
 * Sum view of the same name with the attribute keys as columns; adds land in the row of their
 * attribute values (tags not named are ignored); the view is monotonic; the same call again is
 * the same handle; negative and double increments are refused (ENEGATIVE, ETYPE: counted and
 * reported), NULL is EINVAL. */
static void test_counter_int64(void **state) {
  (void)state;
  const census_tag_key *method = key("ins.method"), *other = key("ins.other");
  census_instrument_options o = CENSUS_INSTRUMENT_OPTIONS_INIT;
  o.description = "Requests served";
  o.unit = "{request}";
  o.attribute_keys = &method;
  o.attribute_key_count = 1;
  census_status st = 1;
  census_counter *c = census_counter_int64_new("ins.requests", &o, &st);
  assert_non_null(c);
  assert_int_equal(st, CENSUS_OK);
  assert_ptr_equal(census_counter_int64_new("ins.requests", &o, NULL), c);
  const census_measure *m = census_counter_measure(c);
  assert_string_equal(census_measure_name(m), "ins.requests");
  assert_string_equal(census_measure_unit(m), "{request}");
  assert_string_equal(census_measure_description(m), "Requests served");
  assert_false(census_measure_is_signed(m));
  assert_int_equal(census_measure_value_type(m), CENSUS_MEASURE_INT64);

  census_tag_map *get = tags1(method, "GET");
  assert_int_equal(census_tag_map_put(get, other, "ignored"), CENSUS_OK);
  census_tag_map *post = tags1(method, "POST");
  assert_int_equal(census_counter_add_int64(c, 1, get), CENSUS_OK);
  assert_int_equal(census_counter_add_int64(c, 2, get), CENSUS_OK);
  assert_int_equal(census_counter_add_int64(c, 5, post), CENSUS_OK);
  assert_int_equal(census_counter_add_int64(c, -1, get), CENSUS_ENEGATIVE);
  assert_non_null(strstr(diag, "measure \"ins.requests\""));
  assert_int_equal(census_counter_add_double(c, 1.5, get), CENSUS_ETYPE);
  assert_int_equal(census_counter_add_int64(NULL, 1, get), CENSUS_EINVAL);
  assert_int_equal(census_counter_add_double(NULL, 1, get), CENSUS_EINVAL);

  census_view_data *d = get_data("ins.requests");
  assert_int_equal(census_view_data_aggregation(d), CENSUS_AGGREGATION_SUM);
  assert_int_equal(census_view_data_column_count(d), 1);
  assert_string_equal(census_view_data_column(d, 0), "ins.method");
  assert_string_equal(census_view_data_description(d), "Requests served");
  assert_int_equal(census_view_data_row_count(d), 2);
  census_view_data_free(d);
  bool monotonic = false;
  census_point p = row_point("ins.requests", "GET", &monotonic);
  assert_int_equal(p.int_value, 3);
  assert_int_equal(p.count, 2);
  assert_true(monotonic);
  assert_int_equal(row_point("ins.requests", "POST", NULL).int_value, 5);
  census_tag_map_free(get);
  census_tag_map_free(post);
}

/* Proves: a double counter sums doubles and converts int64 increments; a bound handle records
 * into the row of the tags it was bound to, refusing a negative value as the counter does. */
static void test_counter_double_and_bound(void **state) {
  (void)state;
  const census_tag_key *route = key("ins.route");
  census_instrument_options o = CENSUS_INSTRUMENT_OPTIONS_INIT;
  o.unit = "s";
  o.attribute_keys = &route;
  o.attribute_key_count = 1;
  census_counter *c = census_counter_double_new("ins.busy", &o, NULL);
  assert_non_null(c);
  census_tag_map *a = tags1(route, "/a");
  assert_int_equal(census_counter_add_double(c, 0.25, a), CENSUS_OK);
  assert_int_equal(census_counter_add_int64(c, 2, a), CENSUS_OK);
  census_status st = 1;
  census_bound_measure *b = census_counter_bind(c, a, &st);
  assert_non_null(b);
  assert_int_equal(st, CENSUS_OK);
  assert_int_equal(census_bound_record_double(b, 0.5), CENSUS_OK);
  assert_int_equal(census_bound_record_double(b, -0.5), CENSUS_ENEGATIVE);
  census_bound_measure_free(b);
  assert_true(row_point("ins.busy", "/a", NULL).double_value == 2.75);
  assert_null(census_counter_bind(NULL, a, &st));
  assert_int_equal(st, CENSUS_EINVAL);
  census_tag_map_free(a);
}

/* ---- up-down counters and gauges --------------------------------------------------------- */

/* Proves: an up-down counter accepts negative increments (its measure is signed): +5 -7 = -2,
 * then -3 = -5 across collections, through a bound handle too; its view is not monotonic, so
 * every exporter declares it so (docs/instruments.md); a double one likewise. */
static void test_updown_counter(void **state) {
  (void)state;
  census_updown_counter *u = census_updown_counter_int64_new("ins.queue.depth", NULL, NULL);
  assert_non_null(u);
  assert_true(census_measure_is_signed(census_updown_counter_measure(u)));
  assert_int_equal(census_updown_counter_add_int64(u, 5, NULL), CENSUS_OK);
  assert_int_equal(census_updown_counter_add_int64(u, -7, NULL), CENSUS_OK);
  bool monotonic = true;
  assert_int_equal(row_point("ins.queue.depth", NULL, &monotonic).int_value, -2);
  assert_false(monotonic);
  census_bound_measure *b = census_updown_counter_bind(u, NULL, NULL);
  assert_non_null(b);
  assert_int_equal(census_bound_record_int64(b, -3), CENSUS_OK);
  census_bound_measure_free(b);
  assert_int_equal(row_point("ins.queue.depth", NULL, NULL).int_value, -5);

  census_updown_counter *ud = census_updown_counter_double_new("ins.balance", NULL, NULL);
  assert_int_equal(census_updown_counter_add_double(ud, 1.5, NULL), CENSUS_OK);
  assert_int_equal(census_updown_counter_add_double(ud, -4, NULL), CENSUS_OK);
  assert_int_equal(census_updown_counter_add_int64(ud, 1, NULL), CENSUS_OK);
  assert_true(row_point("ins.balance", NULL, NULL).double_value == -1.5);
  assert_int_equal(census_updown_counter_add_double(ud, NAN, NULL), CENSUS_ENONFINITE);
  assert_int_equal(census_updown_counter_add_int64(NULL, 1, NULL), CENSUS_EINVAL);
}

/* Proves: a gauge keeps the last value recorded, negative ones included, in a LastValue view;
 * int64 and double; bound. */
static void test_gauge(void **state) {
  (void)state;
  census_gauge *g = census_gauge_double_new("ins.temperature", NULL, NULL);
  assert_non_null(g);
  assert_int_equal(census_gauge_record_double(g, 21.5, NULL), CENSUS_OK);
  assert_int_equal(census_gauge_record_double(g, -3.25, NULL), CENSUS_OK);
  census_view_data *d = get_data("ins.temperature");
  assert_int_equal(census_view_data_aggregation(d), CENSUS_AGGREGATION_LAST_VALUE);
  census_view_data_free(d);
  assert_true(row_point("ins.temperature", NULL, NULL).double_value == -3.25);
  census_gauge *gi = census_gauge_int64_new("ins.connections", NULL, NULL);
  census_bound_measure *b = census_gauge_bind(gi, NULL, NULL);
  assert_int_equal(census_gauge_record_int64(gi, 7, NULL), CENSUS_OK);
  assert_int_equal(census_bound_record_int64(b, -2), CENSUS_OK);
  census_bound_measure_free(b);
  assert_int_equal(row_point("ins.connections", NULL, NULL).int_value, -2);
  assert_non_null(census_gauge_measure(gi));
  assert_null(census_gauge_measure(NULL));
  assert_int_equal(census_gauge_record_int64(NULL, 1, NULL), CENSUS_EINVAL);
}

/* ---- histograms -------------------------------------------------------------------------- */

/* Proves: a histogram without bounds gets OpenTelemetry's default boundaries (the 15 of the
 * specification), one with bounds gets those; values fall in upper-inclusive buckets; negative
 * values are refused; an int64 histogram keeps an exact integer sum; bound handles work. */
static void test_histogram(void **state) {
  (void)state;
  census_histogram *h = census_histogram_double_new("ins.duration", NULL, NULL);
  assert_non_null(h);
  census_view_data *d = get_data("ins.duration");
  const double *bounds;
  size_t n = census_view_data_bounds(d, &bounds);
  static const double otel[] = {0,   5,   10,   25,   50,   75,   100,  250,
                                500, 750, 1000, 2500, 5000, 7500, 10000};
  assert_int_equal(n, 15);
  assert_memory_equal(bounds, otel, sizeof otel);
  census_view_data_free(d);
  assert_int_equal(census_histogram_record_double(h, 5, NULL), CENSUS_OK);
  assert_int_equal(census_histogram_record_double(h, 7, NULL), CENSUS_OK);
  assert_int_equal(census_histogram_record_double(h, 20000, NULL), CENSUS_OK);
  assert_int_equal(census_histogram_record_double(h, -1, NULL), CENSUS_ENEGATIVE);
  census_point p = row_point("ins.duration", NULL, NULL);
  assert_int_equal(p.count, 3);
  assert_int_equal(p.bucket_counts[1], 1);  /* (0, 5] */
  assert_int_equal(p.bucket_counts[2], 1);  /* (5, 10] */
  assert_int_equal(p.bucket_counts[15], 1); /* (10000, +inf) */

  double mine[] = {100, 1000};
  census_instrument_options o = CENSUS_INSTRUMENT_OPTIONS_INIT;
  o.unit = "By";
  o.bounds = mine;
  o.bound_count = 2;
  census_histogram *hi = census_histogram_int64_new("ins.size", &o, NULL);
  assert_non_null(hi);
  census_bound_measure *b = census_histogram_bind(hi, NULL, NULL);
  assert_int_equal(census_histogram_record_int64(hi, 1000, NULL), CENSUS_OK);
  assert_int_equal(census_bound_record_int64(b, 1001), CENSUS_OK);
  census_bound_measure_free(b);
  p = row_point("ins.size", NULL, NULL);
  assert_int_equal(p.bucket_count, 3);
  assert_int_equal(p.bucket_counts[1], 1);
  assert_int_equal(p.bucket_counts[2], 1);
  assert_int_equal(p.int_value, 2001);
  assert_int_equal(census_histogram_record_double(hi, 1.5, NULL), CENSUS_ETYPE);
  assert_int_equal(census_histogram_record_int64(NULL, 1, NULL), CENSUS_EINVAL);
  assert_ptr_equal(census_histogram_measure(hi),
                   census_measure_int64_new("ins.size", "", "By", NULL));
}

/* ---- names, options, conflicts ----------------------------------------------------------- */

/* Proves: the name follows OpenTelemetry's syntax (a letter first; letters, digits, _ . - /;
 * 1..255), refused with EBADNAME and a diagnostic naming the rule; 255 characters are accepted,
 * 256 not; a unit over 63 bytes, options not made with CENSUS_INSTRUMENT_OPTIONS_INIT (reported
 * naming the macro), bounds NULL with a count and a NULL name are EINVAL; bad bounds EBADBOUNDS;
 * a key given twice EDUPLICATE. */
static void test_names_and_options(void **state) {
  (void)state;
  census_status st = 1;
  const char *bad[] = {"", "1abc", "_x", "a b", "a:b", "é"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    st = 1;
    assert_null(census_counter_int64_new(bad[i], NULL, &st));
    assert_int_equal(st, CENSUS_EBADNAME);
  }
  assert_non_null(strstr(diag, "a letter first"));
  char name[300];
  memset(name, 'a', 256);
  name[256] = '\0';
  assert_null(census_counter_int64_new(name, NULL, &st));
  assert_int_equal(st, CENSUS_EBADNAME);
  name[255] = '\0';
  assert_non_null(census_counter_int64_new(name, NULL, &st));
  assert_non_null(census_counter_int64_new("A1_.-/z", NULL, &st));
  assert_null(census_counter_int64_new(NULL, NULL, &st));
  assert_int_equal(st, CENSUS_EINVAL);

  census_instrument_options o = CENSUS_INSTRUMENT_OPTIONS_INIT;
  char unit[70];
  memset(unit, 'x', 64);
  unit[64] = '\0';
  o.unit = unit;
  assert_null(census_gauge_int64_new("ins.long_unit", &o, &st));
  assert_int_equal(st, CENSUS_EINVAL);
  unit[63] = '\0';
  assert_non_null(census_gauge_int64_new("ins.unit63", &o, &st));

  census_instrument_options zeroed = {0};
  assert_null(census_counter_int64_new("ins.zeroed", &zeroed, &st));
  assert_int_equal(st, CENSUS_EINVAL);
  assert_non_null(strstr(diag, "CENSUS_INSTRUMENT_OPTIONS_INIT"));

  census_instrument_options hb = CENSUS_INSTRUMENT_OPTIONS_INIT;
  hb.bound_count = 2;
  assert_null(census_histogram_double_new("ins.nobounds", &hb, &st));
  assert_int_equal(st, CENSUS_EINVAL);
  double unsorted[] = {2, 1};
  hb.bounds = unsorted;
  assert_null(census_histogram_double_new("ins.unsorted", &hb, &st));
  assert_int_equal(st, CENSUS_EBADBOUNDS);

  const census_tag_key *k = key("ins.k");
  const census_tag_key *twice[] = {k, k};
  census_instrument_options dup = CENSUS_INSTRUMENT_OPTIONS_INIT;
  dup.attribute_keys = twice;
  dup.attribute_key_count = 2;
  assert_null(census_counter_int64_new("ins.dup", &dup, &st));
  assert_int_equal(st, CENSUS_EDUPLICATE);
}

/* Proves: a name is one instrument: made again as another kind or value type it is ECONFLICT,
 * reported naming what it is; made again with another unit it is the measure's ECONFLICT (its
 * line names the unit), with other bounds the view's (its line names the bounds); the first
 * instrument keeps working. A measure made by hand under the name is shared when it agrees. */
static void test_conflicts(void **state) {
  (void)state;
  census_instrument_options o = CENSUS_INSTRUMENT_OPTIONS_INIT;
  o.unit = "ms";
  census_histogram *h = census_histogram_double_new("ins.latency", &o, NULL);
  assert_non_null(h);
  census_status st = 1;
  assert_null(census_counter_double_new("ins.latency", &o, &st));
  assert_int_equal(st, CENSUS_ECONFLICT);
  assert_string_equal(diag,
                      "census_counter_double_new: instrument \"ins.latency\" already exists as a "
                      "histogram of double values: make it with the same kind and value type, or "
                      "under another name");
  assert_null(census_histogram_int64_new("ins.latency", &o, &st));
  assert_int_equal(st, CENSUS_ECONFLICT);
  o.unit = "s";
  assert_null(census_histogram_double_new("ins.latency", &o, &st));
  assert_int_equal(st, CENSUS_ECONFLICT);
  assert_non_null(strstr(diag, "another unit"));
  o.unit = "ms";
  double other[] = {1, 2};
  o.bounds = other;
  o.bound_count = 2;
  assert_null(census_histogram_double_new("ins.latency", &o, &st));
  assert_int_equal(st, CENSUS_ECONFLICT);
  assert_non_null(strstr(diag, "bucket bounds"));
  assert_int_equal(census_histogram_record_double(h, 3, NULL), CENSUS_OK);
  assert_int_equal(row_point("ins.latency", NULL, NULL).count, 1);

  const census_measure *mine = census_measure_int64_new("ins.shared", "", "1", NULL);
  census_counter *c = census_counter_int64_new("ins.shared", NULL, &st);
  assert_non_null(c);
  assert_ptr_equal(census_counter_measure(c), mine);
}

/* Proves: both styles coexist: a Count view of one's own over a counter's measure counts the
 * counter's adds, and census_record_int64() on that measure adds to the counter's view: the two
 * styles are one record path. */
static void test_styles_coexist(void **state) {
  (void)state;
  census_counter *c = census_counter_int64_new("ins.jobs", NULL, NULL);
  register_view("ins.jobs_count", census_counter_measure(c), NULL, 0,
                census_aggregation_count_new());
  assert_int_equal(census_counter_add_int64(c, 10, NULL), CENSUS_OK);
  assert_int_equal(census_record_int64(census_counter_measure(c), 5, NULL), CENSUS_OK);
  assert_int_equal(row_point("ins.jobs", NULL, NULL).int_value, 15);
  assert_int_equal(row_point("ins.jobs_count", NULL, NULL).count, 2);
}

/* ---- observable instruments ------------------------------------------------------------- */

struct observed {
  atomic_int calls;
  _Atomic int64_t total;
  double double_total;
  pthread_t thread;
  const census_tag_key *key;
};

static void observe_total(census_observer *observer, void *user) {
  struct observed *o = user;
  atomic_fetch_add(&o->calls, 1);
  o->thread = pthread_self();
  census_tag_map *a = census_tag_map_new(), *b = census_tag_map_new();
  census_tag_map_put(a, o->key, "a");
  census_tag_map_put(b, o->key, "b");
  census_observer_observe_int64(observer, atomic_load(&o->total), a);
  census_observer_observe_int64(observer, 2 * atomic_load(&o->total), b);
  census_tag_map_free(a);
  census_tag_map_free(b);
}

/* Proves: an observable counter's callback runs at each collection with its user pointer, and
 * what it observes is exported as it was observed (a total, not added up): 10 then 25 then 7
 * (a decrease: a reset, exported as observed) for one attribute set, twice that for the other;
 * the view is a monotonic Sum; a negative observation is refused (ENEGATIVE). Freeing the handle
 * stops the callback: the next collection does not call it and keeps the last values. */
static void test_observable_counter(void **state) {
  (void)state;
  /* Static: a failed assertion leaves the callback registered, and it must not write into a
   * stack frame that is gone. */
  static struct observed o;
  o.key = key("ins.shard");
  census_instrument_options opts = CENSUS_INSTRUMENT_OPTIONS_INIT;
  opts.attribute_keys = &o.key;
  opts.attribute_key_count = 1;
  census_status st = 1;
  census_observable *obs =
      census_observable_counter_int64_new("ins.observed", &opts, observe_total, &o, &st);
  assert_non_null(obs);
  assert_int_equal(st, CENSUS_OK);
  atomic_store(&o.total, 10);
  bool monotonic = false;
  census_point p = row_point("ins.observed", "a", &monotonic);
  assert_int_equal(p.int_value, 10);
  assert_true(monotonic);
  assert_int_equal(row_point("ins.observed", "b", NULL).int_value, 20);
  census_view_data *d = get_data("ins.observed");
  assert_int_equal(census_view_data_aggregation(d), CENSUS_AGGREGATION_SUM);
  census_view_data_free(d);
  atomic_store(&o.total, 25);
  assert_int_equal(row_point("ins.observed", "a", NULL).int_value, 25);
  atomic_store(&o.total, 7);
  assert_int_equal(row_point("ins.observed", "a", NULL).int_value, 7);
  int calls = atomic_load(&o.calls);
  assert_int_equal(calls, 5); /* once per collection: the five census_view_data_get() above */
  assert_true(pthread_equal(o.thread, pthread_self())); /* the thread that collected */
  census_observable_free(obs);
  atomic_store(&o.total, 99);
  assert_int_equal(row_point("ins.observed", "a", NULL).int_value, 7);
  assert_int_equal(atomic_load(&o.calls), calls);
  census_observable_free(NULL);
}

static void observe_double_exact(census_observer *observer, void *user) {
  struct observed *o = user;
  atomic_fetch_add(&o->calls, 1);
  census_observer_observe_double(observer, o->double_total, NULL);
}

static void observe_negative(census_observer *observer, void *user) {
  census_status *st = user;
  *st = census_observer_observe_int64(observer, -1, NULL);
}

/* Proves: a double observable counter exports exactly the value observed (0.1 then 0.3: no
 * delta arithmetic, so no 0.30000000000000004); a negative observation of a counter is refused
 * with ENEGATIVE; a NULL observer and a NULL callback are EINVAL. */
static void test_observable_counter_exact_and_errors(void **state) {
  (void)state;
  static struct observed o;
  o.double_total = 0.1;
  census_observable *obs =
      census_observable_counter_double_new("ins.cpu", NULL, observe_double_exact, &o, NULL);
  assert_non_null(obs);
  assert_true(row_point("ins.cpu", NULL, NULL).double_value == 0.1);
  o.double_total = 0.3;
  assert_true(row_point("ins.cpu", NULL, NULL).double_value == 0.3);
  census_observable_free(obs);

  static census_status from_callback = 1;
  obs =
      census_observable_counter_int64_new("ins.neg", NULL, observe_negative, &from_callback, NULL);
  census_view_data_free(get_data("ins.neg"));
  assert_int_equal(from_callback, CENSUS_ENEGATIVE);
  census_observable_free(obs);
  assert_int_equal(census_observer_observe_int64(NULL, 1, NULL), CENSUS_EINVAL);
  assert_int_equal(census_observer_observe_double(NULL, 1, NULL), CENSUS_EINVAL);
  census_status st = 1;
  assert_null(census_observable_gauge_int64_new("ins.nocb", NULL, NULL, NULL, &st));
  assert_int_equal(st, CENSUS_EINVAL);
}

static void observe_updown(census_observer *observer, void *user) {
  census_observer_observe_int64(observer, *(int64_t *)user, NULL);
}

static void observe_gauge(census_observer *observer, void *user) {
  census_observer_observe_double(observer, *(double *)user, NULL);
}

/* Proves: an observable up-down counter's observations may be negative and its view is a
 * non-monotonic Sum holding the value observed; an observable gauge's is a LastValue view; two
 * callbacks on one instrument both run; a double up-down and an int64 gauge work too. */
static void test_observable_updown_and_gauge(void **state) {
  (void)state;
  static int64_t depth = -4;
  census_observable *u = census_observable_updown_counter_int64_new("ins.obs.depth", NULL,
                                                                    observe_updown, &depth, NULL);
  assert_non_null(u);
  bool monotonic = true;
  assert_int_equal(row_point("ins.obs.depth", NULL, &monotonic).int_value, -4);
  assert_false(monotonic);
  depth = 3;
  assert_int_equal(row_point("ins.obs.depth", NULL, NULL).int_value, 3);
  assert_ptr_equal(census_observable_measure(u), census_observable_measure(u));
  assert_non_null(census_observable_measure(u));
  assert_null(census_observable_measure(NULL));

  static double temp = -12.5;
  census_observable *g =
      census_observable_gauge_double_new("ins.obs.temp", NULL, observe_gauge, &temp, NULL);
  census_view_data *d = get_data("ins.obs.temp");
  assert_int_equal(census_view_data_aggregation(d), CENSUS_AGGREGATION_LAST_VALUE);
  census_view_data_free(d);
  assert_true(row_point("ins.obs.temp", NULL, NULL).double_value == -12.5);

  static double balance = -0.5;
  census_observable *ud = census_observable_updown_counter_double_new(
      "ins.obs.balance", NULL, observe_gauge, &balance, NULL);
  assert_true(row_point("ins.obs.balance", NULL, NULL).double_value == -0.5);
  static int64_t level = 9;
  census_observable *gi =
      census_observable_gauge_int64_new("ins.obs.level", NULL, observe_updown, &level, NULL);
  assert_int_equal(row_point("ins.obs.level", NULL, NULL).int_value, 9);
  /* A second callback on the same instrument: the later one's observation is the one kept. */
  static int64_t other = 11;
  census_observable *gi2 =
      census_observable_gauge_int64_new("ins.obs.level", NULL, observe_updown, &other, NULL);
  assert_non_null(gi2);
  assert_int_equal(row_point("ins.obs.level", NULL, NULL).int_value, 11);
  census_observable_free(gi2);
  census_observable_free(gi);
  census_observable_free(ud);
  census_observable_free(g);
  census_observable_free(u);
}

static atomic_int exported_views;
static pthread_t export_thread; /* the first export's */
static census_status count_export(void *user, const census_view_data *const *views, size_t n) {
  (void)user;
  for (size_t i = 0; i < n; i++) {
    if (strcmp(census_view_data_name(views[i]), "ins.on_worker") == 0 &&
        atomic_fetch_add(&exported_views, 1) == 0) {
      export_thread = pthread_self();
    }
  }
  return CENSUS_OK;
}

static pthread_t callback_thread; /* the first callback's */
static atomic_int callbacks;
static void observe_on_worker(census_observer *observer, void *user) {
  (void)user;
  if (atomic_fetch_add(&callbacks, 1) == 0) {
    callback_thread = pthread_self();
  }
  census_observer_observe_int64(observer, 1, NULL);
}

/* Proves: for a periodic export the callback runs on census's export worker (the thread that
 * then calls the exporter), not on the thread that made the instrument: the first callback (no
 * collection ran before the exporter was registered) and the first export are on one thread. */
static void test_observable_runs_on_export_worker(void **state) {
  (void)state;
  census_observable *o =
      census_observable_gauge_int64_new("ins.on_worker", NULL, observe_on_worker, NULL, NULL);
  static const census_stats_exporter_ops ops = {.size = sizeof(census_stats_exporter_ops),
                                                .export_views = count_export};
  assert_int_equal(census_export_set_interval_ms(50), CENSUS_OK);
  assert_int_equal(census_stats_exporter_register(&ops, (void *)&ops), CENSUS_OK);
  for (int i = 0; i < 200 && atomic_load(&exported_views) < 2; i++) {
    sleep_ms(10);
  }
  assert_int_equal(census_stats_exporter_unregister((void *)&ops, 5000), CENSUS_OK);
  assert_true(atomic_load(&exported_views) >= 2);
  assert_true(pthread_equal(callback_thread, export_thread));
  assert_false(pthread_equal(callback_thread, pthread_self()));
  census_observable_free(o);
}

/* ---- bucket helpers ---------------------------------------------------------------------- */

/* Proves: linear and exponential bounds are exact for representable steps (start + i * width,
 * start * factor^i) and usable as a distribution's bounds; every refused argument is EINVAL,
 * and bounds that rounding would make non-increasing or infinite are EBADBOUNDS; the named sets
 * are OpenTelemetry's defaults and client_golang's DefBuckets. */
static void test_buckets(void **state) {
  (void)state;
  double b[8];
  assert_int_equal(census_buckets_linear(1, 0.5, 4, b), CENSUS_OK);
  double want_linear[] = {1, 1.5, 2, 2.5};
  assert_memory_equal(b, want_linear, sizeof want_linear);
  assert_int_equal(census_buckets_linear(0, 0.1, 4, b), CENSUS_OK);
  assert_true(b[3] == 3 * 0.1); /* one rounding: 0.30000000000000004, as 3 * 0.1 gives */
  assert_int_equal(census_buckets_exponential(1, 2, 5, b), CENSUS_OK);
  double want_exp[] = {1, 2, 4, 8, 16};
  assert_memory_equal(b, want_exp, sizeof want_exp);
  census_status st = 1;
  census_aggregation *a = census_aggregation_distribution_new(b, 5, &st);
  assert_non_null(a);
  census_aggregation_free(a);

  assert_int_equal(census_buckets_linear(0, 1, 0, b), CENSUS_EINVAL);
  assert_int_equal(census_buckets_linear(0, 0, 2, b), CENSUS_EINVAL);
  assert_int_equal(census_buckets_linear(0, -1, 2, b), CENSUS_EINVAL);
  assert_int_equal(census_buckets_linear(NAN, 1, 2, b), CENSUS_EINVAL);
  assert_int_equal(census_buckets_linear(0, INFINITY, 2, b), CENSUS_EINVAL);
  assert_int_equal(census_buckets_linear(0, 1, 2, NULL), CENSUS_EINVAL);
  assert_int_equal(census_buckets_linear(1e17, 1, 2, b), CENSUS_EBADBOUNDS); /* 1 is lost */
  assert_int_equal(census_buckets_linear(1e308, 1e308, 3, b), CENSUS_EBADBOUNDS);
  assert_int_equal(census_buckets_exponential(0, 2, 2, b), CENSUS_EINVAL);
  assert_int_equal(census_buckets_exponential(-1, 2, 2, b), CENSUS_EINVAL);
  assert_int_equal(census_buckets_exponential(1, 1, 2, b), CENSUS_EINVAL);
  assert_int_equal(census_buckets_exponential(1, NAN, 2, b), CENSUS_EINVAL);
  assert_int_equal(census_buckets_exponential(1, 2, 0, b), CENSUS_EINVAL);
  assert_int_equal(census_buckets_exponential(1, 2, 1, NULL), CENSUS_EINVAL);
  assert_int_equal(census_buckets_exponential(1e300, 1e10, 3, b), CENSUS_EBADBOUNDS);
  assert_int_equal(census_buckets_exponential(1, 2, 1, b), CENSUS_OK);
  assert_true(b[0] == 1);

  size_t n = 0;
  const double *otel = census_buckets_otel_default(&n);
  static const double want_otel[] = {0,   5,   10,   25,   50,   75,   100,  250,
                                     500, 750, 1000, 2500, 5000, 7500, 10000};
  assert_int_equal(n, 15);
  assert_memory_equal(otel, want_otel, sizeof want_otel);
  const double *secs = census_buckets_default_seconds(&n);
  static const double want_secs[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  assert_int_equal(n, 11);
  assert_memory_equal(secs, want_secs, sizeof want_secs);
  assert_ptr_equal(census_buckets_otel_default(NULL), otel);
}

/* ---- the timer --------------------------------------------------------------------------- */

/* Proves: a timer measures monotonic elapsed time (a 30 ms sleep reads at least 30 ms and under
 * 5 s) and records it in the histogram's unit: seconds, milliseconds, and whole nanoseconds for
 * an int64 "ns" histogram (the same timer stopped into three histograms); a histogram whose unit
 * is not a time unit is refused with EINVAL, reported once; NULLs are EINVAL. */
static void test_timer(void **state) {
  (void)state;
  census_instrument_options o = CENSUS_INSTRUMENT_OPTIONS_INIT;
  o.unit = "s";
  census_histogram *secs = census_histogram_double_new("ins.timer.s", &o, NULL);
  o.unit = "ms";
  census_histogram *ms = census_histogram_double_new("ins.timer.ms", &o, NULL);
  o.unit = "ns";
  census_histogram *ns = census_histogram_int64_new("ins.timer.ns", &o, NULL);
  o.unit = "By";
  census_histogram *bytes = census_histogram_double_new("ins.timer.bytes", &o, NULL);
  assert_true(secs && ms && ns && bytes);
  census_timer t = census_timer_start();
  sleep_ms(30);
  int64_t before = census_timer_elapsed_ns(&t);
  assert_int_equal(census_timer_stop(&t, secs, NULL), CENSUS_OK);
  assert_int_equal(census_timer_stop(&t, ms, NULL), CENSUS_OK);
  assert_int_equal(census_timer_stop(&t, ns, NULL), CENSUS_OK);
  int64_t after = census_timer_elapsed_ns(&t);
  assert_true(before >= 30000000 && after < 5000000000);
  double s = row_point("ins.timer.s", NULL, NULL).double_value;
  assert_true(s >= before / 1e9 && s <= after / 1e9);
  double m = row_point("ins.timer.ms", NULL, NULL).double_value;
  assert_true(m >= before / 1e6 && m <= after / 1e6);
  int64_t n = row_point("ins.timer.ns", NULL, NULL).int_value;
  assert_true(n >= before && n <= after);
  int reports = diag_count;
  assert_int_equal(census_timer_stop(&t, bytes, NULL), CENSUS_EINVAL);
  assert_int_equal(census_timer_stop(&t, bytes, NULL), CENSUS_EINVAL);
  assert_int_equal(diag_count, reports + 1);
  assert_non_null(strstr(diag, "not a time unit"));
  assert_int_equal(row_count("ins.timer.bytes"), 0);
  assert_int_equal(census_timer_stop(NULL, secs, NULL), CENSUS_EINVAL);
  assert_int_equal(census_timer_stop(&t, NULL, NULL), CENSUS_EINVAL);
  assert_int_equal(census_timer_elapsed_ns(NULL), 0);
}

/* ---- process metrics --------------------------------------------------------------------- */

static int64_t proc_fd_count(void) {
  DIR *d = opendir("/proc/self/fd");
  int64_t n = 0;
  struct dirent *e;
  while (d && (e = readdir(d)) != NULL) {
    n += e->d_name[0] != '.';
  }
  if (d) {
    closedir(d);
  }
  return n - 1; /* the stream's own */
}

static void *park(void *arg) {
  atomic_bool *go = arg;
  while (!atomic_load(go)) {
    sleep_ms(1);
  }
  return NULL;
}

/* Proves: census_process_metrics_register() registers the seven metrics with OpenTelemetry's
 * names and the Prometheus clients' names, of the kinds the conventions give, and their values
 * are the kernel's: open descriptors equal /proc/self/fd's count and follow 3 more opened
 * exactly; the descriptor limit is RLIMIT_NOFILE's soft limit; threads follow one more started
 * exactly; resident and virtual memory are positive with virtual >= resident; CPU time grows
 * after a busy loop and is at most the wall time since the start; the start time is in the
 * past, within the last hour (the test's process). Registering again adds no second callback
 * (the callback count of one collection stays 7 observations: checked through the rows). */
static void test_process_metrics(void **state) {
  (void)state;
  assert_int_equal(census_process_metrics_register(), CENSUS_OK);
  assert_int_equal(census_process_metrics_register(), CENSUS_OK);
  static const struct {
    const char *view, *prometheus;
    census_aggregation_type aggregation;
    bool monotonic;
  } want[] = {
      {"process.cpu.time", "process_cpu_seconds_total", CENSUS_AGGREGATION_SUM, true},
      {"process.memory.usage", "process_resident_memory_bytes", CENSUS_AGGREGATION_SUM, false},
      {"process.memory.virtual", "process_virtual_memory_bytes", CENSUS_AGGREGATION_SUM, false},
      {"process.unix.file_descriptor.count", "process_open_fds", CENSUS_AGGREGATION_SUM, false},
      {"process_max_fds", "process_max_fds", CENSUS_AGGREGATION_LAST_VALUE, false},
      {"process_start_time_seconds", "process_start_time_seconds", CENSUS_AGGREGATION_LAST_VALUE,
       false},
      {"process.thread.count", "process_threads", CENSUS_AGGREGATION_SUM, false},
  };
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    census_view_data *d = get_data(want[i].view);
    assert_string_equal(census_view_data_prometheus_name(d), want[i].prometheus);
    assert_int_equal(census_view_data_aggregation(d), want[i].aggregation);
    assert_int_equal(census_view_data_is_monotonic(d), want[i].monotonic);
    assert_int_equal(census_view_data_row_count(d), 1);
    census_view_data_free(d);
  }
  int64_t fds = row_point("process.unix.file_descriptor.count", NULL, NULL).int_value;
  assert_int_equal(fds, proc_fd_count());
  int opened[3];
  for (int i = 0; i < 3; i++) {
    opened[i] = open("/dev/null", O_RDONLY);
    assert_true(opened[i] >= 0);
  }
  assert_int_equal(row_point("process.unix.file_descriptor.count", NULL, NULL).int_value, fds + 3);
  for (int i = 0; i < 3; i++) {
    close(opened[i]);
  }
  struct rlimit rl;
  assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
  assert_int_equal(row_point("process_max_fds", NULL, NULL).int_value, (int64_t)rl.rlim_cur);

  int64_t threads = row_point("process.thread.count", NULL, NULL).int_value;
  atomic_bool go = false;
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, park, &go), 0);
  assert_int_equal(row_point("process.thread.count", NULL, NULL).int_value, threads + 1);
  atomic_store(&go, true);
  pthread_join(t, NULL);

  int64_t rss = row_point("process.memory.usage", NULL, NULL).int_value;
  int64_t vsize = row_point("process.memory.virtual", NULL, NULL).int_value;
  assert_true(rss > 0 && vsize >= rss);
  assert_int_equal(rss % getpagesize(), 0);

  double cpu = row_point("process.cpu.time", NULL, NULL).double_value;
  volatile double x = 0;
  for (long i = 0; i < 30000000; i++) {
    x = x + 1e-9 * (double)i;
  }
  double cpu_after = row_point("process.cpu.time", NULL, NULL).double_value;
  assert_true(cpu_after > cpu);
  double start = row_point("process_start_time_seconds", NULL, NULL).double_value;
  double now = (double)now_ns() / 1e9;
  assert_true(start <= now && start > now - 3600);
  assert_true(cpu_after <= (now - start) * 64 + 1); /* at most every CPU busy since the start */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_counter_int64, quiet),
      cmocka_unit_test_setup(test_counter_double_and_bound, quiet),
      cmocka_unit_test_setup(test_updown_counter, quiet),
      cmocka_unit_test_setup(test_gauge, quiet),
      cmocka_unit_test_setup(test_histogram, quiet),
      cmocka_unit_test_setup(test_names_and_options, quiet),
      cmocka_unit_test_setup(test_conflicts, quiet),
      cmocka_unit_test_setup(test_styles_coexist, quiet),
      cmocka_unit_test_setup(test_observable_counter, quiet),
      cmocka_unit_test_setup(test_observable_counter_exact_and_errors, quiet),
      cmocka_unit_test_setup(test_observable_updown_and_gauge, quiet),
      cmocka_unit_test_setup(test_observable_runs_on_export_worker, quiet),
      cmocka_unit_test_setup(test_buckets, quiet),
      cmocka_unit_test_setup(test_timer, quiet),
      cmocka_unit_test_setup(test_process_metrics, quiet),
  };
  return cmocka_run_group_tests_name("instruments", tests, NULL, NULL);
}
