/* wake.h - the export worker's doorbell: a pipe that anything may ring, the worker waits on.
 *
 * A ring is one byte: CENSUS__WAKE_CONFIG (re-read the interval, the stop flag), CENSUS__WAKE_SPANS
 * (a full batch of spans waits), or a signal number (below both) that the SIGTERM/SIGINT handler
 * passes on. Ringing is one write(2): async-signal-safe, never blocks (the pipe is non-blocking;
 * a full pipe already holds a wake-up), and harmless while no worker runs (no pipe: nothing
 * happens). The pipe belongs to this module; the worker only reads it (census__wake_fd()).
 */
#ifndef CENSUS_CORE_WAKE_H
#define CENSUS_CORE_WAKE_H

#include "census/status.h"

enum { CENSUS__WAKE_CONFIG = 0x77, CENSUS__WAKE_SPANS = 0x78 }; /* above every signal number */

/* Makes the pipe (the worker's start, and a fork child's, whose inherited pipe is the parent's):
 * CENSUS_OK or CENSUS_ESYSTEM. Closes a previous pipe first. */
census_status census__wake_open(void);

/* Closes the pipe (shutdown); later rings do nothing. */
void census__wake_close(void);

/* Rings: writes `byte` (async-signal-safe; keeps errno). */
void census__wake_ring(unsigned char byte);

/* The read end, for the worker's poll(); -1 when closed. */
int census__wake_fd(void);

#endif
