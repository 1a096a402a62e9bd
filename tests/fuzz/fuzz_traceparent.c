/* fuzz_traceparent.c - libFuzzer target for the W3C Trace Context parsers (Level 2) and the
 * header joiner.
 *
 * The input is split at '\n' into segments. The first is parsed as traceparent and the second as
 * tracestate, both with explicit lengths (so NULs and bytes past a NUL are seen). Then every
 * segment is handed over as a header field line, the way a server library lists them: the first
 * as a traceparent line, the others as tracestate lines (NUL-terminated copies), read through
 * census_header_joiner_get() by census_traceparent_extract(). Invariants:
 * - a traceparent parse either succeeds with a valid context or fails with an invalid one; what
 *   parses carries no reserved flag bit, formats and re-parses to the same context;
 * - the tracestate report agrees with the return value: a discarded value names a problem and a
 *   member inside the input, and leaves "" behind; a kept value names no problem;
 * - a canonical tracestate is a fixed point of the parser (nothing dropped the second time: no
 *   repeated key survives), fits its buffer;
 * - extract through the joiner gives the traceparent parse's answer for the first line, and the
 *   tracestate parse's answer for the lines joined with ',' (RFC 9110 5.3);
 * - every diagnostic is bounded (at most 32 bytes of a member are quoted, whatever its size);
 * - the parse this CPU uses (AVX2 where it has it) agrees with the general one.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "census/census.h"
#include "census/propagation.h"
#include "fuzz_common.h"
#include "propagation/traceparent_ids.h"

#define MAX_LINES 8

static bool valid(const census_trace_context *c) {
  uint8_t t = 0, s = 0;
  for (int i = 0; i < CENSUS_TRACE_ID_SIZE; i++) {
    t |= c->trace_id[i];
  }
  for (int i = 0; i < CENSUS_SPAN_ID_SIZE; i++) {
    s |= c->span_id[i];
  }
  return t && s;
}

static void check_diagnostic(void *user, census_status status, const char *message) {
  (void)user;
  (void)status;
  FUZZ_CHECK(strlen(message) < 400);
}

struct lines {
  char *value[MAX_LINES];
  size_t count;
};

/* The first line is the traceparent field line, the others tracestate field lines. */
static void each(void *carrier, const char *name, census_header_visit_fn visit, void *state) {
  struct lines *l = carrier;
  bool parent = strcmp(name, "traceparent") == 0;
  if (!parent && strcmp(name, "tracestate") != 0) {
    return;
  }
  for (size_t i = parent ? 0 : 1; i < (parent ? 1 : l->count); i++) {
    visit(state, l->value[i]);
  }
}

/* Checks a tracestate parse of value[0..length) and returns its status; `out` gets the result. */
static census_status check_tracestate(const char *value, size_t length,
                                      char out[CENSUS_TRACESTATE_MAX_LENGTH + 1]) {
  census_tracestate_report r;
  census_status status = census_tracestate_parse(value, length, out, &r);
  FUZZ_CHECK(status == CENSUS_OK || status == CENSUS_EINVAL);
  FUZZ_CHECK(r.status == status);
  size_t n = strlen(out);
  FUZZ_CHECK(n <= CENSUS_TRACESTATE_MAX_LENGTH);
  if (status == CENSUS_OK) {
    FUZZ_CHECK(r.problem == CENSUS_TRACESTATE_PROBLEM_NONE);
    char again[CENSUS_TRACESTATE_MAX_LENGTH + 1];
    census_tracestate_report r2;
    FUZZ_CHECK(census_tracestate_parse(out, n, again, &r2) == CENSUS_OK);
    FUZZ_CHECK(strcmp(again, out) == 0);
    FUZZ_CHECK(r2.duplicates == 0 && r2.truncated == 0);
  } else {
    FUZZ_CHECK(n == 0);
    FUZZ_CHECK(r.problem > CENSUS_TRACESTATE_PROBLEM_NULL &&
               r.problem <= CENSUS_TRACESTATE_PROBLEM_VALUE);
    FUZZ_CHECK(r.offset + r.length <= length && r.length > 0);
    FUZZ_CHECK(r.duplicates == 0 && r.truncated == 0);
  }
  return status;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static bool once;
  if (!once) {
    census_diagnostics_set_callback(check_diagnostic, NULL);
    once = true;
  }
  const char *text = (const char *)data;
  const char *newline = memchr(text, '\n', size);
  size_t tp_length = newline ? (size_t)(newline - text) : size;

  /* The parse this CPU uses (AVX2 for the common value where it has it) against the general
   * one (traceparent_ids.h): the same verdict and fields. */
  census_trace_context general, fast;
  census_status general_status = census__traceparent_parse_general(text, tp_length, &general);
  FUZZ_CHECK(census_traceparent_parse(text, tp_length, &fast) == general_status);
  FUZZ_CHECK(memcmp(fast.trace_id, general.trace_id, CENSUS_TRACE_ID_SIZE) == 0 &&
             memcmp(fast.span_id, general.span_id, CENSUS_SPAN_ID_SIZE) == 0 &&
             fast.trace_flags == general.trace_flags && fast.remote == general.remote &&
             fast.tracestate[0] == general.tracestate[0]);

  census_trace_context ctx;
  census_status status = census_traceparent_parse(text, tp_length, &ctx);
  FUZZ_CHECK(status == CENSUS_OK || status == CENSUS_EINVAL);
  FUZZ_CHECK(valid(&ctx) == (status == CENSUS_OK));
  if (status == CENSUS_OK) {
    FUZZ_CHECK((ctx.trace_flags & ~CENSUS_TRACE_FLAGS_KNOWN) == 0);
    char out[CENSUS_TRACEPARENT_LENGTH + 1];
    FUZZ_CHECK(census_traceparent_format(&ctx, out) == CENSUS_OK);
    FUZZ_CHECK(strlen(out) == CENSUS_TRACEPARENT_LENGTH);
    census_trace_context again;
    FUZZ_CHECK(census_traceparent_parse(out, strlen(out), &again) == CENSUS_OK);
    FUZZ_CHECK(memcmp(again.trace_id, ctx.trace_id, CENSUS_TRACE_ID_SIZE) == 0);
    FUZZ_CHECK(memcmp(again.span_id, ctx.span_id, CENSUS_SPAN_ID_SIZE) == 0);
    FUZZ_CHECK(again.trace_flags == ctx.trace_flags);
  }

  if (newline) {
    const char *ts = newline + 1;
    const char *end = memchr(ts, '\n', size - tp_length - 1);
    size_t ts_length = end ? (size_t)(end - ts) : size - tp_length - 1;
    char canonical[CENSUS_TRACESTATE_MAX_LENGTH + 1];
    check_tracestate(ts, ts_length, canonical);
  }

  /* The segments as field lines (NUL-terminated copies, cut at an embedded NUL as a C string
   * would be), through the joiner. */
  struct lines lines = {{0}, 0};
  size_t pos = 0, joined_length = 0;
  while (lines.count < MAX_LINES && pos <= size) {
    const char *nl = memchr(text + pos, '\n', size - pos);
    size_t n = nl ? (size_t)(nl - (text + pos)) : size - pos;
    char *copy = malloc(n + 1);
    FUZZ_CHECK(copy != NULL);
    memcpy(copy, text + pos, n);
    copy[n] = '\0';
    if (lines.count) {
      joined_length += strlen(copy) + (lines.count > 1 ? 1 : 0);
    }
    lines.value[lines.count++] = copy;
    if (!nl) {
      break;
    }
    pos += n + 1;
  }
  census_header_joiner joiner = {.each = each, .carrier = &lines};
  census_tracestate_report report;
  status = census_traceparent_extract(census_header_joiner_get, &joiner, &ctx, &report);
  census_trace_context direct;
  FUZZ_CHECK(status == census_traceparent_parse(lines.value[0], strlen(lines.value[0]), &direct));
  if (status == CENSUS_OK && lines.count > 1 && joined_length < CENSUS_HEADER_JOINER_CAPACITY) {
    char *joined = malloc(joined_length + 1);
    FUZZ_CHECK(joined != NULL);
    size_t o = 0;
    for (size_t i = 1; i < lines.count; i++) {
      if (i > 1) {
        joined[o++] = ',';
      }
      size_t n = strlen(lines.value[i]);
      memcpy(joined + o, lines.value[i], n);
      o += n;
    }
    joined[o] = '\0';
    FUZZ_CHECK(joiner.lines_dropped == 0);
    char canonical[CENSUS_TRACESTATE_MAX_LENGTH + 1];
    census_status ts_status = check_tracestate(joined, o, canonical);
    FUZZ_CHECK(report.status == ts_status);
    FUZZ_CHECK(strcmp(ctx.tracestate, canonical) == 0);
    free(joined);
  } else if (status == CENSUS_OK && lines.count == 1) {
    FUZZ_CHECK(report.status == CENSUS_ENOTFOUND);
  } else if (status != CENSUS_OK) {
    FUZZ_CHECK(report.status == CENSUS_ENOTFOUND && !valid(&ctx));
  }
  for (size_t i = 0; i < lines.count; i++) {
    free(lines.value[i]);
  }
  return 0;
}
