/* span_data.c - the read-only view exporters get of an ended span (the record itself). */
#include <stddef.h>
#include <string.h>

#include "trace/span_internal.h"

static void attribute_out(const struct census__attr *a, census_attribute *out) {
  memset(out, 0, sizeof *out);
  out->key = a->key;
  out->type = a->type;
  switch (a->type) {
  case CENSUS_ATTRIBUTE_STRING:
    out->string_value = a->value.s;
    break;
  case CENSUS_ATTRIBUTE_INT64:
    out->int_value = a->value.i;
    break;
  case CENSUS_ATTRIBUTE_DOUBLE:
    out->double_value = a->value.d;
    break;
  case CENSUS_ATTRIBUTE_BOOL:
    out->bool_value = a->value.b;
    break;
  default: /* the array types: the pointer members share one storage */
    out->string_values = a->value.array;
    out->value_count = a->count;
    break;
  }
}

CENSUS_EXPORT const char *census_span_data_name(const census_span_data *s) {
  return s ? s->name : NULL;
}

/* Copies the ids, flags and the tracestate up to its NUL, not the whole 513-byte array: exporters
 * call this for every span, and the unused tail of the array was most of the cache lines an
 * encoder read per span (9 of about 24 first-level misses per span in otlp_encode_per_span). */
CENSUS_EXPORT void census_span_data_context(const census_span_data *s, census_trace_context *c) {
  if (s && c) {
    memcpy(c, &s->context, offsetof(census_trace_context, tracestate));
    size_t n = strnlen(s->context.tracestate, sizeof c->tracestate - 1);
    memcpy(c->tracestate, s->context.tracestate, n);
    c->tracestate[n] = '\0';
  }
}

CENSUS_EXPORT bool census_span_data_parent(const census_span_data *s, uint8_t id[8], bool *remote) {
  if (!s || !s->has_parent) {
    return false;
  }
  if (id) {
    memcpy(id, s->parent_span_id, CENSUS_SPAN_ID_SIZE);
  }
  if (remote) {
    *remote = s->parent_remote;
  }
  return true;
}

CENSUS_EXPORT census_span_kind census_span_data_kind(const census_span_data *s) {
  return s ? s->kind : CENSUS_SPAN_KIND_INTERNAL;
}
CENSUS_EXPORT int64_t census_span_data_start_time_ns(const census_span_data *s) {
  return s ? s->start_ns : 0;
}
CENSUS_EXPORT int64_t census_span_data_end_time_ns(const census_span_data *s) {
  return s ? s->end_ns : 0;
}

CENSUS_EXPORT census_span_status_code census_span_data_status(const census_span_data *s,
                                                              const char **message) {
  if (message) {
    *message = s ? s->status_message : "";
  }
  return s ? s->status : CENSUS_SPAN_STATUS_UNSET;
}

CENSUS_EXPORT size_t census_span_data_attribute_count(const census_span_data *s) {
  return s ? s->attr_count : 0;
}

CENSUS_EXPORT census_status census_span_data_attribute(const census_span_data *s, size_t i,
                                                       census_attribute *out) {
  if (!s || !out) {
    return CENSUS_EINVAL;
  }
  if (i >= s->attr_count) {
    return CENSUS_ENOTFOUND;
  }
  attribute_out(&s->attrs[i], out);
  return CENSUS_OK;
}

CENSUS_EXPORT size_t census_span_data_event_count(const census_span_data *s) {
  return s ? s->event_count : 0;
}

CENSUS_EXPORT census_status census_span_data_event(const census_span_data *s, size_t i,
                                                   const char **name, int64_t *time_ns,
                                                   size_t *attribute_count) {
  if (!s) {
    return CENSUS_EINVAL;
  }
  if (i >= s->event_count) {
    return CENSUS_ENOTFOUND;
  }
  if (name) {
    *name = s->events[i].name;
  }
  if (time_ns) {
    *time_ns = s->events[i].time_ns;
  }
  if (attribute_count) {
    *attribute_count = s->events[i].attr_count;
  }
  return CENSUS_OK;
}

CENSUS_EXPORT census_status census_span_data_event_attribute(const census_span_data *s,
                                                             size_t event, size_t i,
                                                             census_attribute *out) {
  if (!s || !out) {
    return CENSUS_EINVAL;
  }
  if (event >= s->event_count || i >= s->events[event].attr_count) {
    return CENSUS_ENOTFOUND;
  }
  attribute_out(&s->events[event].attrs[i], out);
  return CENSUS_OK;
}

CENSUS_EXPORT size_t census_span_data_link_count(const census_span_data *s) {
  return s ? s->link_count : 0;
}

CENSUS_EXPORT census_status census_span_data_link(const census_span_data *s, size_t i,
                                                  census_trace_context *out) {
  if (!s || !out) {
    return CENSUS_EINVAL;
  }
  if (i >= s->link_count) {
    return CENSUS_ENOTFOUND;
  }
  const struct census__link *l = &s->links[i];
  memset(out, 0, sizeof *out);
  memcpy(out->trace_id, l->trace_id, sizeof l->trace_id);
  memcpy(out->span_id, l->span_id, sizeof l->span_id);
  out->trace_flags = l->trace_flags;
  strncpy(out->tracestate, l->tracestate, CENSUS_TRACESTATE_MAX_LENGTH);
  return CENSUS_OK;
}

CENSUS_EXPORT uint32_t census_span_data_dropped_attributes(const census_span_data *s) {
  return s ? s->dropped_attrs : 0;
}
CENSUS_EXPORT uint32_t census_span_data_dropped_events(const census_span_data *s) {
  return s ? s->dropped_events : 0;
}
CENSUS_EXPORT uint32_t census_span_data_dropped_links(const census_span_data *s) {
  return s ? s->dropped_links : 0;
}

CENSUS_EXPORT bool census_trace_context_is_valid(const census_trace_context *c) {
  if (!c) {
    return false;
  }
  uint8_t trace = 0, span = 0;
  for (int i = 0; i < CENSUS_TRACE_ID_SIZE; i++) {
    trace |= c->trace_id[i];
  }
  for (int i = 0; i < CENSUS_SPAN_ID_SIZE; i++) {
    span |= c->span_id[i];
  }
  return trace && span;
}

CENSUS_EXPORT bool census_trace_context_is_sampled(const census_trace_context *c) {
  return c && (c->trace_flags & CENSUS_TRACE_FLAG_SAMPLED);
}

CENSUS_EXPORT bool census_trace_context_is_random(const census_trace_context *c) {
  return c && (c->trace_flags & CENSUS_TRACE_FLAG_RANDOM);
}
