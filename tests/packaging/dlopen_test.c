/* dlopen_test.c - libcensus.so loaded the way Python loads an extension's library: with dlopen(),
 * into a process that does not link it and already runs a second thread.
 *
 * Proves: the library loads with dlopen() although its hot thread-locals use the initial-exec
 * TLS model (src/core/thread_local.h: they take static TLS space, which a library loaded later
 * must find in glibc's surplus), and those thread-locals work in every kind of thread: the main
 * thread, a thread that existed before the dlopen() (its TLS block was laid out without census)
 * and one started after. Each records 1000 counts directly and 1000 through a bound measure, and
 * starts and ends a sampled span (which uses the span, id and current-span thread-locals); the
 * view then holds exactly 6000. Usage: dlopen_test PATH_TO_LIBCENSUS_SO
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <census/census.h>

#define API(name) static __typeof__(name) *p_##name
API(census_measure_int64_new);
API(census_aggregation_count_new);
API(census_aggregation_free);
API(census_view_new);
API(census_view_register);
API(census_view_free);
API(census_record_int64);
API(census_measure_bind);
API(census_bound_record_int64);
API(census_view_data_get);
API(census_view_data_row_count);
API(census_view_data_row_point);
API(census_view_data_free);
API(census_span_start);
API(census_span_end);
API(census_span_is_recording);
API(census_sampler_always_on);

static const census_measure *measure;
static census_bound_measure *bound;

static void fail(const char *what) {
  fprintf(stderr, "dlopen_test: %s\n", what);
  exit(1);
}

/* 1000 direct and 1000 bound counts and one sampled span; "ok" or the failure. */
static void *record(void *arg) {
  (void)arg;
  for (int i = 0; i < 1000; i++) {
    if (p_census_record_int64(measure, 1, NULL) != CENSUS_OK ||
        p_census_bound_record_int64(bound, 1) != CENSUS_OK) {
      return "a record failed";
    }
  }
  census_span_options o = CENSUS_SPAN_OPTIONS_INIT;
  o.root = true;
  o.sampler = p_census_sampler_always_on();
  census_span span = p_census_span_start("dlopen", &o);
  bool recording = p_census_span_is_recording(span);
  p_census_span_end(span);
  return recording ? "ok" : "a sampled span does not record";
}

static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static bool loaded;

/* Started before the dlopen(); records once the library is loaded. */
static void *early_thread(void *arg) {
  pthread_mutex_lock(&gate_mu);
  while (!loaded) {
    pthread_cond_wait(&gate_cv, &gate_mu);
  }
  pthread_mutex_unlock(&gate_mu);
  return record(arg);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fail("usage: dlopen_test PATH_TO_LIBCENSUS_SO");
  }
  pthread_t early, late;
  if (pthread_create(&early, NULL, early_thread, NULL) != 0) {
    fail("pthread_create");
  }
  void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    fprintf(stderr, "dlopen_test: dlopen: %s\n", dlerror());
    return 1;
  }
#define LOAD(name)                                                                                 \
  do {                                                                                             \
    *(void **)&p_##name = dlsym(lib, #name);                                                       \
    if (!p_##name) {                                                                               \
      fail("dlsym " #name);                                                                        \
    }                                                                                              \
  } while (0)
  LOAD(census_measure_int64_new);
  LOAD(census_aggregation_count_new);
  LOAD(census_aggregation_free);
  LOAD(census_view_new);
  LOAD(census_view_register);
  LOAD(census_view_free);
  LOAD(census_record_int64);
  LOAD(census_measure_bind);
  LOAD(census_bound_record_int64);
  LOAD(census_view_data_get);
  LOAD(census_view_data_row_count);
  LOAD(census_view_data_row_point);
  LOAD(census_view_data_free);
  LOAD(census_span_start);
  LOAD(census_span_end);
  LOAD(census_span_is_recording);
  LOAD(census_sampler_always_on);

  census_status st;
  measure = p_census_measure_int64_new("dlopen/count", "", "1", &st);
  census_aggregation *count = p_census_aggregation_count_new();
  census_view *view =
      measure && count ? p_census_view_new("dlopen/count", "", measure, NULL, 0, count, &st) : NULL;
  if (!view || p_census_view_register(view) != CENSUS_OK) {
    fail("view");
  }
  p_census_view_free(view);
  p_census_aggregation_free(count);
  bound = p_census_measure_bind(measure, NULL, &st);
  if (!bound) {
    fail("bind");
  }

  pthread_mutex_lock(&gate_mu);
  loaded = true;
  pthread_cond_broadcast(&gate_cv);
  pthread_mutex_unlock(&gate_mu);
  if (pthread_create(&late, NULL, record, NULL) != 0) {
    fail("pthread_create");
  }
  const char *results[3];
  results[0] = record(NULL);
  void *r;
  pthread_join(early, &r);
  results[1] = r;
  pthread_join(late, &r);
  results[2] = r;
  static const char *who[3] = {"main thread", "thread started before dlopen",
                               "thread started after dlopen"};
  for (int i = 0; i < 3; i++) {
    if (results[i][0] != 'o' || results[i][1] != 'k') {
      fprintf(stderr, "dlopen_test: %s: %s\n", who[i], results[i]);
      return 1;
    }
  }
  census_view_data *d = p_census_view_data_get("dlopen/count", &st);
  census_point p;
  if (!d || p_census_view_data_row_count(d) != 1 ||
      p_census_view_data_row_point(d, 0, &p) != CENSUS_OK) {
    fail("view data");
  }
  if (p.count != 6000) {
    fprintf(stderr, "dlopen_test: count %lld, want 6000\n", (long long)p.count);
    return 1;
  }
  p_census_view_data_free(d);
  printf("dlopen_test: ok (6000 counts, 3 sampled spans, from 3 threads)\n");
  return 0;
}
