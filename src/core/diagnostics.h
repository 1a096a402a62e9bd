/* diagnostics.h - the single channel through which census reports problems (never printf). */
#ifndef CENSUS_CORE_DIAGNOSTICS_H
#define CENSUS_CORE_DIAGNOSTICS_H

#include <stdatomic.h>

#include "census/status.h"

/* Formats a message and passes it to the diagnostics callback. Safe from any thread; not
 * async-signal-safe. */
void census__diag(census_status status, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* census__diag() the first time only: the first caller to set *once reports, later ones do not
 * (for problems that can repeat at a high rate, such as recording after census_shutdown()). */
void census__diag_once(atomic_bool *once, census_status status, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* What a record call returns after census_shutdown(): CENSUS_ESHUTDOWN, with one diagnostic the
 * first time in the process. Cold; call only once census__is_shut_down() is true. */
census_status census__record_after_shutdown(void);

#endif
