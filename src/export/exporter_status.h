/* exporter_status.h - the exporter status registry (exporter_status.c): the public functions are
 * in census/exporter.h; these are the lifecycle's hooks and the secret-key rule. */
#ifndef CENSUS_EXPORT_EXPORTER_STATUS_H
#define CENSUS_EXPORT_EXPORTER_STATUS_H

#include <stdbool.h>

#include "census/exporter.h"

/* True when a configuration key names something secret, whose value the registry masks:
 * it contains "authorization", "token", "secret", "password", "credential", "cookie", "api_key",
 * "apikey" or "header", in any case. */
bool census__exporter_config_key_is_secret(const char *key);

/* fork(): prepare takes EXPORTER_STATUS; parent and child release it (registrations are
 * inherited with the exporters). */
void census__exporter_status_fork_prepare(void);
void census__exporter_status_fork_parent(void);

#endif
