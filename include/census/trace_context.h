/* census/trace_context.h - the part of a span that crosses process boundaries: trace id, span
 * id, trace flags and W3C tracestate. Plain values, copied freely; no allocation.
 */
#ifndef CENSUS_TRACE_CONTEXT_H
#define CENSUS_TRACE_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "census/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CENSUS_TRACE_ID_SIZE 16
#define CENSUS_SPAN_ID_SIZE 8
/* Trace flags (W3C Trace Context Level 2, section 3.2.2.5 trace-flags). */
#define CENSUS_TRACE_FLAG_SAMPLED 0x01 /* the caller may have recorded trace data */
/* The random-trace-id flag: at least the right-most 7 bytes of the trace id were chosen
 * (pseudo-)randomly with uniform distribution. census sets it on every new root trace (its trace
 * ids are 16 random bytes, see docs/propagation.md) and keeps it, set or unset, for the whole
 * trace, as the spec requires of every participant that reuses the trace id. */
#define CENSUS_TRACE_FLAG_RANDOM 0x02
/* The flags defined by Level 2. Every other bit is reserved: census writes it as zero ("Vendors
 * MUST set those to zero", section 3.2.2.5.3 Other Flags) and drops it when reading. */
#define CENSUS_TRACE_FLAGS_KNOWN (CENSUS_TRACE_FLAG_SAMPLED | CENSUS_TRACE_FLAG_RANDOM)
/* W3C Trace Context: at most 32 list members, and census keeps at most 512 characters of
 * tracestate (the spec's minimum that must be propagated). */
#define CENSUS_TRACESTATE_MAX_MEMBERS 32
#define CENSUS_TRACESTATE_MAX_LENGTH 512

/* A span context. Valid when neither id is all zeros. `tracestate` is the W3C tracestate header
 * value in canonical form (list members joined by ","; "" when absent), NUL-terminated.
 * Thread-safety: a plain value; copy it. */
typedef struct census_trace_context {
  uint8_t trace_id[CENSUS_TRACE_ID_SIZE];
  uint8_t span_id[CENSUS_SPAN_ID_SIZE];
  uint8_t trace_flags;
  bool remote; /* true when it was extracted from a carrier */
  char tracestate[CENSUS_TRACESTATE_MAX_LENGTH + 1];
} census_trace_context;

/* True if both ids are not all zeros. NULL gives false. `context` is only read. Thread-safe. */
CENSUS_EXPORT bool census_trace_context_is_valid(const census_trace_context *context);

/* True if the sampled flag is set. NULL gives false. `context` is only read. Thread-safe. */
CENSUS_EXPORT bool census_trace_context_is_sampled(const census_trace_context *context);

/* True if the random-trace-id flag (CENSUS_TRACE_FLAG_RANDOM) is set. NULL gives false.
 * `context` is only read. Thread-safe. */
CENSUS_EXPORT bool census_trace_context_is_random(const census_trace_context *context);

#ifdef __cplusplus
}
#endif
#endif
