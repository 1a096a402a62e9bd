/* b3.c - Zipkin B3 propagation, single header ("b3") and multiple headers ("x-b3-*").
 *
 * B3 ids are lowercase hex at fixed lengths: a trace id of 16 or 32 characters (a 16-character id
 * is the low half of a 128-bit id, so it is left-padded with zeros), span and parent ids of 16.
 * The single form is parsed by position after locating the first '-' (at 16 or 32); no scanning
 * beyond the fixed fields, no allocation. B3 can say "debug" and "no decision", which a trace
 * flags byte cannot: both are reported through census_b3_sampling, and debug is recorded as
 * sampled in the context. Neither can say that a trace id is random, so a context read from B3
 * never has the W3C random flag (census does not invent it), and writing B3 drops it. Spaces and
 * tabs around every value are ignored (RFC 9110: they are not part of a field value).
 */
#include <string.h>

#include "census/propagation.h"
#include "propagation/hex.h"

#define B3_SHORT_TRACE_ID 16
#define B3_TRACE_ID 32
#define B3_SPAN_ID 16

/* Decodes a 16- or 32-character lowercase hex trace id into out (16 bytes), left-padding a short
 * one with zeros. */
static bool decode_trace_id(const char *s, size_t n, uint8_t out[CENSUS_TRACE_ID_SIZE]) {
  if (n == B3_TRACE_ID) {
    return census__hex_decode(false, s, CENSUS_TRACE_ID_SIZE, out);
  }
  if (n == B3_SHORT_TRACE_ID) {
    memset(out, 0, CENSUS_TRACE_ID_SIZE / 2);
    return census__hex_decode(false, s, CENSUS_TRACE_ID_SIZE / 2, out + CENSUS_TRACE_ID_SIZE / 2);
  }
  return false;
}

/* Maps a single-header sampling character; false if it is not one. */
static bool sampling_char(char c, census_b3_sampling *out) {
  switch (c) {
  case '0':
    *out = CENSUS_B3_SAMPLING_DENY;
    return true;
  case '1':
    *out = CENSUS_B3_SAMPLING_ACCEPT;
    return true;
  case 'd':
    *out = CENSUS_B3_SAMPLING_DEBUG;
    return true;
  default:
    return false;
  }
}

static void set_sampling(census_b3_sampling *out, census_b3_sampling value) {
  if (out) {
    *out = value;
  }
}

/* Completes a context whose ids are decoded: checks them and sets the flags from the decision. */
static census_status finish(census_trace_context *context, census_b3_sampling decision,
                            census_b3_sampling *sampling) {
  if (!census__context_ok(context)) {
    census__context_reset(context);
    return CENSUS_EINVAL;
  }
  context->trace_flags =
      decision == CENSUS_B3_SAMPLING_ACCEPT || decision == CENSUS_B3_SAMPLING_DEBUG
          ? CENSUS_TRACE_FLAG_SAMPLED
          : 0;
  context->remote = true;
  set_sampling(sampling, decision);
  return CENSUS_OK;
}

CENSUS_EXPORT census_status census_b3_parse(const char *value, size_t length,
                                            census_trace_context *context,
                                            census_b3_sampling *sampling) {
  census_b3_sampling decision = CENSUS_B3_SAMPLING_UNSET;
  set_sampling(sampling, decision);
  if (!context) {
    return CENSUS_EINVAL;
  }
  census__context_reset(context);
  if (!value) {
    return CENSUS_EINVAL;
  }
  census__trim_ows(&value, &length);
  if (length == 1) {
    if (!sampling_char(value[0], &decision)) {
      return CENSUS_EINVAL;
    }
    set_sampling(sampling, decision);
    return CENSUS_ENOTFOUND;
  }
  size_t trace_length;
  if (length > B3_SHORT_TRACE_ID && value[B3_SHORT_TRACE_ID] == '-') {
    trace_length = B3_SHORT_TRACE_ID;
  } else if (length > B3_TRACE_ID && value[B3_TRACE_ID] == '-') {
    trace_length = B3_TRACE_ID;
  } else {
    return CENSUS_EINVAL;
  }
  size_t pos = trace_length + 1;
  if (!decode_trace_id(value, trace_length, context->trace_id) || length - pos < B3_SPAN_ID ||
      !census__hex_decode(false, value + pos, CENSUS_SPAN_ID_SIZE, context->span_id)) {
    census__context_reset(context);
    return CENSUS_EINVAL;
  }
  pos += B3_SPAN_ID;
  if (pos < length) {
    /* "-" sampling, then optionally "-" parent span id, and nothing else. */
    uint8_t parent[CENSUS_SPAN_ID_SIZE];
    bool ok = length - pos >= 2 && value[pos] == '-' && sampling_char(value[pos + 1], &decision);
    pos += 2;
    if (ok && pos < length) {
      ok = length - pos == 1 + B3_SPAN_ID && value[pos] == '-' &&
           census__hex_decode(false, value + pos + 1, CENSUS_SPAN_ID_SIZE, parent);
    }
    if (!ok) {
      census__context_reset(context);
      return CENSUS_EINVAL;
    }
  }
  return finish(context, decision, sampling);
}

CENSUS_EXPORT census_status census_b3_format(const census_trace_context *context,
                                             char out[CENSUS_B3_MAX_LENGTH + 1]) {
  if (!census__format_begin(context, out)) {
    return CENSUS_EINVAL;
  }
  census__hex_encode(context->trace_id, CENSUS_TRACE_ID_SIZE, out);
  out[B3_TRACE_ID] = '-';
  census__hex_encode(context->span_id, CENSUS_SPAN_ID_SIZE, out + B3_TRACE_ID + 1);
  out[B3_TRACE_ID + 1 + B3_SPAN_ID] = '-';
  out[B3_TRACE_ID + 2 + B3_SPAN_ID] =
      (context->trace_flags & CENSUS_TRACE_FLAG_SAMPLED) ? '1' : '0';
  out[B3_TRACE_ID + 3 + B3_SPAN_ID] = '\0';
  return CENSUS_OK;
}

CENSUS_EXPORT census_status census_b3_inject(const census_trace_context *context,
                                             census_b3_form form, census_header_set_fn set,
                                             void *carrier) {
  char single[CENSUS_B3_MAX_LENGTH + 1];
  if (!set || (form != CENSUS_B3_SINGLE && form != CENSUS_B3_MULTI) ||
      census_b3_format(context, single) != CENSUS_OK) {
    return CENSUS_EINVAL;
  }
  if (form == CENSUS_B3_SINGLE) {
    set(carrier, "b3", single);
    return CENSUS_OK;
  }
  char trace_id[B3_TRACE_ID + 1], span_id[B3_SPAN_ID + 1];
  memcpy(trace_id, single, B3_TRACE_ID);
  trace_id[B3_TRACE_ID] = '\0';
  memcpy(span_id, single + B3_TRACE_ID + 1, B3_SPAN_ID);
  span_id[B3_SPAN_ID] = '\0';
  set(carrier, "x-b3-traceid", trace_id);
  set(carrier, "x-b3-spanid", span_id);
  set(carrier, "x-b3-sampled", (context->trace_flags & CENSUS_TRACE_FLAG_SAMPLED) ? "1" : "0");
  return CENSUS_OK;
}

/* A header value with the spaces and tabs around it left out (text NULL when absent). */
struct field {
  const char *text;
  size_t length;
};

static struct field read_field(census_header_get_fn get, void *carrier, const char *name) {
  struct field f = {get(carrier, name), 0};
  if (f.text) {
    f.length = strlen(f.text);
    census__trim_ows(&f.text, &f.length);
  }
  return f;
}

static bool field_is(struct field f, const char *word) {
  return f.text && f.length == strlen(word) && memcmp(f.text, word, f.length) == 0;
}

/* Reads the multi-header form. x-b3-flags: 1 (debug) wins over x-b3-sampled, as the B3 spec
 * says debug implies accept. An x-b3-sampled value other than 1, 0, true, false is malformed. */
static census_status extract_multi(census_header_get_fn get, void *carrier,
                                   census_trace_context *context, census_b3_sampling *sampling,
                                   bool single_was_bad) {
  struct field trace_id = read_field(get, carrier, "x-b3-traceid");
  struct field span_id = read_field(get, carrier, "x-b3-spanid");
  struct field parent = read_field(get, carrier, "x-b3-parentspanid");
  struct field sampled = read_field(get, carrier, "x-b3-sampled");
  struct field flags = read_field(get, carrier, "x-b3-flags");
  census_b3_sampling decision = CENSUS_B3_SAMPLING_UNSET;
  bool bad = false;
  if (field_is(flags, "1")) {
    decision = CENSUS_B3_SAMPLING_DEBUG;
  } else if (sampled.text) {
    if (field_is(sampled, "1") || field_is(sampled, "true")) {
      decision = CENSUS_B3_SAMPLING_ACCEPT;
    } else if (field_is(sampled, "0") || field_is(sampled, "false")) {
      decision = CENSUS_B3_SAMPLING_DENY;
    } else {
      bad = true;
    }
  }
  if (!trace_id.text && !span_id.text && !bad) {
    set_sampling(sampling, decision);
    return single_was_bad && decision == CENSUS_B3_SAMPLING_UNSET ? CENSUS_EINVAL
                                                                  : CENSUS_ENOTFOUND;
  }
  uint8_t parent_id[CENSUS_SPAN_ID_SIZE];
  if (bad || !trace_id.text || !span_id.text ||
      !decode_trace_id(trace_id.text, trace_id.length, context->trace_id) ||
      span_id.length != B3_SPAN_ID ||
      !census__hex_decode(false, span_id.text, CENSUS_SPAN_ID_SIZE, context->span_id) ||
      (parent.text && (parent.length != B3_SPAN_ID ||
                       !census__hex_decode(false, parent.text, CENSUS_SPAN_ID_SIZE, parent_id)))) {
    census__context_reset(context);
    return CENSUS_EINVAL;
  }
  return finish(context, decision, sampling);
}

CENSUS_EXPORT census_status census_b3_extract(census_header_get_fn get, void *carrier,
                                              census_trace_context *context,
                                              census_b3_sampling *sampling) {
  set_sampling(sampling, CENSUS_B3_SAMPLING_UNSET);
  if (!context) {
    return CENSUS_EINVAL;
  }
  census__context_reset(context);
  if (!get) {
    return CENSUS_EINVAL;
  }
  const char *single = get(carrier, "b3");
  if (single) {
    census_status status = census_b3_parse(single, strlen(single), context, sampling);
    if (status != CENSUS_EINVAL) {
      return status;
    }
  }
  return extract_multi(get, carrier, context, sampling, single != NULL);
}
