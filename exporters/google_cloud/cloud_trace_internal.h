/* cloud_trace_internal.h - the Cloud Trace exporter's encoder, separate from delivery so that
 * unit tests can encode captured spans and check them with independent parsers.
 */
#ifndef CENSUS_CLOUD_TRACE_INTERNAL_H
#define CENSUS_CLOUD_TRACE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "buffer.h"
#include "census/exporter.h"
#include "census/status.h"

/* Cloud Trace v2 limits the encoder applies (Google's documented API limits). */
#define CENSUS_CLOUD_TRACE_MAX_DISPLAY_NAME 128 /* bytes of displayName */
#define CENSUS_CLOUD_TRACE_MAX_ATTRIBUTES 32    /* per span (agent included), per annotation */
#define CENSUS_CLOUD_TRACE_MAX_KEY 128          /* bytes of an attribute key; longer: dropped */
#define CENSUS_CLOUD_TRACE_MAX_VALUE 256        /* bytes of a string value or description */
#define CENSUS_CLOUD_TRACE_MAX_ANNOTATIONS 32
#define CENSUS_CLOUD_TRACE_MAX_LINKS 128

/* The agent attribute every span carries. */
#define CENSUS_CLOUD_TRACE_AGENT_KEY "g.co/agent"

/* Appends {"spans":[...]} (a BatchWriteSpansRequest body) for spans[0..count) of `project` to
 * `out`; `agent` is the value of the g.co/agent attribute (e.g. "census-c 0.1.0"). Returns
 * CENSUS_OK, CENSUS_EINVAL (NULL project/out) or CENSUS_ENOMEM. Thread-safe. */
census_status census__cloud_trace_encode(const census_span_data *const *spans, size_t count,
                                         const char *project, const char *agent, census_buf *out);

#endif
