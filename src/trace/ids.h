/* ids.h - random trace and span ids from a fast per-thread generator. */
#ifndef CENSUS_TRACE_IDS_H
#define CENSUS_TRACE_IDS_H

#include <stdint.h>

/* Fills a 16-byte trace id / 8-byte span id with random bytes, never all zero. Every byte of a
 * trace id is pseudo-random and uniform, which is what lets span.c set the W3C random-trace-id
 * flag on new root traces (see ids.c). */
void census__trace_id_new(uint8_t id[16]);
void census__span_id_new(uint8_t id[8]);

/* Makes every thread reseed before its next id (called in a fork child, so that parent and child
 * never draw the same ids). */
void census__ids_reseed_all(void);

#endif
