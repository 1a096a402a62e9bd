/* resource.c - building the resource an exporter describes itself with.
 *
 * The sources are applied in increasing precedence into one growable array, each through
 * set_string()/set_int(), which replace the value of an existing key in place (so the order of
 * first appearance is kept) or append a new one. The first allocation failure is remembered and
 * the build then fails as a whole with CENSUS_ENOMEM; a half-built resource is never returned.
 * Once returned the resource is never modified, so any thread may read it; the detected
 * process.pid is marked `current_pid` and read through census__resource_int(), so that a forked
 * child reports its own pid (resource.h).
 */
#include "resource.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "census/census.h"
#include "env_config.h"
#include "alloc.h"

typedef struct builder {
  census_resource *resource;
  size_t cap;
  bool failed;
} builder;

/* The attribute with `key`, appended (with a copy of the key) when absent; NULL on ENOMEM. */
static census_resource_attribute *slot(builder *b, const char *key) {
  census_resource *r = b->resource;
  for (size_t i = 0; i < r->count; i++) {
    if (strcmp(r->attributes[i].key, key) == 0) {
      return &r->attributes[i];
    }
  }
  if (r->count == b->cap) {
    size_t cap = b->cap == 0 ? 16 : b->cap * 2;
    census_resource_attribute *a = census__realloc(r->attributes, cap * sizeof *a);
    if (a == NULL) {
      return NULL;
    }
    r->attributes = a;
    b->cap = cap;
  }
  char *k = census__strdup(key);
  if (k == NULL) {
    return NULL;
  }
  census_resource_attribute *a = &r->attributes[r->count++];
  memset(a, 0, sizeof *a);
  a->key = k;
  a->type = CENSUS_ATTRIBUTE_STRING;
  return a;
}

static void set_string(builder *b, const char *key, const char *value) {
  if (b->failed || key == NULL || key[0] == '\0' || value == NULL) {
    return;
  }
  char *v = census__strdup(value);
  census_resource_attribute *a = v != NULL ? slot(b, key) : NULL;
  if (a == NULL) {
    census__free(v);
    b->failed = true;
    return;
  }
  census__free(a->string_value);
  a->type = CENSUS_ATTRIBUTE_STRING;
  a->string_value = v;
  a->int_value = 0;
  a->current_pid = false;
}

/* Sets an INT64 attribute; returns it (NULL once the build failed). */
static census_resource_attribute *set_int(builder *b, const char *key, int64_t value) {
  if (b->failed) {
    return NULL;
  }
  census_resource_attribute *a = slot(b, key);
  if (a == NULL) {
    b->failed = true;
    return NULL;
  }
  census__free(a->string_value);
  a->string_value = NULL;
  a->type = CENSUS_ATTRIBUTE_INT64;
  a->int_value = value;
  a->current_pid = false;
  return a;
}

static bool set_from_env(void *user, const char *key, const char *value) {
  builder *b = user;
  set_string(b, key, value);
  return !b->failed;
}

/* The executable's file name: the target of /proc/self/exe, else what glibc took from argv[0].
 * Empty when neither is known. */
static void executable_name(char *out, size_t size) {
  char path[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
  if (n > 0) {
    path[n] = '\0';
    const char *base = strrchr(path, '/');
    snprintf(out, size, "%.*s", (int)(size - 1), base != NULL ? base + 1 : path);
    return;
  }
#ifdef __GLIBC__
  snprintf(out, size, "%.*s", (int)(size - 1), program_invocation_short_name);
#else
  out[0] = '\0';
#endif
}

census_resource *census__resource_build(const char *service_name,
                                        const census_resource_kv *attributes, size_t count,
                                        census_status *status) {
  builder b = {census__calloc(1, sizeof(census_resource)), 0, false};
  if (b.resource == NULL) {
    if (status != NULL) {
      *status = CENSUS_ENOMEM;
    }
    return NULL;
  }

  /* 1. Detected. service.name first: readers look for it first. */
  char exe[256];
  executable_name(exe, sizeof exe);
  char unknown[300];
  snprintf(unknown, sizeof unknown, exe[0] != '\0' ? "unknown_service:%s" : "unknown_service", exe);
  set_string(&b, "service.name", unknown);
  set_string(&b, "telemetry.sdk.language", "c");
  set_string(&b, "telemetry.sdk.name", "census");
  set_string(&b, "telemetry.sdk.version", census_version());
  char host[HOST_NAME_MAX + 1];
  if (gethostname(host, sizeof host) == 0) {
    host[sizeof host - 1] = '\0';
    if (host[0] != '\0') {
      set_string(&b, "host.name", host);
    }
  }
  census_resource_attribute *pid = set_int(&b, "process.pid", (int64_t)getpid());
  if (pid != NULL) {
    pid->current_pid = true; /* read through census__resource_int(): a fork child's own */
  }
  if (exe[0] != '\0') {
    set_string(&b, "process.executable.name", exe);
  }

  /* 2. OTEL_RESOURCE_ATTRIBUTES, all or nothing (a malformed one is reported and ignored). */
  census__env_kv_list("OTEL_RESOURCE_ATTRIBUTES", set_from_env, &b);

  /* 3. The API's attributes. */
  for (size_t i = 0; attributes != NULL && i < count; i++) {
    set_string(&b, attributes[i].key, attributes[i].value);
  }

  /* 4. OTEL_SERVICE_NAME, then 5. the API's service name. */
  set_string(&b, "service.name", census__env_string("OTEL_SERVICE_NAME"));
  if (service_name != NULL && service_name[0] != '\0') {
    set_string(&b, "service.name", service_name);
  }

  if (b.failed) {
    census__resource_free(b.resource);
    if (status != NULL) {
      *status = CENSUS_ENOMEM;
    }
    return NULL;
  }
  if (status != NULL) {
    *status = CENSUS_OK;
  }
  return b.resource;
}

int64_t census__resource_int(const census_resource_attribute *attribute) {
  return attribute->current_pid ? (int64_t)getpid() : attribute->int_value;
}

const char *census__resource_get(const census_resource *resource, const char *key) {
  if (resource == NULL || key == NULL) {
    return NULL;
  }
  for (size_t i = 0; i < resource->count; i++) {
    const census_resource_attribute *a = &resource->attributes[i];
    if (strcmp(a->key, key) == 0) {
      return a->type == CENSUS_ATTRIBUTE_STRING ? a->string_value : NULL;
    }
  }
  return NULL;
}

void census__resource_free(census_resource *resource) {
  if (resource == NULL) {
    return;
  }
  for (size_t i = 0; i < resource->count; i++) {
    census__free(resource->attributes[i].key);
    census__free(resource->attributes[i].string_value);
  }
  census__free(resource->attributes);
  census__free(resource);
}
