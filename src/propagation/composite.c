/* composite.c - one inject and one extract that run several propagation formats in order, as
 * OpenTelemetry's composite propagator and OTEL_PROPAGATORS do.
 *
 * A propagator is an ordered list of formats, parsed once from a comma-separated list of
 * OpenTelemetry's names (tracecontext, baggage, b3, b3multi, none) and census's own (gcp_trace
 * for X-Cloud-Trace-Context, the name Google's OpenTelemetry propagator registers; grpc_trace_bin
 * for the OpenCensus binary context). Inject writes every format's headers; extract reads them in
 * order and, as OpenTelemetry's composite does (each propagator's result is the next one's
 * input), a later trace format that finds a valid context replaces an earlier one's, while
 * baggage merges into the caller's tag map. Each format keeps its own rules (docs/propagation.md):
 * this file only sequences them, plus the text form of grpc-trace-bin.
 *
 * grpc-trace-bin in a text carrier. gRPC sends "-bin" metadata as base64 on the wire (its HTTP/2
 * protocol: emitted without padding, accepted with or without), so a header carrier holds the
 * binary context base64-encoded; census writes it unpadded and reads both.
 *
 * Immutable once made: any number of threads may inject and extract with one propagator.
 */
#include "propagation/composite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "census/propagation.h"
#include "core/base64.h"
#include "core/diagnostics.h"
#include "core/alloc.h"

enum format {
  FORMAT_TRACECONTEXT,
  FORMAT_BAGGAGE,
  FORMAT_B3,
  FORMAT_B3MULTI,
  FORMAT_GCP_TRACE,
  FORMAT_GRPC_TRACE_BIN,
  FORMATS
};

static const char *const format_names[FORMATS] = {
    "tracecontext", "baggage", "b3", "b3multi", "gcp_trace", "grpc_trace_bin",
};

struct census_propagator {
  size_t count;
  enum format formats[FORMATS]; /* each at most once, in the order given */
};

/* Parses one trimmed name of `length` bytes: its format, FORMATS for "none", -1 if unknown. */
static int format_of(const char *name, size_t length) {
  if (length == 4 && strncmp(name, "none", 4) == 0) {
    return FORMATS;
  }
  for (int f = 0; f < FORMATS; f++) {
    if (strlen(format_names[f]) == length && strncmp(name, format_names[f], length) == 0) {
      return f;
    }
  }
  return -1;
}

census_propagator *census__propagator_parse(const char *formats, char *why, size_t why_size,
                                            census_status *status) {
  census_status result = formats ? CENSUS_OK : CENSUS_EINVAL;
  census_propagator *p = result == CENSUS_OK ? census__calloc(1, sizeof *p) : NULL;
  if (formats && !p) {
    result = CENSUS_ENOMEM;
  }
  snprintf(why, why_size, "%s", formats ? "out of memory" : "no list (NULL)");
  bool none = false;
  for (const char *s = formats; p && result == CENSUS_OK && *s;) {
    size_t length = strcspn(s, ",");
    const char *name = s;
    size_t n = length;
    while (n > 0 && (*name == ' ' || *name == '\t')) {
      name++;
      n--;
    }
    while (n > 0 && (name[n - 1] == ' ' || name[n - 1] == '\t')) {
      n--;
    }
    int f = n > 0 ? format_of(name, n) : FORMATS; /* an empty item is ignored */
    if (f < 0) {
      snprintf(why, why_size,
               "unknown propagation format \"%.*s\": use tracecontext, baggage, b3, b3multi, "
               "gcp_trace, grpc_trace_bin or none",
               (int)(n > 64 ? 64 : n), name);
      result = CENSUS_EINVAL;
    } else if (f == FORMATS) {
      none |= n > 0;
    } else {
      bool seen = false;
      for (size_t i = 0; i < p->count; i++) {
        seen |= p->formats[i] == (enum format)f;
      }
      if (!seen) {
        p->formats[p->count++] = (enum format)f;
      }
    }
    s += length + (s[length] == ',');
  }
  if (result == CENSUS_OK && none && p->count > 0) {
    snprintf(why, why_size,
             "\"%.200s\" lists \"none\" with other formats: give none alone (no propagation), "
             "or only formats",
             formats);
    result = CENSUS_EINVAL;
  }
  if (result != CENSUS_OK) {
    census__free(p);
    p = NULL;
  }
  *status = result;
  return p;
}

CENSUS_EXPORT census_propagator *census_propagator_new(const char *formats, census_status *status) {
  char why[320];
  census_status result;
  census_propagator *p = census__propagator_parse(formats, why, sizeof why, &result);
  if (result == CENSUS_EINVAL && formats) {
    census__diag(CENSUS_EINVAL, "census_propagator_new: %s", why);
  }
  if (status) {
    *status = result;
  }
  return p;
}

CENSUS_EXPORT void census_propagator_free(census_propagator *propagator) {
  census__free(propagator);
}

CENSUS_EXPORT size_t census_propagator_format_count(const census_propagator *propagator) {
  return propagator ? propagator->count : 0;
}

CENSUS_EXPORT const char *census_propagator_format(const census_propagator *propagator, size_t i) {
  return propagator && i < propagator->count ? format_names[propagator->formats[i]] : NULL;
}

/* ---- grpc-trace-bin as base64 ------------------------------------------------------------------
 */

/* The carrier's text: spaces and tabs around the base64 are ignored (a header value's optional
 * whitespace), then src/core/base64.h decodes it. Returns the byte count or -1. */
static long grpc_trace_bin_decode(const char *text, uint8_t *out, size_t capacity) {
  size_t n = strlen(text);
  while (n > 0 && (*text == ' ' || *text == '\t')) {
    text++;
    n--;
  }
  while (n > 0 && (text[n - 1] == ' ' || text[n - 1] == '\t')) {
    n--;
  }
  return census__base64_decode(text, n, out, capacity);
}

/* ---- inject and extract ------------------------------------------------------------------------
 */

/* The first error of a sequence: kept once set. */
static void keep_first(census_status *first, census_status status) {
  if (*first == CENSUS_OK && status != CENSUS_OK) {
    *first = status;
  }
}

static census_status inject_trace(enum format f, const census_trace_context *context,
                                  census_header_set_fn set, void *carrier) {
  switch (f) {
  case FORMAT_TRACECONTEXT:
    return census_traceparent_inject(context, set, carrier);
  case FORMAT_B3:
    return census_b3_inject(context, CENSUS_B3_SINGLE, set, carrier);
  case FORMAT_B3MULTI:
    return census_b3_inject(context, CENSUS_B3_MULTI, set, carrier);
  case FORMAT_GCP_TRACE:
    return census_cloud_trace_inject(context, set, carrier);
  case FORMAT_GRPC_TRACE_BIN: {
    uint8_t bytes[CENSUS_TRACE_BINARY_SIZE];
    char text[4 * ((CENSUS_TRACE_BINARY_SIZE + 2) / 3) + 1];
    census_status status = census_trace_binary_encode(context, bytes);
    if (status == CENSUS_OK) {
      census__base64_encode(bytes, sizeof bytes, false, text, sizeof text);
      set(carrier, "grpc-trace-bin", text);
    }
    return status;
  }
  default:
    return CENSUS_OK;
  }
}

CENSUS_EXPORT census_status census_propagator_inject(const census_propagator *propagator,
                                                     const census_trace_context *context,
                                                     const census_tag_map *baggage,
                                                     census_header_set_fn set, void *carrier) {
  if (!propagator || !set) {
    return CENSUS_EINVAL;
  }
  census_status first = CENSUS_OK;
  for (size_t i = 0; i < propagator->count; i++) {
    enum format f = propagator->formats[i];
    if (f == FORMAT_BAGGAGE) {
      if (baggage) {
        keep_first(&first, census_baggage_inject(baggage, set, carrier, NULL));
      }
    } else if (context) {
      keep_first(&first, inject_trace(f, context, set, carrier));
    }
  }
  return first;
}

static census_status extract_trace(enum format f, census_header_get_fn get, void *carrier,
                                   census_trace_context *out) {
  switch (f) {
  case FORMAT_TRACECONTEXT:
    return census_traceparent_extract(get, carrier, out, NULL);
  case FORMAT_B3:
  case FORMAT_B3MULTI:
    return census_b3_extract(get, carrier, out, NULL);
  case FORMAT_GCP_TRACE:
    return census_cloud_trace_extract(get, carrier, out);
  case FORMAT_GRPC_TRACE_BIN: {
    /* *out is used only on CENSUS_OK (census_propagator_extract()): nothing to clear here. */
    const char *text = get(carrier, "grpc-trace-bin");
    if (!text) {
      return CENSUS_ENOTFOUND;
    }
    uint8_t bytes[64];
    long n = grpc_trace_bin_decode(text, bytes, sizeof bytes);
    return n < 0 ? CENSUS_EINVAL : census_trace_binary_decode(bytes, (size_t)n, out);
  }
  default:
    return CENSUS_ENOTFOUND;
  }
}

CENSUS_EXPORT census_status census_propagator_extract(const census_propagator *propagator,
                                                      census_header_get_fn get, void *carrier,
                                                      census_trace_context *context,
                                                      census_tag_map *baggage) {
  if (!propagator || !get) {
    return CENSUS_EINVAL;
  }
  census_status result = CENSUS_ENOTFOUND;
  bool out_of_memory = false; /* baggage members that could not be copied: never silent */
  if (context) {
    memset(context, 0, sizeof *context);
  }
  for (size_t i = 0; i < propagator->count; i++) {
    enum format f = propagator->formats[i];
    if (f == FORMAT_BAGGAGE) {
      if (baggage && census_baggage_extract(get, carrier, baggage, NULL) == CENSUS_ENOMEM) {
        out_of_memory = true;
      }
      continue;
    }
    if (!context) {
      continue;
    }
    census_trace_context found;
    census_status status = extract_trace(f, get, carrier, &found);
    if (status == CENSUS_OK) {
      *context = found; /* a later format's context replaces an earlier one's */
      result = CENSUS_OK;
    } else if (status != CENSUS_ENOTFOUND && result == CENSUS_ENOTFOUND) {
      result = status; /* malformed, until some format finds a context */
    }
  }
  return out_of_memory ? CENSUS_ENOMEM : result;
}
