/* traceparent.c - W3C Trace Context: the traceparent header, and inject/extract of a context.
 *
 * traceparent is "VV-TTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTT-SSSSSSSSSSSSSSSS-FF": fixed offsets, so the
 * parser trims spaces and tabs at both ends (RFC 9110 OWS, which the W3C test suite sends),
 * checks the three dashes and decodes the four hex fields in place: the ids 16 or 32 characters
 * at a time (traceparent_ids.h; one verdict for all 48), version and flags by table; no scanning,
 * no copying, no allocation. This path is measured by the benchmarks (target: 50 ns for inject and
 * for extract), which is why the context is reset by its ids and first tracestate byte only, and
 * why tracestate work is skipped when there is no tracestate.
 *
 * Flags follow Trace Context Level 2: the sampled and random bits are kept when read and written
 * as set; every other bit is reserved, dropped when read and written as zero (3.2.2.5.3). A later
 * version's flags are read the same way: the processing model reads "the trace-flags values
 * supported by this version" from a higher version, and Level 2 supports both bits.
 *
 * Invariant: every exit from the parser leaves the context either fully valid (both ids
 * non-zero, remote) or fully invalid (census__context_reset()).
 */
#include <string.h>

#include "census/propagation.h"
#include "core/diagnostics.h"
#include "propagation/hex.h"
#include "propagation/traceparent_ids.h"
#include "propagation/tracestate.h"

/* Offsets of the dashes and fields in a traceparent value. */
enum {
  TP_VERSION = 0,
  TP_DASH1 = 2,
  TP_TRACE_ID = CENSUS__TP_TRACE_ID,
  TP_DASH2 = 35,
  TP_SPAN_ID = CENSUS__TP_SPAN_ID,
  TP_DASH3 = 52,
  TP_FLAGS = 53,
};

CENSUS_EXPORT census_status census_traceparent_format(const census_trace_context *context,
                                                      char out[CENSUS_TRACEPARENT_LENGTH + 1]) {
  if (!census__format_begin(context, out)) {
    return CENSUS_EINVAL;
  }
  uint8_t flags = context->trace_flags & CENSUS_TRACE_FLAGS_KNOWN;
  out[TP_VERSION] = '0';
  out[TP_VERSION + 1] = '0';
  out[TP_DASH1] = '-';
  census__hex_encode(context->trace_id, CENSUS_TRACE_ID_SIZE, out + TP_TRACE_ID);
  out[TP_DASH2] = '-';
  census__hex_encode(context->span_id, CENSUS_SPAN_ID_SIZE, out + TP_SPAN_ID);
  out[TP_DASH3] = '-';
  census__hex_encode(&flags, 1, out + TP_FLAGS);
  out[CENSUS_TRACEPARENT_LENGTH] = '\0';
  return CENSUS_OK;
}

/* census_traceparent_parse() without its first reset: every refusal resets the context here
 * (census__context_reset()), and a success writes every field but the tracestate past its first
 * byte, so census_traceparent_extract() does not clear the context before the getter is asked. */
__attribute__((always_inline)) static inline census_status
tp_parse(const char *value, size_t length, census_trace_context *context, bool avx2_ok) {
  if (!value) {
    goto refused;
  }
#if CENSUS__TP_AVX2
  /* The common value, version 00 and exactly 55 characters, whole in AVX2 where the CPU has it
   * (traceparent_ids.h: the same verdict and fields as the rest of this function; no space can
   * surround it, as its first and last characters must be digits). */
  uint16_t head;
  if (avx2_ok && length == CENSUS_TRACEPARENT_LENGTH &&
      (memcpy(&head, value, 2), head == ('0' << 8 | '0')) && __builtin_cpu_supports("avx2")) {
    if (census__traceparent_parse55(value, context)) {
      return CENSUS_OK;
    }
    goto refused;
  }
#else
  (void)avx2_ok;
#endif
  /* Spaces and tabs around the value (RFC 9110 OWS): both are below '!', which no valid first or
   * last character is, so the common case costs one unsigned compare at each end and one of the
   * length (the trim itself tests for exactly ' ' and '\t'). */
  if (length < CENSUS_TRACEPARENT_LENGTH || (unsigned char)value[0] <= ' ' ||
      (unsigned char)value[length - 1] <= ' ') {
    census__trim_ows(&value, &length);
    if (length < CENSUS_TRACEPARENT_LENGTH) {
      goto refused;
    }
  }
  /* Version 00, the common case, by one compare ("00" reads the same in either byte order). */
  uint8_t version = 0, flags;
  uint16_t version_chars;
  memcpy(&version_chars, value + TP_VERSION, 2);
  if (version_chars != ('0' << 8 | '0') &&
      (!census__hex_decode(false, value + TP_VERSION, 1, &version) || version == 0xff)) {
    goto refused;
  }
  if (version == 0
          ? length != CENSUS_TRACEPARENT_LENGTH
          : length > CENSUS_TRACEPARENT_LENGTH && value[CENSUS_TRACEPARENT_LENGTH] != '-') {
    goto refused;
  }
  if (value[TP_DASH1] != '-' || value[TP_DASH2] != '-' || value[TP_DASH3] != '-' ||
      !census__traceparent_ids_sse2(value, context) ||
      !census__hex_decode(false, value + TP_FLAGS, 1, &flags) || !census__context_ok(context)) {
    goto refused;
  }
  context->trace_flags = flags & CENSUS_TRACE_FLAGS_KNOWN;
  context->remote = true;
  context->tracestate[0] = '\0';
  return CENSUS_OK;
refused:
  census__context_reset(context);
  return CENSUS_EINVAL;
}

census_status census__traceparent_parse_general(const char *value, size_t length,
                                                census_trace_context *context) {
  if (!context) {
    return CENSUS_EINVAL;
  }
  return tp_parse(value, length, context, false);
}

/* Parses as the header comment in propagation.h says. The version decides the length rule: 00 is
 * exactly 55 characters; a later version may carry more fields after a '-', which are ignored
 * (the spec's forward-compatibility rule); ff is reserved as invalid. */
bool census__traceparent_parse_measured(const char *value, census_trace_context *context) {
  return tp_parse(value, strlen(value), context, true) == CENSUS_OK;
}

CENSUS_EXPORT census_status census_traceparent_parse(const char *value, size_t length,
                                                     census_trace_context *context) {
  if (!context) {
    return CENSUS_EINVAL;
  }
  return tp_parse(value, length, context, true); /* resets the context when it refuses */
}

/* The tracestate in a context is whatever the application stored there, so it is re-validated
 * (into a stack buffer) before it is sent; an invalid one is dropped rather than forwarded, and
 * what is dropped is reported. Out of line: its 513-byte buffer would otherwise be the frame of
 * every inject, and a context read by extract is already canonical. */
__attribute__((cold, noinline)) static void
tp_inject_tracestate(const census_trace_context *context, census_header_set_fn set, void *carrier) {
  const char *end = memchr(context->tracestate, '\0', sizeof context->tracestate);
  if (!end) {
    census__diag(CENSUS_EINVAL,
                 "census_traceparent_inject: the context's tracestate is not NUL-terminated "
                 "within its %zu bytes; not sent",
                 sizeof context->tracestate);
    return;
  }
  char canonical[CENSUS_TRACESTATE_MAX_LENGTH + 1];
  census_tracestate_report report;
  census_tracestate_parse(context->tracestate, (size_t)(end - context->tracestate), canonical,
                          &report);
  if (canonical[0] != '\0') {
    set(carrier, "tracestate", canonical);
  }
  census__tracestate_diag("census_traceparent_inject: the context's tracestate",
                          context->tracestate, &report);
}

CENSUS_EXPORT census_status census_traceparent_inject(const census_trace_context *context,
                                                      census_header_set_fn set, void *carrier) {
  char header[CENSUS_TRACEPARENT_LENGTH + 1];
  if (!set || census_traceparent_format(context, header) != CENSUS_OK) {
    return CENSUS_EINVAL;
  }
  set(carrier, "traceparent", header);
  if (context->tracestate[0] != '\0') {
    tp_inject_tracestate(context, set, carrier);
  }
  return CENSUS_OK;
}

/* A tracestate header beside a valid traceparent: a bad one is discarded (it becomes "") but the
 * traceparent stands. Out of line, so that extract without one keeps a small frame. */
__attribute__((noinline)) static void tp_extract_tracestate(const char *tracestate,
                                                            census_trace_context *context,
                                                            census_tracestate_report *report) {
  census_tracestate_report local;
  census_tracestate_report *r = report ? report : &local;
  census_tracestate_parse(tracestate, strlen(tracestate), context->tracestate, r);
  census__tracestate_diag("census_traceparent_extract: tracestate header", tracestate, r);
}

/* census_traceparent_parse() == CENSUS_OK of the getter's NUL-terminated traceparent value: the
 * AVX2 parse without strlen for the common value where the CPU has it (traceparent_ids.h). */
static inline bool tp_parse_nul(const char *value, census_trace_context *context) {
#if CENSUS__TP_AVX2
  if (__builtin_expect(__builtin_cpu_supports("avx2"), 1)) { /* the parse's call falls through */
    return census__traceparent_parse_nul(value, context);
  }
#endif
  return census__traceparent_parse_measured(value, context);
}

/* census_traceparent_extract() past its argument checks (get and context not NULL, *report
 * initialised). No reset before the getter is asked: the parse writes the context whole or
 * resets it. */
__attribute__((always_inline)) static inline census_status
tp_extract_from(census_header_get_fn get, void *carrier, census_trace_context *context,
                census_tracestate_report *report) {
  const char *traceparent = get(carrier, "traceparent");
  if (!traceparent) {
    census__context_reset(context);
    return CENSUS_ENOTFOUND;
  }
  if (!tp_parse_nul(traceparent, context)) {
    /* The parse's only refusal. W3C: a vendor that failed to parse traceparent MUST NOT parse
     * tracestate. */
    return CENSUS_EINVAL;
  }
  const char *tracestate = get(carrier, "tracestate");
  if (tracestate) {
    tp_extract_tracestate(tracestate, context, report);
  }
  return CENSUS_OK;
}

/* census_traceparent_extract() with a report or a NULL argument. */
__attribute__((noinline)) static census_status
tp_extract_checked(census_header_get_fn get, void *carrier, census_trace_context *context,
                   census_tracestate_report *report) {
  if (report) {
    *report = (census_tracestate_report){.status = CENSUS_ENOTFOUND};
  }
  if (!context) {
    return CENSUS_EINVAL;
  }
  if (!get) {
    census__context_reset(context);
    return CENSUS_EINVAL;
  }
  return tp_extract_from(get, carrier, context, report);
}

/* The common call (no report, no NULL) keeps three registers across the getter and the parse;
 * the rest goes to tp_extract_checked(). */
CENSUS_EXPORT census_status census_traceparent_extract(census_header_get_fn get, void *carrier,
                                                       census_trace_context *context,
                                                       census_tracestate_report *report) {
  if (report || !context || !get) {
    return tp_extract_checked(get, carrier, context, report);
  }
  return tp_extract_from(get, carrier, context, NULL);
}
