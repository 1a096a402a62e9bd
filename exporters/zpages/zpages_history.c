/* zpages_history.c - the bounded history behind statsz's sparklines: every interval, a thread
 * takes one snapshot of every view (census_view_data_get_all(), which never blocks recording
 * threads) and appends each view's total to that view's ring of `points` values.
 *
 * Bounds: at most max_views views have a ring (later views have none and draw no sparkline),
 * each ring is `points` (value, time) pairs allocated once, and a view's name is cut to 256
 * bytes: zp_history_bound() is what the history can ever hold. The rings are under one mutex,
 * held by the thread for an append and by a page for a copy (never across a census call).
 * The thread waits on a condition variable, so stopping it takes at most one snapshot's time.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "census/census.h"
#include "zpages_internal.h"
#include "alloc.h"

#define NAME_MAX_BYTES 256

typedef struct zp_series {
  char name[NAME_MAX_BYTES + 1];
  double *values;
  int64_t *times;
  unsigned next, count;
} zp_series;

struct zp_history {
  int64_t interval_ms;
  unsigned points, max_views;
  pthread_mutex_t mu;
  pthread_cond_t wake;
  bool stop, started;
  pthread_t thread;
  zp_series *series;
  unsigned series_count;
  _Atomic uint64_t bytes;
};

double zp_view_total(const census_view_data *view) {
  bool is_int = census_measure_value_type(census_view_data_measure(view)) == CENSUS_MEASURE_INT64;
  double total = 0;
  for (size_t r = 0; r < census_view_data_row_count(view); r++) {
    census_point p;
    if (census_view_data_row_point(view, r, &p) != CENSUS_OK) {
      continue;
    }
    switch (census_view_data_aggregation(view)) {
    case CENSUS_AGGREGATION_COUNT:
      total += (double)p.count;
      break;
    case CENSUS_AGGREGATION_DISTRIBUTION:
    case CENSUS_AGGREGATION_EXPONENTIAL:
      total += (double)p.count;
      break;
    case CENSUS_AGGREGATION_SUM:
    case CENSUS_AGGREGATION_LAST_VALUE:
      total += is_int ? (double)p.int_value : p.double_value;
      break;
    }
  }
  return total;
}

uint64_t zp_history_bound(unsigned points, unsigned max_views) {
  return (uint64_t)max_views * (sizeof(zp_series) + points * (sizeof(double) + sizeof(int64_t)));
}

/* The ring of view `name`, made if there is room; NULL otherwise. Caller holds mu. */
static zp_series *series_for(zp_history *h, const char *name) {
  for (unsigned i = 0; i < h->series_count; i++) {
    if (strncmp(h->series[i].name, name, NAME_MAX_BYTES) == 0) {
      return &h->series[i];
    }
  }
  if (h->series_count == h->max_views) {
    return NULL;
  }
  zp_series *s = &h->series[h->series_count];
  s->values = census__calloc(h->points, sizeof *s->values);
  s->times = census__calloc(h->points, sizeof *s->times);
  if (!s->values || !s->times) {
    census__free(s->values);
    census__free(s->times);
    s->values = NULL;
    s->times = NULL;
    return NULL;
  }
  snprintf(s->name, sizeof s->name, "%s", name);
  h->series_count++;
  atomic_fetch_add(&h->bytes, sizeof(zp_series) + h->points * (sizeof(double) + sizeof(int64_t)));
  return s;
}

/* One point per view, now. */
static void sample_all(zp_history *h) {
  census_view_data **views = NULL;
  size_t count = 0;
  if (census_view_data_get_all(&views, &count) != CENSUS_OK) {
    return;
  }
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  int64_t now_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
  pthread_mutex_lock(&h->mu);
  for (size_t i = 0; i < count; i++) {
    zp_series *s = series_for(h, census_view_data_name(views[i]));
    if (!s) {
      continue;
    }
    s->values[s->next] = zp_view_total(views[i]);
    s->times[s->next] = now_ns;
    s->next = (s->next + 1) % h->points;
    if (s->count < h->points) {
      s->count++;
    }
  }
  pthread_mutex_unlock(&h->mu);
  census_view_data_free_all(views, count);
}

static void *history_main(void *arg) {
  zp_history *h = arg;
  pthread_mutex_lock(&h->mu);
  while (!h->stop) {
    pthread_mutex_unlock(&h->mu);
    sample_all(h);
    pthread_mutex_lock(&h->mu);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += h->interval_ms / 1000;
    until.tv_nsec += (h->interval_ms % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000) {
      until.tv_sec++;
      until.tv_nsec -= 1000000000;
    }
    while (!h->stop && pthread_cond_timedwait(&h->wake, &h->mu, &until) != ETIMEDOUT) {
    }
  }
  pthread_mutex_unlock(&h->mu);
  return NULL;
}

zp_history *zp_history_start(int64_t interval_ms, unsigned points, unsigned max_views,
                             census_status *status) {
  zp_history *h = census__calloc(1, sizeof *h);
  if (h) {
    h->series = census__calloc(max_views ? max_views : 1, sizeof *h->series);
  }
  if (!h || !h->series) {
    census__free(h);
    *status = CENSUS_ENOMEM;
    return NULL;
  }
  h->interval_ms = interval_ms;
  h->points = points;
  h->max_views = max_views;
  pthread_mutex_init(&h->mu, NULL);
  pthread_cond_init(&h->wake, NULL);
  /* The thread blocks every signal: the application's handlers never run on it. */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  h->started = pthread_create(&h->thread, NULL, history_main, h) == 0;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (!h->started) {
    zp_history_free(h);
    *status = CENSUS_ESYSTEM;
    return NULL;
  }
  *status = CENSUS_OK;
  return h;
}

void zp_history_stop(zp_history *h, bool join) {
  if (!h) {
    return;
  }
  pthread_mutex_lock(&h->mu);
  h->stop = true;
  pthread_cond_broadcast(&h->wake);
  pthread_mutex_unlock(&h->mu);
  if (join && h->started) {
    pthread_join(h->thread, NULL);
    h->started = false;
  }
}

void zp_history_free(zp_history *h) {
  if (!h) {
    return;
  }
  zp_history_stop(h, true);
  for (unsigned i = 0; i < h->series_count; i++) {
    census__free(h->series[i].values);
    census__free(h->series[i].times);
  }
  census__free(h->series);
  pthread_mutex_destroy(&h->mu);
  pthread_cond_destroy(&h->wake);
  census__free(h);
}

size_t zp_history_points(zp_history *h, const char *name, double **values, int64_t **times) {
  *values = NULL;
  *times = NULL;
  size_t n = 0;
  pthread_mutex_lock(&h->mu);
  for (unsigned i = 0; i < h->series_count; i++) {
    zp_series *s = &h->series[i];
    if (strncmp(s->name, name, NAME_MAX_BYTES) != 0 || s->count == 0) {
      continue;
    }
    *values = census__malloc(s->count * sizeof **values);
    *times = census__malloc(s->count * sizeof **times);
    if (*values && *times) {
      unsigned first = (s->next + h->points - s->count) % h->points;
      for (unsigned k = 0; k < s->count; k++) {
        (*values)[k] = s->values[(first + k) % h->points];
        (*times)[k] = s->times[(first + k) % h->points];
      }
      n = s->count;
    }
    break;
  }
  pthread_mutex_unlock(&h->mu);
  return n;
}

uint64_t zp_history_bytes(zp_history *h) { return atomic_load(&h->bytes); }

int64_t zp_history_interval_ms(zp_history *h) { return h->interval_ms; }
