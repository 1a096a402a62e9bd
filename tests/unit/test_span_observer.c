/* test_span_observer.c - span observers (census_span_observer_register(), census/exporter.h,
 * src/trace/span_observer.c): the hook the zPages' tracez page is fed by.
 *
 * What it proves:
 *   - an observer sees each recording span start (name, ids, start time set) and end (complete:
 *     attributes, events, status, end time) with the cookie its on_start returned, and spans
 *     keep going to the span exporters as before;
 *   - record_unsampled: spans the sampler refuses are recorded for the observers (attributes
 *     kept, census_span_is_recording() true, census_span_data_is_sampled() false, the sampled
 *     flag off in their context) and never reach a span exporter; without it, unsampled spans
 *     are invisible to observers and record nothing;
 *   - a span that started before the registration, or ends after the unregistration, gives no
 *     on_end; a record reused after an observed span carries nothing over;
 *   - the refusals: size 0 (EINVAL), the same user twice (EDUPLICATE), a fifth observer
 *     (ELIMIT), unregistering an unknown user (ENOTFOUND);
 *   - under threads that start and end spans without pause, after unregister returns CENSUS_OK
 *     no callback of that observer runs any more (its counters stay still), and registration
 *     churn never loses track of a slot (THREADED: also run under TSan).
 * None of this existed before issue 17 (the functions are new), so every test fails to build on
 * main.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "support.h"

#include "census/exporter.h"
#include "census/trace.h"

struct observed {
  _Atomic int starts, ends, unsampled_ends;
  _Atomic uint64_t cookie_mismatch;
  char last_name[64];
  size_t last_attributes, last_events;
  census_span_status_code last_status;
  int64_t last_start_ns, last_end_ns;
  bool last_sampled;
};

static uint64_t on_start(void *user, const census_span_data *span) {
  struct observed *o = user;
  atomic_fetch_add(&o->starts, 1);
  /* The cookie is derived from the span's start time, which on_end sees again. */
  return (uint64_t)census_span_data_start_time_ns(span) ^ 0x5a5a5a5aULL;
}

static void on_end(void *user, const census_span_data *span, uint64_t cookie) {
  struct observed *o = user;
  if (cookie != ((uint64_t)census_span_data_start_time_ns(span) ^ 0x5a5a5a5aULL)) {
    atomic_fetch_add(&o->cookie_mismatch, 1);
  }
  snprintf(o->last_name, sizeof o->last_name, "%s", census_span_data_name(span));
  o->last_attributes = census_span_data_attribute_count(span);
  o->last_events = census_span_data_event_count(span);
  o->last_status = census_span_data_status(span, NULL);
  o->last_start_ns = census_span_data_start_time_ns(span);
  o->last_end_ns = census_span_data_end_time_ns(span);
  o->last_sampled = census_span_data_is_sampled(span);
  if (!census_span_data_is_sampled(span)) {
    atomic_fetch_add(&o->unsampled_ends, 1);
  }
  atomic_fetch_add(&o->ends, 1);
}

/* on_end for several threads at once: atomics only (on_end above also keeps the last span's
 * fields, for the single-threaded tests). */
static void on_end_counting(void *user, const census_span_data *span, uint64_t cookie) {
  struct observed *o = user;
  if (cookie != ((uint64_t)census_span_data_start_time_ns(span) ^ 0x5a5a5a5aULL)) {
    atomic_fetch_add(&o->cookie_mismatch, 1);
  }
  atomic_fetch_add(&o->ends, 1);
}

static _Atomic int exported;
static census_status count_export(void *user, const census_span_data *const *spans, size_t n) {
  (void)user;
  (void)spans;
  atomic_fetch_add(&exported, (int)n);
  return CENSUS_OK;
}
static int exporter_user;

static census_span_options with_sampler(census_sampler *sampler) {
  census_span_options o = CENSUS_SPAN_OPTIONS_INIT;
  o.root = true;
  o.sampler = sampler;
  return o;
}

static void test_sees_start_and_end(void **state) {
  (void)state;
  struct observed o = {0};
  census_span_observer_ops ops = CENSUS_SPAN_OBSERVER_OPS_INIT;
  ops.on_start = on_start;
  ops.on_end = on_end;
  assert_int_equal(census_span_observer_register(&ops, &o), CENSUS_OK);
  census_sampler *on = census_sampler_always_on();
  census_span_options opts = with_sampler(on);
  int before = atomic_load(&exported);
  census_span s = census_span_start("observed span", &opts);
  assert_int_equal(atomic_load(&o.starts), 1);
  assert_int_equal(atomic_load(&o.ends), 0);
  census_span_set_attribute_string(s, "k", "v");
  census_span_add_event(s, "e");
  census_span_set_status(s, CENSUS_SPAN_STATUS_ERROR, "bad");
  census_span_end(s);
  assert_int_equal(atomic_load(&o.ends), 1);
  assert_int_equal(atomic_load(&o.cookie_mismatch), 0);
  assert_string_equal(o.last_name, "observed span");
  assert_int_equal(o.last_attributes, 1);
  assert_int_equal(o.last_events, 1);
  assert_int_equal(o.last_status, CENSUS_SPAN_STATUS_ERROR);
  assert_true(o.last_start_ns > 0 && o.last_end_ns >= o.last_start_ns);
  assert_true(o.last_sampled);
  /* The span still goes to the span exporter. */
  assert_int_equal(census_flush(5000), CENSUS_OK);
  assert_int_equal(atomic_load(&exported), before + 1);
  assert_int_equal(census_span_observer_unregister(&o, 1000), CENSUS_OK);
  census_span_end(census_span_start("after", &opts));
  assert_int_equal(atomic_load(&o.starts), 1); /* not called any more */
  census_sampler_free(on);
}

static void test_record_unsampled(void **state) {
  (void)state;
  census_sampler *off = census_sampler_always_off();
  census_span_options opts = with_sampler(off);
  struct observed plain = {0}, wants = {0};
  census_span_observer_ops ops = CENSUS_SPAN_OBSERVER_OPS_INIT;
  ops.on_start = on_start;
  ops.on_end = on_end;
  assert_int_equal(census_span_observer_register(&ops, &plain), CENSUS_OK);
  /* Without record_unsampled, an unsampled span is neither recorded nor observed. */
  census_span s = census_span_start("refused", &opts);
  assert_false(census_span_is_recording(s));
  assert_int_equal(census_span_set_attribute_int64(s, "n", 1), CENSUS_OK); /* does nothing */
  census_span_end(s);
  assert_int_equal(atomic_load(&plain.starts), 0);

  ops.record_unsampled = 1;
  assert_int_equal(census_span_observer_register(&ops, &wants), CENSUS_OK);
  assert_int_equal(census_flush(5000), CENSUS_OK); /* earlier tests' spans out of the queue */
  int before = atomic_load(&exported);
  s = census_span_start("refused but recorded", &opts);
  assert_true(census_span_is_recording(s));
  census_trace_context ctx;
  assert_int_equal(census_span_context(s, &ctx), CENSUS_OK);
  assert_false(census_trace_context_is_sampled(&ctx));
  assert_int_equal(census_span_set_attribute_int64(s, "n", 1), CENSUS_OK);
  assert_int_equal(census_span_set_attribute_string(s, "s", "x"), CENSUS_OK);
  census_span_end(s);
  /* Both observers see it (one asked for it; the other sees what is recorded). */
  assert_int_equal(atomic_load(&wants.ends), 1);
  assert_int_equal(atomic_load(&wants.unsampled_ends), 1);
  assert_int_equal(atomic_load(&plain.ends), 1);
  assert_false(wants.last_sampled);
  assert_int_equal(wants.last_attributes, 2);
  assert_string_equal(wants.last_name, "refused but recorded");
  assert_int_equal(census_flush(5000), CENSUS_OK);
  assert_int_equal(atomic_load(&exported), before); /* never exported */

  assert_int_equal(census_span_observer_unregister(&wants, 1000), CENSUS_OK);
  /* The record went back to the pool cleared: the next unsampled span records nothing. */
  s = census_span_start("refused again", &opts);
  assert_false(census_span_is_recording(s));
  census_span_end(s);
  assert_int_equal(atomic_load(&plain.ends), 1);
  assert_int_equal(census_span_observer_unregister(&plain, 1000), CENSUS_OK);
  census_sampler_free(off);
}

static void test_start_before_register_end_after_unregister(void **state) {
  (void)state;
  census_sampler *on = census_sampler_always_on();
  census_span_options opts = with_sampler(on);
  struct observed o = {0};
  census_span_observer_ops ops = CENSUS_SPAN_OBSERVER_OPS_INIT;
  ops.on_start = on_start;
  ops.on_end = on_end;
  census_span early = census_span_start("early", &opts);
  assert_int_equal(census_span_observer_register(&ops, &o), CENSUS_OK);
  census_span_end(early); /* its start was not seen: no on_end */
  assert_int_equal(atomic_load(&o.ends), 0);
  census_span late = census_span_start("late", &opts);
  assert_int_equal(atomic_load(&o.starts), 1);
  assert_int_equal(census_span_observer_unregister(&o, 1000), CENSUS_OK);
  /* Another observer takes the slot: it did not see "late" start either. */
  struct observed other = {0};
  assert_int_equal(census_span_observer_register(&ops, &other), CENSUS_OK);
  census_span_end(late);
  assert_int_equal(atomic_load(&o.ends), 0);
  assert_int_equal(atomic_load(&other.ends), 0);
  assert_int_equal(census_span_observer_unregister(&other, 1000), CENSUS_OK);
  census_sampler_free(on);
}

static void test_refusals(void **state) {
  (void)state;
  census_span_observer_ops zeroed = {0};
  assert_int_equal(census_span_observer_register(&zeroed, &zeroed), CENSUS_EINVAL);
  assert_int_equal(census_span_observer_register(NULL, &zeroed), CENSUS_EINVAL);
  census_span_observer_ops ops = CENSUS_SPAN_OBSERVER_OPS_INIT;
  ops.on_end = on_end;
  struct observed o[5] = {0};
  for (int i = 0; i < 4; i++) {
    assert_int_equal(census_span_observer_register(&ops, &o[i]), CENSUS_OK);
  }
  assert_int_equal(census_span_observer_register(&ops, &o[0]), CENSUS_EDUPLICATE);
  assert_int_equal(census_span_observer_register(&ops, &o[4]), CENSUS_ELIMIT);
  for (int i = 0; i < 4; i++) {
    assert_int_equal(census_span_observer_unregister(&o[i], 1000), CENSUS_OK);
  }
  assert_int_equal(census_span_observer_unregister(&o[0], 1000), CENSUS_ENOTFOUND);
}

static atomic_bool churn_stop;

static void *span_loop(void *arg) {
  census_span_options *opts = arg;
  while (!atomic_load(&churn_stop)) {
    census_span s = census_span_start("churn", opts);
    census_span_set_attribute_int64(s, "i", 1);
    census_span_end(s);
  }
  return NULL;
}

static void test_unregister_waits_for_callbacks(void **state) {
  (void)state;
  census_sampler *off = census_sampler_always_off();
  census_span_options opts = with_sampler(off); /* record-only spans: nothing queued */
  atomic_store(&churn_stop, false);
  pthread_t threads[3];
  for (int i = 0; i < 3; i++) {
    assert_int_equal(pthread_create(&threads[i], NULL, span_loop, &opts), 0);
  }
  census_span_observer_ops ops = CENSUS_SPAN_OBSERVER_OPS_INIT;
  ops.on_start = on_start;
  ops.on_end = on_end_counting;
  ops.record_unsampled = 1;
  for (int round = 0; round < 50; round++) {
    struct observed o = {0};
    assert_int_equal(census_span_observer_register(&ops, &o), CENSUS_OK);
    while (atomic_load(&o.ends) < 20) {
      sleep_ms(0);
    }
    assert_int_equal(census_span_observer_unregister(&o, 5000), CENSUS_OK);
    int starts = atomic_load(&o.starts), ends = atomic_load(&o.ends);
    sleep_ms(2);
    /* No callback ran after the unregistration returned (o is about to go out of scope). */
    assert_int_equal(atomic_load(&o.starts), starts);
    assert_int_equal(atomic_load(&o.ends), ends);
    assert_int_equal(atomic_load(&o.cookie_mismatch), 0);
    assert_true(ends <= starts);
  }
  atomic_store(&churn_stop, true);
  for (int i = 0; i < 3; i++) {
    pthread_join(threads[i], NULL);
  }
  census_sampler_free(off);
}

int main(void) {
  static const census_span_exporter_ops exporter = {.size = sizeof(census_span_exporter_ops),
                                                    .export_spans = count_export};
  if (census_span_exporter_register(&exporter, &exporter_user) != CENSUS_OK) {
    return 1;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sees_start_and_end),
      cmocka_unit_test(test_record_unsampled),
      cmocka_unit_test(test_start_before_register_end_after_unregister),
      cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_unregister_waits_for_callbacks),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
