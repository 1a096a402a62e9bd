/* zipkin_encode.c - census spans to Zipkin v2 JSON (zipkin2-api.yaml, ListOfSpans).
 *
 * The mapping is the OpenTelemetry "Zipkin exporter" transformation:
 *  - traceId (32 hex), id (16 hex) and parentId (16 hex, omitted for roots), lowercase;
 *  - kind CLIENT/SERVER/PRODUCER/CONSUMER, omitted for INTERNAL (a local span in Zipkin terms);
 *  - timestamp = start in epoch microseconds (truncated), duration = end minus start in whole
 *    microseconds of the truncated times, at least 1 (Zipkin rounds sub-microsecond durations up);
 *  - attributes become tags, every value a string: bool "true"/"false", int64 in decimal, double
 *    in the shortest form that reads back exactly (span_fields.h, shared with Cloud Trace);
 *  - events become annotations at their time: the value is the event name, or, when the event has
 *    attributes, `"<name>":{<attributes as a JSON object>}` (the OpenTelemetry form);
 *  - status: tag otel.status_code "OK" or "ERROR" (none when unset) and, for ERROR, tag error with
 *    the description (possibly ""); tag otel.scope.name "census"; dropped counts as tags
 *    otel.dropped_{attributes,events,links}_count when not zero;
 *  - links and tracestate have no Zipkin field and are not sent; shared and debug are not used.
 * Tags are a JSON object, so an attribute whose key equals one of the tags above that the encoder
 * writes for the span is left out (the exporter's tag wins) rather than producing a duplicate key.
 * Invariant: the output is always one complete JSON array, or the buffer is marked failed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_writer.h"
#include "span_fields.h"
#include "zipkin_internal.h"

/* Writes an attribute's value as a tag string; an array is a string holding its JSON array, as
 * OpenTelemetry's Zipkin mapping says (e.g. "[\"a\",\"b\"]", "[1,2]"). */
static void write_tag_value(census_json *j, const census_attribute *a) {
  char num[32];
  if (census__attribute_is_array(a)) {
    census_buf text = CENSUS_BUF_INIT; /* the JSON text (span_fields.h); "" if memory ran out */
    census__attribute_array_json(&text, a);
    census__json_string_n(j, text.data ? text.data : "", text.data ? text.len : 0);
    census__buf_free(&text);
    return;
  }
  switch (a->type) {
  case CENSUS_ATTRIBUTE_STRING:
    census__json_string(j, a->string_value ? a->string_value : "");
    return;
  case CENSUS_ATTRIBUTE_INT64:
    snprintf(num, sizeof num, "%" PRId64, a->int_value);
    break;
  case CENSUS_ATTRIBUTE_DOUBLE:
    census__span_format_double(a->double_value, num);
    break;
  case CENSUS_ATTRIBUTE_BOOL:
    strcpy(num, a->bool_value ? "true" : "false");
    break;
  default:
    num[0] = '\0';
    break;
  }
  census__json_string(j, num);
}

/* Writes an attribute's value with its JSON type, for the attribute object inside an event
 * annotation. */
static void write_json_value(census_json *j, const census_attribute *a) {
  if (census__attribute_is_array(a)) {
    census__attribute_array_write(j, a); /* a JSON array in the annotation's object */
    return;
  }
  switch (a->type) {
  case CENSUS_ATTRIBUTE_STRING:
    census__json_string(j, a->string_value ? a->string_value : "");
    break;
  case CENSUS_ATTRIBUTE_INT64:
    census__json_int64(j, a->int_value);
    break;
  case CENSUS_ATTRIBUTE_DOUBLE:
    census__json_double(j, a->double_value);
    break;
  case CENSUS_ATTRIBUTE_BOOL:
    census__json_bool(j, a->bool_value);
    break;
  default:
    census__json_null(j);
    break;
  }
}

/* One annotation; the value for an event with attributes is built in `scratch` first. */
static void write_annotation(census_json *j, const census_span_data *span, size_t e,
                             census_buf *scratch) {
  const char *name = NULL;
  int64_t time_ns = 0;
  size_t attribute_count = 0;
  if (census_span_data_event(span, e, &name, &time_ns, &attribute_count) != CENSUS_OK)
    return;
  census__json_object_begin(j);
  census__json_kv_int64(j, "timestamp", time_ns / 1000);
  census__json_key(j, "value");
  if (attribute_count == 0) {
    census__json_string(j, name ? name : "");
  } else {
    census__buf_reset(scratch);
    census_json inner;
    census__json_init(&inner, scratch);
    /* `"name":{...}`: a key/value pair, as the OpenTelemetry mapping writes it. */
    census__json_object_begin(&inner);
    census__json_key(&inner, name ? name : "");
    census__json_object_begin(&inner);
    for (size_t i = 0; i < attribute_count; i++) {
      census_attribute a;
      if (census_span_data_event_attribute(span, e, i, &a) != CENSUS_OK)
        continue;
      census__json_key(&inner, a.key);
      write_json_value(&inner, &a);
    }
    census__json_object_end(&inner);
    census__json_object_end(&inner);
    /* Strip the outer braces: the value is the pair itself. */
    if (!scratch->failed && scratch->len >= 2)
      census__json_string_n(j, scratch->data + 1, scratch->len - 2);
    else
      census__json_string(j, name ? name : "");
  }
  census__json_object_end(j);
}

/* True if the encoder itself writes tag `key` for this span (so the attribute must yield). */
static bool is_reserved_tag(const char *key, census_span_status_code code,
                            const uint32_t dropped[3], const char *const dropped_keys[3]) {
  if (strcmp(key, "otel.scope.name") == 0)
    return true;
  if (code != CENSUS_SPAN_STATUS_UNSET && strcmp(key, "otel.status_code") == 0)
    return true;
  if (code == CENSUS_SPAN_STATUS_ERROR && strcmp(key, "error") == 0)
    return true;
  for (int k = 0; k < 3; k++)
    if (dropped[k] != 0 && strcmp(key, dropped_keys[k]) == 0)
      return true;
  return false;
}

/* The "tags" object: the attributes as strings, then the tags the exporter writes itself
 * (status, scope, dropped counts), which win over an attribute of the same key. */
static void write_tags(census_json *j, const census_span_data *span) {
  const char *message = NULL;
  census_span_status_code code = census_span_data_status(span, &message);
  static const char *const dropped_keys[3] = {
      "otel.dropped_attributes_count", "otel.dropped_events_count", "otel.dropped_links_count"};
  uint32_t dropped[3] = {census_span_data_dropped_attributes(span),
                         census_span_data_dropped_events(span),
                         census_span_data_dropped_links(span)};
  census__json_key(j, "tags");
  census__json_object_begin(j);
  size_t attributes = census_span_data_attribute_count(span);
  for (size_t i = 0; i < attributes; i++) {
    census_attribute a;
    if (census_span_data_attribute(span, i, &a) != CENSUS_OK || !a.key)
      continue;
    if (is_reserved_tag(a.key, code, dropped, dropped_keys))
      continue;
    census__json_key(j, a.key);
    write_tag_value(j, &a);
  }
  if (code == CENSUS_SPAN_STATUS_OK)
    census__json_kv_string(j, "otel.status_code", "OK");
  if (code == CENSUS_SPAN_STATUS_ERROR) {
    census__json_kv_string(j, "otel.status_code", "ERROR");
    census__json_kv_string(j, "error", message ? message : "");
  }
  census__json_kv_string(j, "otel.scope.name", "census");
  char num[24];
  for (int k = 0; k < 3; k++) {
    if (dropped[k] == 0)
      continue;
    snprintf(num, sizeof num, "%" PRIu32, dropped[k]);
    census__json_kv_string(j, dropped_keys[k], num);
  }
  census__json_object_end(j);
}

static void write_span(census_json *j, const census_span_data *span,
                       const census_zipkin_endpoint *local, census_buf *scratch) {
  census_trace_context ctx;
  census_span_data_context(span, &ctx);
  census__json_object_begin(j);
  census__json_key(j, "traceId");
  census__json_hex(j, ctx.trace_id, CENSUS_TRACE_ID_SIZE);
  census__json_key(j, "id");
  census__json_hex(j, ctx.span_id, CENSUS_SPAN_ID_SIZE);
  uint8_t parent[CENSUS_SPAN_ID_SIZE];
  bool parent_remote = false;
  if (census_span_data_parent(span, parent, &parent_remote)) {
    census__json_key(j, "parentId");
    census__json_hex(j, parent, CENSUS_SPAN_ID_SIZE);
  }
  const char *name = census_span_data_name(span);
  census__json_kv_string(j, "name", name ? name : "");
  /* INTERNAL is a local span in Zipkin terms: no kind (nor for an unknown value). */
  census_span_kind kind = census_span_data_kind(span);
  const char *kind_name = census__span_kind_name(kind);
  if (kind != CENSUS_SPAN_KIND_INTERNAL && kind_name)
    census__json_kv_string(j, "kind", kind_name);
  int64_t start_us = census_span_data_start_time_ns(span) / 1000;
  int64_t end_us = census_span_data_end_time_ns(span) / 1000;
  int64_t duration = end_us - start_us;
  census__json_kv_int64(j, "timestamp", start_us);
  census__json_kv_int64(j, "duration", duration >= 1 ? duration : 1);

  census__json_key(j, "localEndpoint");
  census__json_object_begin(j);
  if (local && local->service_name)
    census__json_kv_string(j, "serviceName", local->service_name);
  if (local && local->ipv4)
    census__json_kv_string(j, "ipv4", local->ipv4);
  if (local && local->ipv6)
    census__json_kv_string(j, "ipv6", local->ipv6);
  if (local && local->port)
    census__json_kv_int64(j, "port", local->port);
  census__json_object_end(j);

  size_t events = census_span_data_event_count(span);
  if (events > 0) {
    census__json_key(j, "annotations");
    census__json_array_begin(j);
    for (size_t e = 0; e < events; e++)
      write_annotation(j, span, e, scratch);
    census__json_array_end(j);
  }

  write_tags(j, span);
  census__json_object_end(j);
}

census_status census__zipkin_encode(const census_span_data *const *spans, size_t count,
                                    const census_zipkin_endpoint *local, census_buf *out) {
  if (!out || (count > 0 && !spans))
    return CENSUS_EINVAL;
  census_buf scratch = CENSUS_BUF_INIT;
  census_json j;
  census__json_init(&j, out);
  census__json_array_begin(&j);
  for (size_t i = 0; i < count; i++)
    if (spans[i])
      write_span(&j, spans[i], local, &scratch);
  census__json_array_end(&j);
  census__buf_free(&scratch);
  return out->failed ? CENSUS_ENOMEM : CENSUS_OK;
}
