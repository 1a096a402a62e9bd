/* exporter_status.c - the exporter status registry (census_exporter_status_register(),
 * census/exporter.h): every exporter's name, kind, configuration and, on demand, counters and
 * last error, for the zPages' overview page and any program that wants to list its exporters.
 *
 * Design. A list of entries under EXPORTER_STATUS, in registration order. An entry holds copies
 * of what was registered (the configuration with secret values masked once, at registration);
 * counters are not stored: census_exporter_status_visit() asks each exporter through its report
 * callback, with the lock held, so that unregistration (which takes the lock) waits for a read in
 * progress and an exporter can free its state as soon as its unregistration returns. The lock is
 * the innermost of census (core/lock.h): report callbacks and visit functions must not call
 * census functions that lock, and unregistration may run under any census lock (an exporter's
 * shutdown callback runs under COLLECT).
 */
#include "export/exporter_status.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/lock.h"
#include "core/options.h"
#include "core/text.h"
#include "core/alloc.h"

#define MESSAGE_MAX 255

struct census_exporter_report {
  uint64_t delivered, rejected, dropped;
  int64_t error_time_ns;
  char error[MESSAGE_MAX + 1];
};

struct status_entry {
  struct status_entry *next;
  void *user;
  char *name, *kind, *items;
  census_kv *config;
  size_t config_count;
  void (*report)(void *user, census_exporter_report *report);
};

static census__mutex status_mu = CENSUS__MUTEX_INIT(CENSUS__LOCK_EXPORTER_STATUS);
static struct status_entry *entries;

CENSUS_EXPORT void census_exporter_report_counts(census_exporter_report *report, uint64_t delivered,
                                                 uint64_t rejected, uint64_t dropped) {
  if (report) {
    report->delivered = delivered;
    report->rejected = rejected;
    report->dropped = dropped;
  }
}

CENSUS_EXPORT void census_exporter_report_error(census_exporter_report *report, int64_t time_ns,
                                                const char *message) {
  if (!report) {
    return;
  }
  report->error_time_ns = message && *message ? time_ns : 0;
  size_t n = message ? strnlen(message, MESSAGE_MAX) : 0;
  memcpy(report->error, message ? message : "", n);
  report->error[n] = '\0';
}

/* True when a configuration key names something secret (see census_exporter_status_options). */
bool census__exporter_config_key_is_secret(const char *key) {
  static const char *const words[] = {"authorization", "token",      "secret",
                                      "password",      "credential", "cookie",
                                      "api_key",       "apikey",     "header"};
  char lower[256];
  size_t n = 0;
  for (; key[n] && n + 1 < sizeof lower; n++) {
    lower[n] = (char)tolower((unsigned char)key[n]);
  }
  lower[n] = '\0';
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
    if (strstr(lower, words[i])) {
      return true;
    }
  }
  return false;
}

static void entry_free(struct status_entry *e) {
  if (!e) {
    return;
  }
  for (size_t i = 0; i < e->config_count; i++) {
    census__free((char *)e->config[i].key);
    census__free((char *)e->config[i].value);
  }
  census__free(e->config);
  census__free(e->name);
  census__free(e->kind);
  census__free(e->items);
  census__free(e);
}

/* Copies a registration; secret configuration values become "****". NULL if memory ran out. */
static struct status_entry *entry_new(const census_exporter_status_options *o, void *user) {
  struct status_entry *e = census__calloc(1, sizeof *e);
  if (!e) {
    return NULL;
  }
  e->user = user;
  e->report = o->report;
  e->name = census__strdup(o->name);
  e->kind = census__strdup(o->kind ? o->kind : o->name);
  e->items = census__strdup(o->items ? o->items : "items");
  e->config = o->config_count ? census__calloc(o->config_count, sizeof *e->config) : NULL;
  if (!e->name || !e->kind || !e->items || (o->config_count && !e->config)) {
    entry_free(e);
    return NULL;
  }
  for (size_t i = 0; i < o->config_count; i++) {
    const char *key = o->config[i].key ? o->config[i].key : "";
    const char *value = o->config[i].value ? o->config[i].value : "";
    e->config_count = i + 1;
    e->config[i].key = census__strdup(key);
    e->config[i].value = census__strdup_or_empty(
        census__exporter_config_key_is_secret(key) && *value ? "****" : value);
    if (!e->config[i].key || !e->config[i].value) {
      entry_free(e);
      return NULL;
    }
  }
  return e;
}

CENSUS_EXPORT census_status
census_exporter_status_register(const census_exporter_status_options *options, void *user) {
  if (!options) {
    return CENSUS_EINVAL;
  }
  census_exporter_status_options o;
  census_status status =
      census__options_read(options, CENSUS__END_OF(census_exporter_status_options, report),
                           sizeof o, &o, "census_exporter_status_register",
                           "census_exporter_status_options", "CENSUS_EXPORTER_STATUS_OPTIONS_INIT");
  if (status != CENSUS_OK) {
    return status;
  }
  if (!o.name || (o.config_count && !o.config)) {
    return CENSUS_EINVAL;
  }
  if (!census__text_is_printable(o.name, 255, false, NULL)) {
    return CENSUS_EBADNAME;
  }
  struct status_entry *e = entry_new(&o, user);
  if (!e) {
    return CENSUS_ENOMEM;
  }
  census__mutex_lock(&status_mu);
  struct status_entry **link = &entries;
  for (; *link; link = &(*link)->next) {
    if ((*link)->user == user) {
      census__mutex_unlock(&status_mu);
      entry_free(e);
      return CENSUS_EDUPLICATE;
    }
  }
  *link = e;
  census__mutex_unlock(&status_mu);
  return CENSUS_OK;
}

CENSUS_EXPORT census_status census_exporter_status_unregister(void *user) {
  census__mutex_lock(&status_mu);
  struct status_entry **link = &entries;
  while (*link && (*link)->user != user) {
    link = &(*link)->next;
  }
  struct status_entry *e = *link;
  if (e) {
    *link = e->next;
  }
  census__mutex_unlock(&status_mu);
  if (!e) {
    return CENSUS_ENOTFOUND;
  }
  entry_free(e);
  return CENSUS_OK;
}

CENSUS_EXPORT census_status census_exporter_status_visit(
    void (*visit)(void *context, const census_exporter_status *status), void *context) {
  if (!visit) {
    return CENSUS_EINVAL;
  }
  census__mutex_lock(&status_mu);
  for (struct status_entry *e = entries; e; e = e->next) {
    census_exporter_report report = {0};
    if (e->report) {
      e->report(e->user, &report);
    }
    census_exporter_status status = {.name = e->name,
                                     .kind = e->kind,
                                     .items = e->items,
                                     .config = e->config,
                                     .config_count = e->config_count,
                                     .delivered = report.delivered,
                                     .rejected = report.rejected,
                                     .dropped = report.dropped,
                                     .last_error_time_ns = report.error_time_ns,
                                     .last_error = report.error};
    visit(context, &status);
  }
  census__mutex_unlock(&status_mu);
  return CENSUS_OK;
}

void census__exporter_status_fork_prepare(void) { census__mutex_lock(&status_mu); }

void census__exporter_status_fork_parent(void) { census__mutex_unlock(&status_mu); }
