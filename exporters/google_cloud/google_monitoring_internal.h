/* google_monitoring_internal.h - the Cloud Monitoring exporter's state, shared by its two files:
 * google_monitoring.c (options, start, stats, stop, descriptor creation, response
 * classification, monitored-resource detection) and google_monitoring_encode.c (view snapshots
 * as projects.timeSeries.create and metricDescriptors.create bodies, with the per-series write
 * rules). Internal; exposed to tests/unit/test_google_monitoring.c.
 *
 * Threads: the encoder state (descriptor cache, per-series last end times, task label) is used on
 * census's export worker only, one call at a time (the pre-round hook, then the encoder); the
 * classifier state on the sender's thread only; `stats` under `lock`. The configuration is
 * immutable once started.
 */
#ifndef CENSUS_GOOGLE_MONITORING_INTERNAL_H
#define CENSUS_GOOGLE_MONITORING_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "census/exporters/google_cloud_monitoring.h"
#include "census/stats.h"
#include "google_auth.h"
#include "push_exporter.h"

/* The sender's name, also the "exporter" of the points the exporter drops itself in
 * census/exporter_dropped_items (the sender records its own drops under the same name). */
#define CENSUS_GM_NAME "google monitoring"
/* Cloud Monitoring refuses a distribution with more than 200 buckets, i.e. 199 bounds. */
#define CENSUS_GM_MAX_BOUNDS 199
#define CENSUS_GM_MAX_LABEL_KEY 100

typedef enum census_gm_descriptor_state {
  CENSUS_GM_DESCRIPTOR_PENDING, /* not created yet (or a retryable failure): points wait */
  CENSUS_GM_DESCRIPTOR_CREATED, /* created, or found existing (409) */
  CENSUS_GM_DESCRIPTOR_FAILED,  /* refused for good: the view's points are dropped */
} census_gm_descriptor_state;

typedef struct census_gm_descriptor {
  char *type; /* the metric type: prefix + view name */
  census_gm_descriptor_state state;
  bool merge_reported; /* the bucket merge (more than CENSUS_GM_MAX_BOUNDS bounds) was reported */
} census_gm_descriptor;

typedef struct census_gm_series {
  struct census_gm_series *next;
  int64_t last_end_ns; /* the end time of its last submitted point */
  char key[];          /* NUL-terminated */
} census_gm_series;

struct census_google_monitoring_exporter {
  atomic_int refs;            /* the caller's and the push exporter's (until its free_user) */
  census_push_exporter *push; /* the skeleton: registration, sender, counters */
  /* Configuration: immutable once started. */
  census_google_auth *auth;
  char *project_id;
  char *descriptor_url;
  char *metric_prefix;
  char *display_prefix;
  bool task_label;
  char *task_value_given;
  char *resource_type;
  char **resource_keys;
  char **resource_values;
  size_t resource_count;
  int64_t timeout_ms;
  int64_t min_interval_ns;
  char *ca_file;
  /* Encoder state: export worker only. */
  char task_value[320];
  pid_t task_pid;
  census_gm_descriptor *descriptors;
  size_t descriptor_count, descriptor_cap;
  census_gm_series **buckets;
  size_t bucket_count, series_count;
  /* Classifier state: sender thread only. */
  bool retried_401;
  /* Counters: exports, points submitted and deferred, descriptor outcomes; under `lock`. The
   * delivery counters (delivered, rejected, dropped, ...) are the sender's. */
  pthread_mutex_t lock;
  census_google_monitoring_stats stats;
  pid_t stats_pid; /* the process `stats` belong to (a fork child starts from zero) */
};

typedef struct census_google_monitoring_exporter census_gm;

/* Adds n to a counter of e->stats, under the lock (and after a fork, from zero). */
void census__gm_count(census_gm *e, uint64_t *field, uint64_t n);

/* The opencensus_task label of this process, "c-<pid>@<host>" unless one was given, made again
 * in a fork child, whose series (with its own label) are new ones: the end times the parent wrote
 * are forgotten, so the child's first points are not held back by the parent's write interval.
 * Export worker only. */
void census__gm_refresh_task_value(census_gm *e);

/* The metric type of view `v` (prefix + name, malloc'd), or NULL on ENOMEM. */
char *census__gm_metric_type(const census_gm *e, const census_view_data *v);

/* The descriptor entry of `type`, added PENDING if new; NULL on ENOMEM. */
census_gm_descriptor *census__gm_descriptor_find(census_gm *e, const char *type);

/* The MetricDescriptor body of metricDescriptors.create for view `v` (malloc'd JSON), or NULL. */
char *census__gm_descriptor_body(const census_gm *e, const census_view_data *v, const char *type);

/* Encodes one round (the push exporter's encode_views): every row of every view whose descriptor
 * exists becomes one TimeSeries of one point, unless the series was written less than the minimum
 * interval ago (deferred); requests of at most 200 series are submitted; rows of a view whose
 * descriptor is pending are deferred, of one refused for good dropped (no_descriptor). Counts
 * submitted and deferred points. Returns CENSUS_OK or CENSUS_ENOMEM (what was lost counted). */
census_status census__gm_encode_round(void *user, const census_view_data *const *views,
                                      size_t count, census_push_round *round);

/* Frees the descriptor cache and the series table. */
void census__gm_encoder_free(census_gm *e);

/* Cloud Monitoring label keys: letters, digits and '_' only, not starting with a digit or '_'
 * (other characters become '_', "key_" / "key" is prepended), at most 100 bytes. */
void census__gm_sanitize_key(const char *in, char *out, size_t size);

#endif
