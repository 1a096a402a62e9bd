/* census/exporters/google_cloud_monitoring.h - a push exporter that writes every registered view
 * to Google Cloud Monitoring (formerly Stackdriver) as time series, with the metric names and
 * labels that OpenCensus's Stackdriver exporters used, so dashboards and alerts keep working.
 *
 * Mapping (docs/exporters/google-cloud-monitoring.md): view "v" becomes metric type
 * "<metric_prefix>v" (default "custom.googleapis.com/opencensus/v"), display name
 * "<display_name_prefix>v"; the view's columns become STRING metric labels, plus the
 * "opencensus_task" label ("c-<pid>@<hostname>") unless disabled. Count and Sum views are
 * CUMULATIVE INT64 (Sum of a double measure: DOUBLE), LastValue views and Sums of signed
 * measures (up-down counters) GAUGE, Distribution views
 * CUMULATIVE DISTRIBUTION with explicit buckets (census's bounds as they are, a 0 bound prepended
 * when the first bound is > 0; Cloud Monitoring takes at most 200 buckets, so a view whose bounds
 * make more keeps 199 of them, evenly spread by index and including the first and last, and
 * merges the counts of adjacent buckets accordingly, reported once per view with CENSUS_ELIMIT).
 * Note: census buckets are upper-inclusive, Cloud Monitoring's lower-inclusive; a value exactly on
 * a bound is counted in census's lower bucket.
 *
 * Delivery: projects.timeSeries.create (REST, JSON) over libcurl from a sender thread, retried
 * with backoff on 429/500/502/503/504 and transport errors. The API's rules hold by
 * construction: at most 200 series per request, one point per series per request, a series'
 * points at least min_write_interval_ms apart (a series written more recently is skipped in that
 * round; its cumulative value goes out in a later one), fixed start times for cumulative series,
 * and metric descriptors created (projects.metricDescriptors.create) before their first point.
 *
 * Link with census_google_cloud (installed as libcensus_google_cloud, pkg-config
 * census_google_cloud; CMake: find_package(census COMPONENTS google_cloud), targets
 * census::census_google_cloud / census::census_google_cloud_static), which needs libcurl, zlib,
 * OpenSSL's libcrypto and jansson; the core library does not.
 */
#ifndef CENSUS_EXPORTERS_GOOGLE_CLOUD_MONITORING_H
#define CENSUS_EXPORTERS_GOOGLE_CLOUD_MONITORING_H

#include <stddef.h>
#include <stdint.h>

#include "census/exporter.h"
#include "census/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CENSUS_GOOGLE_MONITORING_DEFAULT_ENDPOINT "https://monitoring.googleapis.com"
#define CENSUS_GOOGLE_MONITORING_DEFAULT_PREFIX "custom.googleapis.com/opencensus/"
#define CENSUS_GOOGLE_MONITORING_DEFAULT_DISPLAY_PREFIX "OpenCensus/"
/* The default minimum time between two points of one series. Cloud Monitoring accepts one point
 * per series every 5 s (older documentation: 10 s); 10 s is safe with both. */
#define CENSUS_GOOGLE_MONITORING_DEFAULT_MIN_INTERVAL_MS 10000
#define CENSUS_GOOGLE_MONITORING_MAX_SERIES_PER_REQUEST 200

/* Options. Initialise with CENSUS_GOOGLE_MONITORING_OPTIONS_INIT, then set what differs from
 * the defaults; `size` lets the struct grow (the library reads only the fields a program was
 * compiled with). Strings and arrays are copied by census_google_monitoring_exporter_start(). */
typedef struct census_google_monitoring_options {
  size_t size; /* sizeof(census_google_monitoring_options), set by the INIT macro */
  /* Project to write to. NULL: the credentials key file's project_id, else the
   * GOOGLE_CLOUD_PROJECT environment variable, else the metadata server's (asked only when it
   * also gives the tokens): the order of both Google exporters. */
  const char *project_id;
  /* Credentials, first that is set: access_token (used as-is, never refreshed), a
   * service-account JSON key file (credentials_file, else GOOGLE_APPLICATION_CREDENTIALS), else
   * the GCE/GKE metadata server. */
  const char *access_token;
  const char *credentials_file;
  /* Endpoints: NULL for Google's. monitoring_endpoint is a base URL ("https://host[:port]");
   * token_endpoint a full URL; metadata_host "host[:port]" (NULL: GCE_METADATA_HOST, else
   * metadata.google.internal). */
  const char *monitoring_endpoint;
  const char *token_endpoint;
  const char *metadata_host;
  /* Naming. NULL: CENSUS_GOOGLE_MONITORING_DEFAULT_PREFIX / _DISPLAY_PREFIX. */
  const char *metric_prefix;
  const char *display_name_prefix;
  /* The "opencensus_task" metric label: on unless no_task_label is non-zero; its value is
   * task_label_value, or NULL for "c-<pid>@<hostname>". */
  int no_task_label;
  const char *task_label_value;
  /* Monitored resource. NULL type: detected (k8s_container on GKE, gce_instance on Compute
   * Engine, else global); given: used with these labels (project_id is added if missing). */
  const char *resource_type;
  const census_kv *resource_labels; /* {key, value}; value NULL means "" */
  size_t resource_label_count;
  int64_t timeout_ms;     /* per HTTP attempt; 0: 10000 */
  int64_t max_elapsed_ms; /* retry budget per request; 0: 60000 */
  /* Minimum time between two points of one series; 0: the default (10 s). Values below 5000
   * break Cloud Monitoring's limit and are meant for test servers. */
  int64_t min_write_interval_ms;
  const char *ca_file; /* PEM CA bundle for https; NULL: system default */
  /* Non-zero: timeSeries.create bodies are gzip-compressed (Content-Encoding: gzip), which
   * Google's APIs accept; metricDescriptors.create bodies (small, once per view) are not. */
  int gzip;
  /* Persistent spool (docs/exporters/http-delivery.md, "Spool"): a directory (must exist) where
   * timeSeries.create requests that the exit or shutdown deadline, or a full queue, would drop are
   * kept for the next start of the same service, which delivers them first. NULL: CENSUS_SPOOL_DIR,
   * else no spool. A directory that cannot be used makes the start fail with CENSUS_ECONFIG. */
  const char *spool_dir;
  uint64_t spool_max_bytes; /* bound; 0: CENSUS_SPOOL_MAX_BYTES, else 64 MiB */
} census_google_monitoring_options;

#define CENSUS_GOOGLE_MONITORING_OPTIONS_INIT                                                      \
  { .size = sizeof(census_google_monitoring_options) }

/* Counters since start; each is exact. "points" = series written (one point each). */
typedef struct census_google_monitoring_stats {
  uint64_t exports;          /* export rounds (census export worker, flushes) */
  uint64_t points_submitted; /* points handed to the sender */
  uint64_t points_delivered; /* accepted by the API */
  uint64_t points_rejected;  /* refused by the API in a partly successful request */
  uint64_t points_dropped;   /* lost: permanent errors, retry budget, queue full, stop, exit
                                deadline */
  uint64_t points_deferred;  /* skipped in a round: written less than the interval ago,
                                or the view's descriptor not created yet (sent later) */
  uint64_t requests_delivered;
  uint64_t attempts; /* timeSeries.create attempts, including retries */
  uint64_t retries;
  uint64_t descriptors_created; /* created or found existing (409) */
  uint64_t descriptor_failures; /* metricDescriptors.create attempts that failed */
  uint64_t requests_spooled;    /* kept in the spool for the next start instead of dropped */
  uint64_t points_spooled;      /* points behind requests_spooled */
  uint64_t requests_from_spool; /* spooled earlier, delivered now (in requests_delivered too) */
  uint64_t points_from_spool;   /* points behind requests_from_spool */
} census_google_monitoring_stats;

/* A running exporter. Thread-safety: census_google_monitoring_exporter_stats() is
 * thread-safe; census_google_monitoring_exporter_stop() must be the last call on the handle. */
typedef struct census_google_monitoring_exporter census_google_monitoring_exporter;

/* Validates the options, sets up credentials (reads the key file now), resolves the project and
 * the monitored resource (may ask the metadata server, up to 1 s per question), starts the sender
 * thread and registers a census stats exporter, whose flush callback flushes the sender. No
 * token is fetched and nothing is sent until the first export. On success *exporter receives
 * the handle. Errors: CENSUS_EINVAL (NULL exporter; options not initialised with
 * CENSUS_GOOGLE_MONITORING_OPTIONS_INIT, reported), CENSUS_ECONFIG (bad key file, no project id,
 * bad option; reported through diagnostics), CENSUS_ENOMEM, CENSUS_ESYSTEM, CENSUS_ESHUTDOWN.
 * Thread-safe. */
CENSUS_EXPORT census_status census_google_monitoring_exporter_start(
    const census_google_monitoring_options *options, census_google_monitoring_exporter **exporter);

/* Copies the counters into *stats. Valid from start until
 * census_google_monitoring_exporter_stop(), including after census_shutdown() stopped the
 * exporter: the counters are then final (what the shutdown deadline dropped included).
 * points_dropped also counts the points the exporter drops itself (a view whose descriptor was
 * permanently refused, out of memory), which it records in census/exporter_dropped_items
 * {exporter="google monitoring", reason="no_descriptor" / "out_of_memory"} next to the sender's
 * drops. In a fork() child the counters are the child's own (they start at zero). CENSUS_EINVAL
 * for NULL arguments. Thread-safe. */
CENSUS_EXPORT census_status census_google_monitoring_exporter_stats(
    census_google_monitoring_exporter *exporter, census_google_monitoring_stats *stats);

/* Stops the exporter and frees the handle: unregisters it from census (which makes a final
 * export of what it still holds), waits up to timeout_ms for the queued requests to be delivered,
 * then drops (counting and reporting) or spools what is left. If census_shutdown() already
 * stopped the exporter (the same work within its deadline, keeping the handle valid), this only
 * frees the handle. Returns the outcome of that final delivery, whichever ran it (the same rule
 * for every push exporter): CENSUS_OK when nothing was dropped or rejected, CENSUS_ETIMEDOUT when
 * the deadline cut it short, CENSUS_EEXPORT when items were dropped or rejected during the
 * exporter's life (its counters say which); CENSUS_ETIMEDOUT wins;
 * CENSUS_EEXPORT also when census's final export to it could not be made (out of memory: what
 * census held stays with census, for the other exporters and the next collection);
 * CENSUS_EINVAL for NULL. If
 * census cannot take the exporter out within timeout_ms (an export holds its collection lock),
 * the exporter stops exporting, CENSUS_ETIMEDOUT is returned, and its small handle stays
 * allocated until census_shutdown() releases it. Call it exactly once per handle: a second call is
 * undefined, like free() twice. Blocking (bounded by timeout_ms); not from an exporter callback;
 * not concurrently with census_shutdown() or another call on the handle (not thread-safe with
 * them). */
CENSUS_EXPORT census_status census_google_monitoring_exporter_stop(
    census_google_monitoring_exporter *exporter, int64_t timeout_ms);

#ifdef __cplusplus
}
#endif
#endif
