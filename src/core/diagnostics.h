/* diagnostics.h - the single channel through which census reports problems (never printf). */
#ifndef CENSUS_CORE_DIAGNOSTICS_H
#define CENSUS_CORE_DIAGNOSTICS_H

#include "census/status.h"

/* Formats a message and passes it to the diagnostics callback. Safe from any thread; not
 * async-signal-safe. */
void census__diag(census_status status, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

#endif
