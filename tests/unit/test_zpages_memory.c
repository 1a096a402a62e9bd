/* test_zpages_memory.c - the zPages stay within their memory bound under a flood of spans.
 *
 * Four threads end spans as fast as they can for a fixed count: unique names (far more than the
 * name table holds), 64 attributes of 300 bytes each, 40 events, links, errors, and spans the
 * sampler refuses (record_unsampled). Proves:
 *   - the zPages' own accounting (census_zpages_stats: bytes_held) never exceeds bytes_bound,
 *     read by the main thread throughout the flood, and the bound matches the documented formula
 *     for these options;
 *   - names beyond max_span_names are counted under "(other names)" (spans_other_names: exactly
 *     the spans whose names found the table full, once each; main counted each twice, at its
 *     start and at its end, and fails this) and cost nothing; samples held never exceed the
 *     rings' size; big spans are cut (samples_cut > 0) to sample_max_bytes;
 *   - the process heap (glibc mallinfo2: bytes in use) grows by no more than the bound plus a
 *     fixed slack for census itself, and a second flood of the same size grows it by less than
 *     1 MiB: what the zPages keep does not scale with the number of spans;
 *   - every span is counted: spans_ended equals what the threads ended.
 * The zPages are new in issue 17: this file does not build on main.
 */
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "support.h"

#include "census/exporters/zpages.h"
#include "census/trace.h"

#define THREADS 4
#define SPANS_PER_THREAD 15000

static _Atomic uint64_t ended;
static _Atomic int round_number;

static void *flood(void *arg) {
  long id = (long)arg;
  census_sampler *off = census_sampler_always_off();
  census_span_options on_opts = CENSUS_SPAN_OPTIONS_INIT, off_opts = CENSUS_SPAN_OPTIONS_INIT;
  on_opts.root = off_opts.root = true;
  off_opts.sampler = off; /* refused by the sampler: recorded for the zPages only */
  char value[301];
  memset(value, 'v', 300);
  value[300] = '\0';
  int r = atomic_load(&round_number);
  for (int i = 0; i < SPANS_PER_THREAD; i++) {
    char name[64];
    snprintf(name, sizeof name, "flood %d/%ld/%d", r, id, i); /* unique: overflows the table */
    census_span s =
        census_span_start(i % 5 == 0 ? "steady name" : name, i % 2 ? &off_opts : &on_opts);
    if (i % 50 == 0) { /* some big ones: cut to the sample budget */
      for (int a = 0; a < 64; a++) {
        char key[16];
        snprintf(key, sizeof key, "attr%d", a);
        census_span_set_attribute_string(s, key, value);
      }
      for (int e = 0; e < 40; e++) {
        census_span_add_event_with_attribute(s, "event", "k", value);
      }
      census_trace_context ctx;
      census_span_context(s, &ctx);
      census_span_add_link(s, &ctx);
    }
    if (i % 7 == 0) {
      census_span_set_status(s, CENSUS_SPAN_STATUS_ERROR, value);
    }
    census_span_end(s);
    atomic_fetch_add(&ended, 1);
  }
  census_sampler_free(off);
  return NULL;
}

static size_t heap_in_use(void) {
  malloc_trim(0);
  struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

/* Runs one flood, checking the accounting against the bound while it runs. */
static void flood_round(census_zpages_exporter *z, uint64_t *max_held) {
  pthread_t threads[THREADS];
  uint64_t target = atomic_load(&ended) + THREADS * SPANS_PER_THREAD; /* before they start */
  for (long i = 0; i < THREADS; i++) {
    assert_int_equal(pthread_create(&threads[i], NULL, flood, (void *)i), 0);
  }
  census_zpages_stats st;
  while (atomic_load(&ended) < target) {
    census_zpages_exporter_stats(z, &st);
    assert_true(st.bytes_held <= st.bytes_bound);
    *max_held = st.bytes_held > *max_held ? st.bytes_held : *max_held;
    sleep_ms(1);
  }
  for (int i = 0; i < THREADS; i++) {
    pthread_join(threads[i], NULL);
  }
  atomic_fetch_add(&round_number, 1);
}

static void test_flood_stays_bounded(void **state) {
  (void)state;
  census_zpages_options o = CENSUS_ZPAGES_OPTIONS_INIT;
  o.any_port = 1;
  o.record_unsampled = 1;
  o.max_span_names = 16;
  o.samples_per_bucket = 2;
  o.running_samples = 4;
  o.sample_max_bytes = 2048;
  o.sample_interval_ms = 1; /* sample as often as possible: the worst case for memory */
  o.history_points = 8;
  o.max_history_views = 8;
  census_zpages_exporter *z;
  /* Spans census keeps for export are not the zPages': a span exporter-free process queues
   * nothing, so only the zPages hold span data. */
  size_t before = heap_in_use();
  assert_int_equal(census_zpages_exporter_start(&o, &z), CENSUS_OK);
  uint64_t max_held = 0;
  flood_round(z, &max_held);
  census_zpages_stats st;
  assert_int_equal(census_zpages_exporter_stats(z, &st), CENSUS_OK);
  assert_int_equal(st.spans_ended, THREADS * SPANS_PER_THREAD);
  assert_int_equal(st.spans_started, THREADS * SPANS_PER_THREAD);
  assert_int_equal(st.span_names, 16);
  /* Every thread's first span is "steady name" (i = 0), so it holds one of the 16 entries and
   * the first 15 unique names the others: every other unique-name span is counted under
   * "(other names)", exactly. */
  uint64_t steady = THREADS * ((SPANS_PER_THREAD + 4) / 5); /* i % 5 == 0 */
  assert_int_equal(st.spans_other_names, THREADS * SPANS_PER_THREAD - steady - (16 - 1));
  assert_true(st.samples_held <= 17 * 10 * 2);
  assert_true(st.samples_cut > 0);
  assert_true(st.bytes_held <= st.bytes_bound);
  /* The documented bound (docs/exporters/zpages.md): (names + 1) x (entry + 10 rings x samples x
   * sample bytes) + one ring's samples + the history. The entry part is at most 4 KiB here. */
  uint64_t samples_part = 17ULL * 10 * 2 * 2048 + 2 * 2048;
  assert_true(st.bytes_bound >= samples_part);
  assert_true(st.bytes_bound <= samples_part + 17 * 4096 + 8 * (8 * 16 + 300));
  size_t after_first = heap_in_use();
  /* census itself (span pool chunks, per-thread free lists, the four threads' rings) takes a
   * fixed amount on top: 4 MiB of slack. */
  assert_true(after_first <= before + st.bytes_bound + 4 * 1024 * 1024);

  flood_round(z, &max_held);
  size_t after_second = heap_in_use();
  assert_int_equal(census_zpages_exporter_stats(z, &st), CENSUS_OK);
  assert_int_equal(st.spans_ended, 2 * THREADS * SPANS_PER_THREAD);
  assert_true(after_second <= after_first + 1024 * 1024);
  print_message("zpages flood: %llu spans, bytes held at most %llu of bound %llu; heap +%zu KiB "
                "first flood, %+lld KiB second\n",
                (unsigned long long)st.spans_ended, (unsigned long long)max_held,
                (unsigned long long)st.bytes_bound, (after_first - before) / 1024,
                ((long long)after_second - (long long)after_first) / 1024);
  assert_int_equal(census_zpages_exporter_stop(z, 5000), CENSUS_OK);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_flood_stays_bounded),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
