/* resource.h - the resource every exporter describes itself with: service.name and the process
 * and host that produce the telemetry.
 *
 * Built once per exporter, in increasing precedence: detected attributes (telemetry.sdk.name
 * "census", telemetry.sdk.language "c", telemetry.sdk.version, host.name, process.pid,
 * process.executable.name, process.command_args is NOT collected (may hold secrets),
 * service.name "unknown_service:<executable>"), then OTEL_RESOURCE_ATTRIBUTES (whole variable
 * ignored and reported if malformed), then the attributes given through the API, then
 * OTEL_SERVICE_NAME for service.name (the OpenTelemetry rule: it wins over
 * OTEL_RESOURCE_ATTRIBUTES), then a service name given through the API. A later source replaces
 * an earlier attribute with the same key; the order of first appearance is kept. Immutable once
 * built: safe to read from any thread.
 *
 * Fork: process.pid is the one detected attribute that differs in a forked child, so the detected
 * one is not a fixed value: census__resource_int() reads it as getpid() at encoding time, and a
 * child's requests carry the child's pid without any fork handler. (A process.pid given through
 * OTEL_RESOURCE_ATTRIBUTES or the API is the caller's string and is kept as is.)
 */
#ifndef CENSUS_COMMON_RESOURCE_H
#define CENSUS_COMMON_RESOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "census/exporter.h"
#include "census/status.h"

typedef struct census_resource_attribute {
  char *key;                  /* owned */
  census_attribute_type type; /* CENSUS_ATTRIBUTE_STRING or CENSUS_ATTRIBUTE_INT64 */
  char *string_value;         /* owned, for STRING */
  int64_t int_value;          /* for INT64: the value when built (use census__resource_int()) */
  bool current_pid;           /* the detected process.pid: the calling process's pid */
} census_resource_attribute;

typedef struct census_resource {
  census_resource_attribute *attributes; /* owned */
  size_t count;
} census_resource;

/* A user-given string attribute (both strings copied). */
typedef struct census_resource_kv {
  const char *key;
  const char *value;
} census_resource_kv;

/* Builds the resource. `service_name` may be NULL; `attributes` may be NULL when count is 0.
 * NULL on ENOMEM (with *status set if not NULL). */
census_resource *census__resource_build(const char *service_name,
                                        const census_resource_kv *attributes, size_t count,
                                        census_status *status);

/* The value of an INT64 attribute now: getpid() for the detected process.pid (so that a forked
 * child reports its own), int_value otherwise. */
int64_t census__resource_int(const census_resource_attribute *attribute);

/* The string value of `key`, or NULL. */
const char *census__resource_get(const census_resource *resource, const char *key);

void census__resource_free(census_resource *resource);

#endif
