/* cloud_trace_encode.c - census spans to a Cloud Trace v2 BatchWriteSpansRequest (REST JSON,
 * proto3 JSON mapping of google.devtools.cloudtrace.v2).
 *
 * Per span: name "projects/<p>/traces/<32 hex>/spans/<16 hex>", spanId, parentSpanId (children
 * only), displayName (TruncatableString), startTime/endTime (RFC 3339, ns), attributes, timeEvents
 * (events as annotations), links, status, sameProcessAsParentSpan (children only: false when the
 * parent context came from another process) and spanKind.
 *
 * Limits are applied here so that Cloud Trace never refuses a batch for one oversized span:
 * strings longer than their limit are cut at a UTF-8 boundary, and the bytes cut are reported in
 * truncatedByteCount; attribute keys longer than 128 bytes are dropped (a cut key could collide
 * with another), as are attributes beyond 32 per span (the agent attribute, always first, takes
 * one slot) and per annotation, annotations beyond 32 and links beyond 128; each is added to the
 * matching dropped* count, on top of what census's own span limits already dropped.
 * AttributeValue has no double: doubles are sent as strings in the shortest exact form
 * (OpenCensus exporters did the same). OpenTelemetry status maps to google.rpc.Status: UNSET
 * omitted, OK code 0, ERROR code 2 (UNKNOWN) with the description.
 * Invariant: the output is one complete JSON object, or the buffer is marked failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud_trace_internal.h"
#include "json_writer.h"
#include "span_fields.h"
#include "utf8.h"

/* {"value": <at most limit bytes>, "truncatedByteCount": <bytes cut>} (count omitted when 0). */
static void write_truncatable(census_json *j, const char *s, size_t limit) {
  if (!s)
    s = "";
  size_t len = strlen(s);
  size_t kept = census__utf8_prefix(s, len, limit);
  census__json_object_begin(j);
  census__json_key(j, "value");
  census__json_string_n(j, s, kept);
  if (kept < len)
    census__json_kv_int64(j, "truncatedByteCount", (int64_t)(len - kept));
  census__json_object_end(j);
}

static void write_attribute_value(census_json *j, const census_attribute *a) {
  char num[32];
  census__json_object_begin(j);
  switch (a->type) {
  case CENSUS_ATTRIBUTE_INT64:
    census__json_kv_int64_string(j, "intValue", a->int_value);
    break;
  case CENSUS_ATTRIBUTE_BOOL:
    census__json_kv_bool(j, "boolValue", a->bool_value);
    break;
  case CENSUS_ATTRIBUTE_DOUBLE:
    census__span_format_double(a->double_value, num);
    census__json_key(j, "stringValue");
    write_truncatable(j, num, CENSUS_CLOUD_TRACE_MAX_VALUE);
    break;
  case CENSUS_ATTRIBUTE_STRING_ARRAY:
  case CENSUS_ATTRIBUTE_INT64_ARRAY:
  case CENSUS_ATTRIBUTE_DOUBLE_ARRAY:
  case CENSUS_ATTRIBUTE_BOOL_ARRAY: {
    /* Cloud Trace's AttributeValue has no arrays: the JSON array as a string, as OpenTelemetry's
     * mapping to non-OTLP formats says (its Go and Python Cloud Trace exporters leave arrays out
     * instead), truncated like any string value. */
    census_buf text = CENSUS_BUF_INIT;
    census__attribute_array_json(&text, a);
    census__json_key(j, "stringValue");
    write_truncatable(j, text.data && !text.failed ? text.data : "", CENSUS_CLOUD_TRACE_MAX_VALUE);
    census__buf_free(&text);
    break;
  }
  case CENSUS_ATTRIBUTE_STRING:
  default:
    census__json_key(j, "stringValue");
    write_truncatable(j, a->string_value, CENSUS_CLOUD_TRACE_MAX_VALUE);
    break;
  }
  census__json_object_end(j);
}

/* Fetches attribute i of a span (event < 0) or of event `event`. */
static census_status get_attribute(const census_span_data *span, long event, size_t i,
                                   census_attribute *a) {
  if (event < 0)
    return census_span_data_attribute(span, i, a);
  return census_span_data_event_attribute(span, (size_t)event, i, a);
}

/* Writes an Attributes message from a span's (event < 0) or an event's attributes, after the
 * agent attribute when `agent` is not NULL. `already_dropped` is what census dropped. */
static void write_attributes(census_json *j, const census_span_data *span, long event, size_t count,
                             const char *agent, uint32_t already_dropped) {
  uint64_t dropped = already_dropped;
  size_t written = 0;
  census__json_object_begin(j);
  census__json_key(j, "attributeMap");
  census__json_object_begin(j);
  if (agent) {
    census__json_key(j, CENSUS_CLOUD_TRACE_AGENT_KEY);
    census__json_object_begin(j);
    census__json_key(j, "stringValue");
    write_truncatable(j, agent, CENSUS_CLOUD_TRACE_MAX_VALUE);
    census__json_object_end(j);
    written++;
  }
  for (size_t i = 0; i < count; i++) {
    census_attribute a;
    if (get_attribute(span, event, i, &a) != CENSUS_OK || !a.key)
      continue;
    if (written >= CENSUS_CLOUD_TRACE_MAX_ATTRIBUTES ||
        strlen(a.key) > CENSUS_CLOUD_TRACE_MAX_KEY ||
        (agent && strcmp(a.key, CENSUS_CLOUD_TRACE_AGENT_KEY) == 0)) {
      dropped++;
      continue;
    }
    census__json_key(j, a.key);
    write_attribute_value(j, &a);
    written++;
  }
  census__json_object_end(j);
  if (dropped > 0)
    census__json_kv_int64(j, "droppedAttributesCount", (int64_t)dropped);
  census__json_object_end(j);
}

static void write_time_events(census_json *j, const census_span_data *span) {
  size_t events = census_span_data_event_count(span);
  uint64_t dropped = census_span_data_dropped_events(span);
  if (events == 0 && dropped == 0)
    return;
  census__json_key(j, "timeEvents");
  census__json_object_begin(j);
  census__json_key(j, "timeEvent");
  census__json_array_begin(j);
  for (size_t e = 0; e < events; e++) {
    const char *name = NULL;
    int64_t time_ns = 0;
    size_t attribute_count = 0;
    if (census_span_data_event(span, e, &name, &time_ns, &attribute_count) != CENSUS_OK)
      continue;
    if (e >= CENSUS_CLOUD_TRACE_MAX_ANNOTATIONS) {
      dropped++;
      continue;
    }
    census__json_object_begin(j);
    census__json_key(j, "time");
    census__json_timestamp(j, time_ns);
    census__json_key(j, "annotation");
    census__json_object_begin(j);
    census__json_key(j, "description");
    write_truncatable(j, name, CENSUS_CLOUD_TRACE_MAX_VALUE);
    if (attribute_count > 0) {
      census__json_key(j, "attributes");
      write_attributes(j, span, (long)e, attribute_count, NULL, 0);
    }
    census__json_object_end(j);
    census__json_object_end(j);
  }
  census__json_array_end(j);
  if (dropped > 0)
    census__json_kv_int64(j, "droppedAnnotationsCount", (int64_t)dropped);
  census__json_object_end(j);
}

static void write_links(census_json *j, const census_span_data *span) {
  size_t links = census_span_data_link_count(span);
  uint64_t dropped = census_span_data_dropped_links(span);
  if (links == 0 && dropped == 0)
    return;
  census__json_key(j, "links");
  census__json_object_begin(j);
  census__json_key(j, "link");
  census__json_array_begin(j);
  for (size_t i = 0; i < links; i++) {
    census_trace_context linked;
    if (census_span_data_link(span, i, &linked) != CENSUS_OK)
      continue;
    if (i >= CENSUS_CLOUD_TRACE_MAX_LINKS) {
      dropped++;
      continue;
    }
    census__json_object_begin(j);
    census__json_key(j, "traceId");
    census__json_hex(j, linked.trace_id, CENSUS_TRACE_ID_SIZE);
    census__json_key(j, "spanId");
    census__json_hex(j, linked.span_id, CENSUS_SPAN_ID_SIZE);
    census__json_object_end(j);
  }
  census__json_array_end(j);
  if (dropped > 0)
    census__json_kv_int64(j, "droppedLinksCount", (int64_t)dropped);
  census__json_object_end(j);
}

static void write_span(census_json *j, census_buf *name_buf, const census_span_data *span,
                       const char *project, const char *agent) {
  census_trace_context ctx;
  census_span_data_context(span, &ctx);
  char trace_hex[33], span_hex[17];
  for (int i = 0; i < CENSUS_TRACE_ID_SIZE; i++)
    sprintf(trace_hex + 2 * i, "%02x", ctx.trace_id[i]);
  for (int i = 0; i < CENSUS_SPAN_ID_SIZE; i++)
    sprintf(span_hex + 2 * i, "%02x", ctx.span_id[i]);

  census__json_object_begin(j);
  census__buf_reset(name_buf);
  census__buf_printf(name_buf, "projects/%s/traces/%s/spans/%s", project, trace_hex, span_hex);
  census__json_key(j, "name");
  census__json_string_n(j, name_buf->data ? name_buf->data : "", name_buf->len);
  census__json_kv_string(j, "spanId", span_hex);
  uint8_t parent[CENSUS_SPAN_ID_SIZE];
  bool parent_remote = false;
  bool has_parent = census_span_data_parent(span, parent, &parent_remote);
  if (has_parent) {
    census__json_key(j, "parentSpanId");
    census__json_hex(j, parent, CENSUS_SPAN_ID_SIZE);
  }
  census__json_key(j, "displayName");
  write_truncatable(j, census_span_data_name(span), CENSUS_CLOUD_TRACE_MAX_DISPLAY_NAME);
  census__json_key(j, "startTime");
  census__json_timestamp(j, census_span_data_start_time_ns(span));
  census__json_key(j, "endTime");
  census__json_timestamp(j, census_span_data_end_time_ns(span));
  census__json_key(j, "attributes");
  write_attributes(j, span, -1, census_span_data_attribute_count(span), agent,
                   census_span_data_dropped_attributes(span));
  write_time_events(j, span);
  write_links(j, span);
  const char *message = NULL;
  census_span_status_code code = census_span_data_status(span, &message);
  if (code == CENSUS_SPAN_STATUS_OK) {
    census__json_key(j, "status");
    census__json_object_begin(j);
    census__json_kv_int64(j, "code", 0);
    census__json_object_end(j);
  } else if (code == CENSUS_SPAN_STATUS_ERROR) {
    census__json_key(j, "status");
    census__json_object_begin(j);
    census__json_kv_int64(j, "code", 2); /* google.rpc.Code UNKNOWN */
    if (message && *message)
      census__json_kv_string(j, "message", message);
    census__json_object_end(j);
  }
  if (has_parent)
    census__json_kv_bool(j, "sameProcessAsParentSpan", !parent_remote);
  const char *kind = census__span_kind_name(census_span_data_kind(span));
  census__json_kv_string(j, "spanKind", kind ? kind : "SPAN_KIND_UNSPECIFIED");
  census__json_object_end(j);
}

census_status census__cloud_trace_encode(const census_span_data *const *spans, size_t count,
                                         const char *project, const char *agent, census_buf *out) {
  if (!project || !out || (count > 0 && !spans))
    return CENSUS_EINVAL;
  census_buf name_buf = CENSUS_BUF_INIT;
  census_json j;
  census__json_init(&j, out);
  census__json_object_begin(&j);
  census__json_key(&j, "spans");
  census__json_array_begin(&j);
  for (size_t i = 0; i < count; i++)
    if (spans[i])
      write_span(&j, &name_buf, spans[i], project, agent);
  census__json_array_end(&j);
  census__json_object_end(&j);
  bool failed = name_buf.failed;
  census__buf_free(&name_buf);
  return out->failed || failed ? CENSUS_ENOMEM : CENSUS_OK;
}
