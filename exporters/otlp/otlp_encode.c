/* otlp_encode.c - census data to OTLP request bodies, protobuf and JSON (see otlp_encode.h).
 *
 * The two encodings walk the same structure in the same order, one function per OTLP message, so
 * a reader can hold each protobuf writer next to its JSON twin. Field numbers and JSON names are
 * those of opentelemetry-proto (collector/metrics/v1, collector/trace/v1, metrics/v1, trace/v1,
 * common/v1, resource/v1). Protobuf omits proto3 defaults except oneof members (as_int 0 must be
 * present) and the optional histogram fields that census knows (sum; min/max when count > 0).
 * JSON follows the OTLP/JSON rules: lowerCamelCase keys, integer enums, hex trace/span ids and
 * 64-bit integers as decimal strings.
 */
#include "otlp_encode.h"

#include <stdint.h>
#include <string.h>

#include "census/census.h"
#include "json_writer.h"
#include "pb_writer.h"

#define SCOPE_NAME "census"
#define TEMPORALITY_DELTA 1
#define TEMPORALITY_CUMULATIVE 2
#define OVERFLOW_ATTRIBUTE "otel.metric.overflow"
/* A guess of one span's protobuf size (pb_width()). */
#define SPAN_ESTIMATE 192

/* ---- Shared pieces: attributes, resource, scope ------------------------------------------- */

/* A KeyValue (key, AnyValue) written with its lengths computed first: one reserve, no
 * backpatching. Every data point has one per label and every span one per attribute, so the two
 * nested begin()/end() pairs this replaces were a fifth of the encoders' instructions.
 * kv_measure() reads the attribute and computes the lengths, kv_put() writes the bytes: a span
 * measures all its attributes before it writes any (pb_span_sized()). */
typedef struct kv_sized {
  const char *key, *string;
  size_t key_len, string_len;
  uint64_t scalar; /* bool, int64 or the double's bits */
  size_t any;      /* the AnyValue's content: one field of the oneof */
  size_t kv;       /* the KeyValue's content */
  census_attribute_type type;
  /* The array types: the elements (the span data's, valid through the encode; the attribute
   * itself may be the caller's local), their count and the ArrayValue's content length. */
  const void *array;
  size_t array_count, array_len;
} kv_sized;

/* ---- Array values: AnyValue.array_value (field 5) = ArrayValue{repeated AnyValue values = 1} */

/* The content length of element i's AnyValue (one oneof field: string 1, bool 2, int 3,
 * double 4, written even when it is the default, as a oneof member is). */
static size_t element_any_len(const census_attribute *a, size_t i) {
  switch (a->type) {
  case CENSUS_ATTRIBUTE_STRING_ARRAY: {
    size_t n = strlen(a->string_values[i]);
    return 1 + census__pb_varint_size(n) + n;
  }
  case CENSUS_ATTRIBUTE_INT64_ARRAY:
    return 1 + census__pb_varint_size((uint64_t)a->int_values[i]);
  case CENSUS_ATTRIBUTE_DOUBLE_ARRAY:
    return 9;
  default: /* CENSUS_ATTRIBUTE_BOOL_ARRAY */
    return 2;
  }
}

/* The ArrayValue's content length: each element as field 1 (tag, length, AnyValue). */
static size_t array_value_len(const census_attribute *a) {
  size_t len = 0;
  for (size_t i = 0; i < a->value_count; i++) {
    size_t any = element_any_len(a, i);
    len += 1 + census__pb_varint_size(any) + any;
  }
  return len;
}

/* Writes the ArrayValue's content (array_value_len() bytes) at q; returns the end. */
static uint8_t *array_value_put(uint8_t *q, const census_attribute *a) {
  for (size_t i = 0; i < a->value_count; i++) {
    *q++ = (1 << 3) | CENSUS_PB_LEN; /* ArrayValue.values */
    q += census__pb_put_varint(q, element_any_len(a, i));
    switch (a->type) {
    case CENSUS_ATTRIBUTE_STRING_ARRAY: {
      size_t n = strlen(a->string_values[i]);
      *q++ = (1 << 3) | CENSUS_PB_LEN; /* AnyValue.string_value */
      q += census__pb_put_varint(q, n);
      q = census__pb_put_bytes(q, a->string_values[i], n);
      break;
    }
    case CENSUS_ATTRIBUTE_INT64_ARRAY:
      *q++ = (3 << 3) | CENSUS_PB_VARINT; /* AnyValue.int_value */
      q += census__pb_put_varint(q, (uint64_t)a->int_values[i]);
      break;
    case CENSUS_ATTRIBUTE_DOUBLE_ARRAY: {
      uint64_t bits;
      memcpy(&bits, &a->double_values[i], sizeof bits);
      *q++ = (4 << 3) | CENSUS_PB_I64; /* AnyValue.double_value */
      census__pb_put_le64(q, bits);
      q += 8;
      break;
    }
    default:                              /* CENSUS_ATTRIBUTE_BOOL_ARRAY */
      *q++ = (2 << 3) | CENSUS_PB_VARINT; /* AnyValue.bool_value */
      *q++ = a->bool_values[i] ? 1 : 0;
      break;
    }
  }
  return q;
}

/* `key_len` is strlen(key) when the caller knows it (a view's column names, measured once per
 * view), else SIZE_MAX. Returns the bytes of the whole field (tag and length included) for
 * field numbers below 16. */
static size_t kv_measure(kv_sized *k, const census_attribute *a, const char *key, size_t key_len) {
  k->key = key ? key : "";
  k->key_len = key_len == SIZE_MAX ? strlen(k->key) : key_len;
  k->type = a->type;
  k->string = NULL;
  k->string_len = 0;
  k->scalar = 0;
  k->any = 0; /* the array fields are set (and read by kv_put()) for the array types only */
  switch (a->type) {
  case CENSUS_ATTRIBUTE_STRING:
    k->string = a->string_value ? a->string_value : "";
    k->string_len = strlen(k->string);
    k->any = 1 + census__pb_varint_size(k->string_len) + k->string_len;
    break;
  case CENSUS_ATTRIBUTE_BOOL:
    k->scalar = a->bool_value ? 1 : 0;
    k->any = 2;
    break;
  case CENSUS_ATTRIBUTE_INT64:
    k->scalar = (uint64_t)a->int_value;
    k->any = 1 + census__pb_varint_size(k->scalar);
    break;
  case CENSUS_ATTRIBUTE_DOUBLE:
    memcpy(&k->scalar, &a->double_value, sizeof k->scalar);
    k->any = 9;
    break;
  case CENSUS_ATTRIBUTE_STRING_ARRAY:
  case CENSUS_ATTRIBUTE_INT64_ARRAY:
  case CENSUS_ATTRIBUTE_DOUBLE_ARRAY:
  case CENSUS_ATTRIBUTE_BOOL_ARRAY:
    k->array = a->string_values; /* any member: the pointers share one storage */
    k->array_count = a->value_count;
    k->array_len = array_value_len(a);
    k->any = 1 + census__pb_varint_size(k->array_len) + k->array_len;
    break;
  }
  k->kv = 1 + census__pb_varint_size(k->key_len) + k->key_len + 1 + census__pb_varint_size(k->any) +
          k->any;
  return 1 + census__pb_varint_size(k->kv) + k->kv;
}

/* Writes the KeyValue measured in `k` as field `field` at q (room reserved: 15 + k->kv bytes);
 * returns the end. */
static uint8_t *kv_put(uint8_t *q, uint32_t field, const kv_sized *k) {
  q += census__pb_put_varint(q, ((uint64_t)field << 3) | CENSUS_PB_LEN);
  q += census__pb_put_varint(q, k->kv);
  *q++ = (1 << 3) | CENSUS_PB_LEN; /* KeyValue.key */
  q += census__pb_put_varint(q, k->key_len);
  q = census__pb_put_bytes(q, k->key, k->key_len);
  *q++ = (2 << 3) | CENSUS_PB_LEN; /* KeyValue.value */
  q += census__pb_put_varint(q, k->any);
  switch (k->type) {
  case CENSUS_ATTRIBUTE_STRING:
    *q++ = (1 << 3) | CENSUS_PB_LEN; /* AnyValue.string_value */
    q += census__pb_put_varint(q, k->string_len);
    q = census__pb_put_bytes(q, k->string, k->string_len);
    break;
  case CENSUS_ATTRIBUTE_BOOL:
    *q++ = (2 << 3) | CENSUS_PB_VARINT; /* AnyValue.bool_value */
    *q++ = (uint8_t)k->scalar;
    break;
  case CENSUS_ATTRIBUTE_INT64:
    *q++ = (3 << 3) | CENSUS_PB_VARINT; /* AnyValue.int_value */
    q += census__pb_put_varint(q, k->scalar);
    break;
  case CENSUS_ATTRIBUTE_DOUBLE:
    *q++ = (4 << 3) | CENSUS_PB_I64; /* AnyValue.double_value */
    census__pb_put_le64(q, k->scalar);
    q += 8;
    break;
  case CENSUS_ATTRIBUTE_STRING_ARRAY:
  case CENSUS_ATTRIBUTE_INT64_ARRAY:
  case CENSUS_ATTRIBUTE_DOUBLE_ARRAY:
  case CENSUS_ATTRIBUTE_BOOL_ARRAY: {
    census_attribute elements = {.type = k->type, .value_count = k->array_count};
    elements.string_values = k->array;
    *q++ = (5 << 3) | CENSUS_PB_LEN; /* AnyValue.array_value */
    q += census__pb_put_varint(q, k->array_len);
    q = array_value_put(q, &elements);
    break;
  }
  }
  return q;
}

static void pb_key_value_sized(census_buf *b, uint32_t field, const census_attribute *a,
                               const char *key, size_t key_len) {
  kv_sized k;
  kv_measure(&k, a, key, key_len);
  uint8_t *p = census__pb_room(b, 5 + 10 + k.kv);
  if (p) {
    census__pb_commit(b, (size_t)(kv_put(p, field, &k) - p));
  }
}

/* The plain writer the sized one replaced, kept for census__otlp_encode_plain: nested messages
 * opened and closed with backpatched lengths. */
static void pb_key_value_plain(census_buf *b, uint32_t field, const census_attribute *a) {
  size_t kv = census__pb_begin(b, field);
  census__pb_string(b, 1, a->key);
  size_t any = census__pb_begin(b, 2);
  switch (a->type) {
  case CENSUS_ATTRIBUTE_STRING:
    census__pb_string(b, 1, a->string_value);
    break;
  case CENSUS_ATTRIBUTE_BOOL:
    census__pb_bool(b, 2, a->bool_value);
    break;
  case CENSUS_ATTRIBUTE_INT64:
    census__pb_int64(b, 3, a->int_value);
    break;
  case CENSUS_ATTRIBUTE_DOUBLE:
    census__pb_double(b, 4, a->double_value);
    break;
  case CENSUS_ATTRIBUTE_STRING_ARRAY:
  case CENSUS_ATTRIBUTE_INT64_ARRAY:
  case CENSUS_ATTRIBUTE_DOUBLE_ARRAY:
  case CENSUS_ATTRIBUTE_BOOL_ARRAY: {
    /* The sized writer's element loop: the plain path has no nested writer of its own for it. */
    size_t len = array_value_len(a);
    uint8_t *p = census__pb_room(b, 1 + 10 + len);
    if (p) {
      uint8_t *q = p;
      *q++ = (5 << 3) | CENSUS_PB_LEN; /* AnyValue.array_value */
      q += census__pb_put_varint(q, len);
      census__pb_commit(b, (size_t)(array_value_put(q, a) - p));
    }
    break;
  }
  }
  census__pb_end(b, any);
  census__pb_end(b, kv);
}

bool census__otlp_encode_plain;

static void pb_key_value(census_buf *b, uint32_t field, const census_attribute *a) {
  if (census__otlp_encode_plain) {
    pb_key_value_plain(b, field, a);
  } else {
    pb_key_value_sized(b, field, a, a->key, SIZE_MAX);
  }
}

static void json_key_value(census_json *j, const census_attribute *a) {
  census__json_object_begin(j);
  census__json_kv_string(j, "key", a->key);
  census__json_key(j, "value");
  census__json_object_begin(j);
  switch (a->type) {
  case CENSUS_ATTRIBUTE_STRING:
    census__json_kv_string(j, "stringValue", a->string_value ? a->string_value : "");
    break;
  case CENSUS_ATTRIBUTE_BOOL:
    census__json_kv_bool(j, "boolValue", a->bool_value);
    break;
  case CENSUS_ATTRIBUTE_INT64:
    census__json_kv_int64_string(j, "intValue", a->int_value);
    break;
  case CENSUS_ATTRIBUTE_DOUBLE:
    census__json_kv_double(j, "doubleValue", a->double_value);
    break;
  case CENSUS_ATTRIBUTE_STRING_ARRAY:
  case CENSUS_ATTRIBUTE_INT64_ARRAY:
  case CENSUS_ATTRIBUTE_DOUBLE_ARRAY:
  case CENSUS_ATTRIBUTE_BOOL_ARRAY:
    /* {"arrayValue":{"values":[{"stringValue":"a"},...]}}, each element as a scalar's AnyValue */
    census__json_key(j, "arrayValue");
    census__json_object_begin(j);
    census__json_key(j, "values");
    census__json_array_begin(j);
    for (size_t i = 0; i < a->value_count; i++) {
      census__json_object_begin(j);
      switch (a->type) {
      case CENSUS_ATTRIBUTE_STRING_ARRAY:
        census__json_kv_string(j, "stringValue", a->string_values[i]);
        break;
      case CENSUS_ATTRIBUTE_INT64_ARRAY:
        census__json_kv_int64_string(j, "intValue", a->int_values[i]);
        break;
      case CENSUS_ATTRIBUTE_DOUBLE_ARRAY:
        census__json_kv_double(j, "doubleValue", a->double_values[i]);
        break;
      default:
        census__json_kv_bool(j, "boolValue", a->bool_values[i]);
        break;
      }
      census__json_object_end(j);
    }
    census__json_array_end(j);
    census__json_object_end(j);
    break;
  }
  census__json_object_end(j);
  census__json_object_end(j);
}

static census_attribute string_attribute(const char *key, const char *value) {
  census_attribute a = {0};
  a.key = key;
  a.type = CENSUS_ATTRIBUTE_STRING;
  a.string_value = value;
  return a;
}

static census_attribute resource_attribute(const census_resource_attribute *r) {
  census_attribute a = {0};
  a.key = r->key;
  a.type = r->type;
  a.string_value = r->string_value;
  a.int_value = census__resource_int(r); /* process.pid: the pid of the process encoding */
  return a;
}

/* Resource (field 1 of ResourceMetrics/ResourceSpans). */
static void pb_resource(census_buf *b, const census_resource *resource) {
  size_t m = census__pb_begin(b, 1);
  for (size_t i = 0; resource && i < resource->count; i++) {
    census_attribute a = resource_attribute(&resource->attributes[i]);
    pb_key_value(b, 1, &a);
  }
  census__pb_end(b, m);
}

static void json_resource(census_json *j, const census_resource *resource) {
  census__json_key(j, "resource");
  census__json_object_begin(j);
  census__json_key(j, "attributes");
  census__json_array_begin(j);
  for (size_t i = 0; resource && i < resource->count; i++) {
    census_attribute a = resource_attribute(&resource->attributes[i]);
    json_key_value(j, &a);
  }
  census__json_array_end(j);
  census__json_object_end(j);
}

/* InstrumentationScope (field 1 of ScopeMetrics/ScopeSpans). */
static void pb_scope(census_buf *b) {
  size_t m = census__pb_begin(b, 1);
  census__pb_string(b, 1, SCOPE_NAME);
  census__pb_string(b, 2, census_version());
  census__pb_end(b, m);
}

static void json_scope(census_json *j) {
  census__json_key(j, "scope");
  census__json_object_begin(j);
  census__json_kv_string(j, "name", SCOPE_NAME);
  census__json_kv_string(j, "version", census_version());
  census__json_object_end(j);
}

/* The envelope both requests share: one Resource<X> holding the resource and one Scope<X>
 * holding the scope, whose repeated items (metrics or spans) the caller then writes. */
typedef struct pb_envelope {
  size_t resource_x; /* ResourceMetrics/ResourceSpans */
  size_t scope_x;    /* ScopeMetrics/ScopeSpans */
  size_t width;      /* of both lengths' placeholders */
} pb_envelope;

/* The placeholder width for a message of about `estimate` bytes (census__pb_begin_wide()): the
 * varint size of the guess, or 1 on the plain path. A guess in the right band (1: < 128 bytes, 2:
 * < 16 KiB, 3: < 2 MiB, ...) leaves the content in place; a wrong one costs the one move that
 * begin()/end() always cost. */
static size_t pb_width(size_t estimate) {
  return census__otlp_encode_plain ? 1 : census__pb_varint_size(estimate);
}

/* `estimate`: the guessed size of the items (metrics or spans) the envelope will hold. */
static pb_envelope pb_envelope_begin(census_buf *b, const census_resource *resource,
                                     size_t estimate) {
  pb_envelope e;
  e.width = pb_width(estimate + 64);
  e.resource_x = census__pb_begin_wide(b, 1, e.width); /* resource_metrics / resource_spans */
  pb_resource(b, resource);
  e.scope_x = census__pb_begin_wide(b, 2, e.width); /* scope_metrics / scope_spans */
  pb_scope(b);
  return e;
}

static void pb_envelope_end(census_buf *b, pb_envelope e) {
  census__pb_end_wide(b, e.scope_x, e.width);
  census__pb_end_wide(b, e.resource_x, e.width);
}

/* {"resourceX":[{"resource":...,"scopeX":[{"scope":...,"<items>":[ ; json_envelope_end()
 * closes the three arrays and three objects. */
static void json_envelope_begin(census_json *j, const census_resource *resource,
                                const char *resource_key, const char *scope_key,
                                const char *items_key) {
  census__json_object_begin(j);
  census__json_key(j, resource_key);
  census__json_array_begin(j);
  census__json_object_begin(j);
  json_resource(j, resource);
  census__json_key(j, scope_key);
  census__json_array_begin(j);
  census__json_object_begin(j);
  json_scope(j);
  census__json_key(j, items_key);
  census__json_array_begin(j);
}

static void json_envelope_end(census_json *j) {
  for (int level = 0; level < 3; level++) {
    census__json_array_end(j);
    census__json_object_end(j);
  }
}

/* ---- Metrics ------------------------------------------------------------------------------ */

/* What one view becomes. */
typedef enum metric_kind { KIND_SUM, KIND_GAUGE, KIND_HISTOGRAM, KIND_EXPONENTIAL } metric_kind;

static metric_kind view_kind(const census_view_data *v) {
  switch (census_view_data_aggregation(v)) {
  case CENSUS_AGGREGATION_LAST_VALUE:
    return KIND_GAUGE;
  case CENSUS_AGGREGATION_DISTRIBUTION:
    return KIND_HISTOGRAM;
  case CENSUS_AGGREGATION_EXPONENTIAL:
    return KIND_EXPONENTIAL;
  default:
    return KIND_SUM;
  }
}

/* True when the view's numbers are doubles: SUM and LAST_VALUE of a double measure. */
static bool view_is_double(const census_view_data *v) {
  census_aggregation_type agg = census_view_data_aggregation(v);
  return (agg == CENSUS_AGGREGATION_SUM || agg == CENSUS_AGGREGATION_LAST_VALUE) &&
         census_measure_value_type(census_view_data_measure(v)) == CENSUS_MEASURE_DOUBLE;
}

/* True when the view's measure records doubles (an exemplar's value type). */
static bool measure_is_double(const census_view_data *v) {
  return census_measure_value_type(census_view_data_measure(v)) == CENSUS_MEASURE_DOUBLE;
}

/* Calls back once per attribute of a row: the non-empty column values, or only the overflow
 * marker for the overflow row. */
typedef void (*attribute_fn)(void *ctx, const census_attribute *a);

static void row_attributes(const census_view_data *v, size_t row, attribute_fn fn, void *ctx) {
  if (census_view_data_row_is_overflow(v, row)) {
    census_attribute a = {0};
    a.key = OVERFLOW_ATTRIBUTE;
    a.type = CENSUS_ATTRIBUTE_BOOL;
    a.bool_value = true;
    fn(ctx, &a);
    return;
  }
  size_t columns = census_view_data_column_count(v);
  for (size_t c = 0; c < columns; c++) {
    const char *value = census_view_data_row_value(v, row, c);
    if (value && value[0]) {
      census_attribute a = string_attribute(census_view_data_column(v, c), value);
      fn(ctx, &a);
    }
  }
}

typedef struct pb_attr_ctx {
  census_buf *b;
  uint32_t field;
} pb_attr_ctx;

static void pb_attr_cb(void *ctx, const census_attribute *a) {
  pb_attr_ctx *p = ctx;
  pb_key_value(p->b, p->field, a);
}

static void json_attr_cb(void *ctx, const census_attribute *a) { json_key_value(ctx, a); }

/* One data point to write: the values, the start time, and whether min/max are known. For
 * cumulative data, every row of the snapshot as it is; for delta data (otlp_delta.c), what the
 * interval added. */
typedef struct point_in {
  size_t row; /* the snapshot row: its attributes */
  const census_point *p;
  const census_exponential_buckets *exponential; /* prepared buckets; NULL: the row's */
  uint64_t start;
  bool min_max;
} point_in;

/* The exponential buckets of point `in`: the prepared ones, else the snapshot row's in *e. */
static const census_exponential_buckets *
point_exponential(const census_view_data *v, const point_in *in, census_exponential_buckets *e) {
  if (in->exponential) {
    return in->exponential;
  }
  census_view_data_row_exponential(v, in->row, e);
  return e;
}

/* Exemplar `i` of the point's row, if it was recorded in the point's interval (a delta point's
 * exemplars are its interval's; a cumulative one's, every exemplar the row keeps). */
static bool point_exemplar(const census_view_data *v, const point_in *in, size_t i,
                           census_exemplar *e) {
  return census_view_data_row_exemplar(v, in->row, i, e) == CENSUS_OK &&
         (uint64_t)e->time_ns >= in->start;
}

/* The Exemplar messages of a data point (field `field`: 5 in NumberDataPoint, 8 in
 * HistogramDataPoint, 11 in ExponentialHistogramDataPoint): filtered_attributes (7),
 * time_unix_nano (2), as_double (3) or as_int (6, sfixed64), span_id (4), trace_id (5). */
static void pb_exemplars(census_buf *b, uint32_t field, const census_view_data *v,
                         const point_in *in, bool is_double) {
  size_t n = census_view_data_row_exemplar_count(v, in->row);
  for (size_t i = 0; i < n; i++) {
    census_exemplar e;
    if (!point_exemplar(v, in, i, &e)) {
      continue;
    }
    size_t m = census__pb_begin(b, field);
    for (size_t a = 0; a < e.attribute_count; a++) {
      census_attribute attr = {.type = CENSUS_ATTRIBUTE_STRING};
      census_view_data_row_exemplar_attribute(v, in->row, i, a, &attr.key, &attr.string_value);
      pb_key_value(b, 7, &attr);
    }
    census__pb_fixed64(b, 2, (uint64_t)e.time_ns);
    if (is_double) {
      census__pb_double(b, 3, e.double_value);
    } else {
      census__pb_fixed64(b, 6, (uint64_t)e.int_value);
    }
    if (e.has_span) {
      census__pb_bytes(b, 4, e.span_id, sizeof e.span_id);
      census__pb_bytes(b, 5, e.trace_id, sizeof e.trace_id);
    }
    census__pb_end(b, m);
  }
}

static void json_exemplars(census_json *j, const census_view_data *v, const point_in *in,
                           bool is_double) {
  size_t n = census_view_data_row_exemplar_count(v, in->row);
  bool open = false;
  for (size_t i = 0; i < n; i++) {
    census_exemplar e;
    if (!point_exemplar(v, in, i, &e)) {
      continue;
    }
    if (!open) {
      census__json_key(j, "exemplars");
      census__json_array_begin(j);
      open = true;
    }
    census__json_object_begin(j);
    if (e.attribute_count > 0) {
      census__json_key(j, "filteredAttributes");
      census__json_array_begin(j);
      for (size_t a = 0; a < e.attribute_count; a++) {
        census_attribute attr = {.type = CENSUS_ATTRIBUTE_STRING};
        census_view_data_row_exemplar_attribute(v, in->row, i, a, &attr.key, &attr.string_value);
        json_key_value(j, &attr);
      }
      census__json_array_end(j);
    }
    census__json_key(j, "timeUnixNano");
    census__json_uint64_string(j, (uint64_t)e.time_ns);
    if (is_double) {
      census__json_kv_double(j, "asDouble", e.double_value);
    } else {
      census__json_kv_int64_string(j, "asInt", e.int_value);
    }
    if (e.has_span) {
      census__json_key(j, "spanId");
      census__json_hex(j, e.span_id, sizeof e.span_id);
      census__json_key(j, "traceId");
      census__json_hex(j, e.trace_id, sizeof e.trace_id);
    }
    census__json_object_end(j);
  }
  if (open) {
    census__json_array_end(j);
  }
}

/* What every point of one view shares, read once per view: the end time, the aggregation, and
 * the column names with their lengths (a KeyValue's key bytes are the same for every series). */
#define PB_VIEW_COLUMNS 16
typedef struct pb_view {
  uint64_t end;
  bool is_count;
  size_t columns; /* SIZE_MAX: more than PB_VIEW_COLUMNS (no fast path) */
  const char *key[PB_VIEW_COLUMNS];
  size_t key_len[PB_VIEW_COLUMNS];
} pb_view;

static void pb_view_read(const census_view_data *v, pb_view *pv) {
  pv->end = (uint64_t)census_view_data_end_time_ns(v);
  pv->is_count = census_view_data_aggregation(v) == CENSUS_AGGREGATION_COUNT;
  size_t columns = census_view_data_column_count(v);
  pv->columns = columns <= PB_VIEW_COLUMNS ? columns : SIZE_MAX;
  for (size_t c = 0; c < columns && c < PB_VIEW_COLUMNS; c++) {
    pv->key[c] = census_view_data_column(v, c);
    pv->key_len[c] = strlen(pv->key[c]);
  }
}

/* A NumberDataPoint (Sum, Gauge) of a row without exemplars, its length computed before it is
 * written: the point and its KeyValues go out with one reserve and no backpatching, the keys'
 * lengths come from the view's, and only the values are measured. The bytes are exactly
 * pb_point()'s (test_otlp_encode_plain). False, with nothing written, when the row needs
 * pb_point() (the overflow row, exemplars, a view with more than PB_VIEW_COLUMNS columns). */
static bool pb_number_point_sized(census_buf *b, const census_view_data *v, const point_in *in,
                                  const pb_view *pv, bool is_double) {
  if (pv->columns == SIZE_MAX || census__otlp_encode_plain ||
      census_view_data_row_exemplar_count(v, in->row) > 0 ||
      census_view_data_row_is_overflow(v, in->row)) {
    return false;
  }
  /* The row's values with their lengths, in one call (no strlen() per label). */
  const char *const *value = NULL;
  const size_t *value_len = NULL;
  if (census_view_data_row_values(v, in->row, &value, &value_len) != pv->columns) {
    return false;
  }
  size_t any_len[PB_VIEW_COLUMNS], kv_len[PB_VIEW_COLUMNS];
  size_t content = 3 * 9; /* start, end and the value: tag + 8 bytes each */
  for (size_t c = 0; c < pv->columns; c++) {
    kv_len[c] = 0;
    if (value_len[c] > 0) { /* an empty value is a missing tag: no attribute */
      any_len[c] = 1 + census__pb_varint_size(value_len[c]) + value_len[c];
      kv_len[c] = 1 + census__pb_varint_size(pv->key_len[c]) + pv->key_len[c] + 1 +
                  census__pb_varint_size(any_len[c]) + any_len[c];
      content += 1 + census__pb_varint_size(kv_len[c]) + kv_len[c];
    }
  }
  uint8_t *p = census__pb_room(b, 1 + 10 + content);
  if (!p) {
    return true; /* the buffer failed: the encode reports ENOMEM */
  }
  uint8_t *q = p;
  *q++ = (1 << 3) | CENSUS_PB_LEN; /* data_points */
  q += census__pb_put_varint(q, content);
  for (size_t c = 0; c < pv->columns; c++) {
    if (kv_len[c] == 0) {
      continue;
    }
    *q++ = (7 << 3) | CENSUS_PB_LEN; /* NumberDataPoint.attributes */
    q += census__pb_put_varint(q, kv_len[c]);
    *q++ = (1 << 3) | CENSUS_PB_LEN; /* KeyValue.key */
    q += census__pb_put_varint(q, pv->key_len[c]);
    memcpy(q, pv->key[c], pv->key_len[c]);
    q += pv->key_len[c];
    *q++ = (2 << 3) | CENSUS_PB_LEN; /* KeyValue.value */
    q += census__pb_put_varint(q, any_len[c]);
    *q++ = (1 << 3) | CENSUS_PB_LEN; /* AnyValue.string_value */
    q += census__pb_put_varint(q, value_len[c]);
    memcpy(q, value[c], value_len[c]);
    q += value_len[c];
  }
  *q++ = (2 << 3) | CENSUS_PB_I64; /* start_time_unix_nano */
  census__pb_put_le64(q, in->start);
  q += 8;
  *q++ = (3 << 3) | CENSUS_PB_I64; /* time_unix_nano */
  census__pb_put_le64(q, pv->end);
  q += 8;
  const census_point *pt = in->p;
  uint64_t bits = 0;
  if (pv->is_count) {
    *q++ = (6 << 3) | CENSUS_PB_I64; /* as_int (sfixed64) */
    bits = (uint64_t)pt->count;
  } else if (is_double) {
    *q++ = (4 << 3) | CENSUS_PB_I64; /* as_double */
    memcpy(&bits, &pt->double_value, sizeof bits);
  } else {
    *q++ = (6 << 3) | CENSUS_PB_I64;
    bits = (uint64_t)pt->int_value;
  }
  census__pb_put_le64(q, bits);
  q += 8;
  census__pb_commit(b, (size_t)(q - p));
  return true;
}

static void pb_point(census_buf *b, const census_view_data *v, const point_in *in, metric_kind kind,
                     bool is_double) {
  const census_point *p = in->p;
  uint64_t end = (uint64_t)census_view_data_end_time_ns(v);
  size_t m = census__pb_begin(b, 1); /* data_points */
  pb_attr_ctx ctx = {b, kind == KIND_HISTOGRAM ? 9 : kind == KIND_EXPONENTIAL ? 1 : 7};
  row_attributes(v, in->row, pb_attr_cb, &ctx);
  census__pb_fixed64(b, 2, in->start);
  census__pb_fixed64(b, 3, end);
  if (kind == KIND_EXPONENTIAL) {
    /* ExponentialHistogramDataPoint: zero_threshold (14) is 0, the default: left out. */
    census_exponential_buckets row_buckets;
    const census_exponential_buckets *e = point_exponential(v, in, &row_buckets);
    census__pb_fixed64(b, 4, (uint64_t)p->count);
    census__pb_double(b, 5, p->double_value);
    census__pb_sint32(b, 6, e->scale);
    census__pb_fixed64(b, 7, (uint64_t)e->zero_count);
    if (e->bucket_count > 0) {
      size_t positive = census__pb_begin(b, 8);
      census__pb_sint32(b, 1, e->offset);
      census__pb_packed_varint_from_int64(b, 2, e->bucket_counts, e->bucket_count);
      census__pb_end(b, positive);
    }
    if (in->min_max) {
      census__pb_double(b, 12, p->min);
      census__pb_double(b, 13, p->max);
    }
  } else if (kind == KIND_HISTOGRAM) {
    const double *bounds = NULL;
    size_t nbounds = census_view_data_bounds(v, &bounds);
    census__pb_fixed64(b, 4, (uint64_t)p->count);
    census__pb_double(b, 5, p->double_value); /* the exact sum (an int64 one converted) */
    if (p->bucket_count > 0) {
      census__pb_packed_fixed64_from_int64(b, 6, p->bucket_counts, p->bucket_count);
    }
    if (nbounds > 0) {
      census__pb_packed_double(b, 7, bounds, nbounds);
    }
    if (in->min_max) {
      census__pb_double(b, 11, p->min);
      census__pb_double(b, 12, p->max);
    }
  } else if (census_view_data_aggregation(v) == CENSUS_AGGREGATION_COUNT) {
    census__pb_fixed64(b, 6, (uint64_t)p->count);
  } else if (is_double) {
    census__pb_double(b, 4, p->double_value);
  } else {
    census__pb_fixed64(b, 6, (uint64_t)p->int_value);
  }
  pb_exemplars(b,
               kind == KIND_HISTOGRAM     ? 8
               : kind == KIND_EXPONENTIAL ? 11
                                          : 5,
               v, in, measure_is_double(v));
  census__pb_end(b, m);
}

static void json_point(census_json *j, const census_view_data *v, const point_in *in,
                       metric_kind kind, bool is_double) {
  const census_point *p = in->p;
  census__json_object_begin(j);
  census__json_key(j, "attributes");
  census__json_array_begin(j);
  row_attributes(v, in->row, json_attr_cb, j);
  census__json_array_end(j);
  census__json_key(j, "startTimeUnixNano");
  census__json_uint64_string(j, in->start);
  census__json_key(j, "timeUnixNano");
  census__json_uint64_string(j, (uint64_t)census_view_data_end_time_ns(v));
  if (kind == KIND_EXPONENTIAL) {
    census_exponential_buckets row_buckets;
    const census_exponential_buckets *e = point_exponential(v, in, &row_buckets);
    census__json_key(j, "count");
    census__json_uint64_string(j, (uint64_t)p->count);
    census__json_kv_double(j, "sum", p->double_value);
    census__json_kv_int64(j, "scale", e->scale);
    census__json_key(j, "zeroCount");
    census__json_uint64_string(j, (uint64_t)e->zero_count);
    if (e->bucket_count > 0) {
      census__json_key(j, "positive");
      census__json_object_begin(j);
      census__json_kv_int64(j, "offset", e->offset);
      census__json_key(j, "bucketCounts");
      census__json_array_begin(j);
      for (size_t i = 0; i < e->bucket_count; i++) {
        census__json_uint64_string(j, (uint64_t)e->bucket_counts[i]);
      }
      census__json_array_end(j);
      census__json_object_end(j);
    }
    if (in->min_max) {
      census__json_kv_double(j, "min", p->min);
      census__json_kv_double(j, "max", p->max);
    }
  } else if (kind == KIND_HISTOGRAM) {
    const double *bounds = NULL;
    size_t nbounds = census_view_data_bounds(v, &bounds);
    census__json_key(j, "count");
    census__json_uint64_string(j, (uint64_t)p->count);
    census__json_kv_double(j, "sum", p->double_value); /* the exact sum, as in pb_point() */
    census__json_key(j, "bucketCounts");
    census__json_array_begin(j);
    for (size_t i = 0; i < p->bucket_count; i++) {
      census__json_uint64_string(j, (uint64_t)p->bucket_counts[i]);
    }
    census__json_array_end(j);
    census__json_key(j, "explicitBounds");
    census__json_array_begin(j);
    for (size_t i = 0; i < nbounds; i++) {
      census__json_double(j, bounds[i]);
    }
    census__json_array_end(j);
    if (in->min_max) {
      census__json_kv_double(j, "min", p->min);
      census__json_kv_double(j, "max", p->max);
    }
  } else if (census_view_data_aggregation(v) == CENSUS_AGGREGATION_COUNT) {
    census__json_kv_int64_string(j, "asInt", p->count);
  } else if (is_double) {
    census__json_kv_double(j, "asDouble", p->double_value);
  } else {
    census__json_kv_int64_string(j, "asInt", p->int_value);
  }
  json_exemplars(j, v, in, measure_is_double(v));
  census__json_object_end(j);
}

/* Calls `fn` for each point of view `v`: the prepared ones (`points`, delta) or every row of
 * the snapshot (cumulative: start = the view's start time, min/max when count > 0). */
typedef void (*point_fn)(void *ctx, const census_view_data *v, const point_in *in);

static void for_each_point(const census_view_data *v, const census_otlp_view_points *points,
                           point_fn fn, void *ctx) {
  if (points) {
    for (size_t i = 0; i < points->count; i++) {
      const census_otlp_row_point *rp = &points->points[i];
      bool exponential = census_view_data_aggregation(v) == CENSUS_AGGREGATION_EXPONENTIAL;
      point_in in = {rp->row, &rp->point, exponential ? &rp->exponential : NULL,
                     (uint64_t)rp->start_ns, rp->has_min_max};
      fn(ctx, v, &in);
    }
    return;
  }
  size_t rows = census_view_data_row_count(v);
  uint64_t start = (uint64_t)census_view_data_start_time_ns(v);
  for (size_t r = 0; r < rows; r++) {
    census_point p;
    if (census_view_data_row_point(v, r, &p) == CENSUS_OK) {
      point_in in = {r, &p, NULL, start, p.count > 0};
      fn(ctx, v, &in);
    }
  }
}

typedef struct point_ctx {
  void *out; /* census_buf * or census_json * */
  metric_kind kind;
  bool is_double;
  const pb_view *view; /* protobuf only */
} point_ctx;

static void pb_point_cb(void *ctx, const census_view_data *v, const point_in *in) {
  point_ctx *c = ctx;
  if ((c->kind == KIND_SUM || c->kind == KIND_GAUGE) &&
      pb_number_point_sized(c->out, v, in, c->view, c->is_double)) {
    return;
  }
  pb_point(c->out, v, in, c->kind, c->is_double);
}

static void json_point_cb(void *ctx, const census_view_data *v, const point_in *in) {
  point_ctx *c = ctx;
  json_point(c->out, v, in, c->kind, c->is_double);
}

/* The oneof member of Metric that holds each kind: field number and JSON name. */
static uint32_t kind_field(metric_kind kind) {
  return kind == KIND_GAUGE ? 5 : kind == KIND_SUM ? 7 : kind == KIND_HISTOGRAM ? 9 : 10;
}
static const char *kind_name(metric_kind kind) {
  return kind == KIND_GAUGE       ? "gauge"
         : kind == KIND_SUM       ? "sum"
         : kind == KIND_HISTOGRAM ? "histogram"
                                  : "exponentialHistogram";
}

/* The number of points view i gets: its prepared points, else its rows. */
static size_t view_points(const census_view_data *const *views,
                          const census_otlp_view_points *const *points, size_t i);

/* A guess of the protobuf size of view v's data points, for the width of its Metric's and its
 * Sum's/Gauge's/Histogram's length placeholders (pb_width()): per point its times and value,
 * and per column a KeyValue of the column name and a value of about 16 bytes. */
static size_t metric_estimate(const census_view_data *v, const census_otlp_view_points *points) {
  size_t n = points ? points->count : census_view_data_row_count(v);
  size_t per_point = 32 + census_view_data_column_count(v) * 40;
  if (view_kind(v) == KIND_HISTOGRAM) {
    const double *bounds = NULL;
    per_point += 24 + census_view_data_bounds(v, &bounds) * 17;
  } else if (view_kind(v) == KIND_EXPONENTIAL) {
    per_point += 64;
  }
  return n * per_point;
}

static void pb_metric(census_buf *b, const census_view_data *v,
                      const census_otlp_view_points *points) {
  metric_kind kind = view_kind(v);
  bool is_double = view_is_double(v);
  const char *description = census_view_data_description(v);
  const char *unit = census_view_data_unit(v);
  size_t estimate = metric_estimate(v, points);
  size_t metric_width = pb_width(estimate + 64), data_width = pb_width(estimate);
  size_t m = census__pb_begin_wide(b, 2, metric_width); /* ScopeMetrics.metrics */
  census__pb_string(b, 1, census_view_data_name(v));
  if (description && description[0]) {
    census__pb_string(b, 2, description);
  }
  if (unit[0]) {
    census__pb_string(b, 3, unit);
  }
  size_t data = census__pb_begin_wide(b, kind_field(kind), data_width);
  pb_view view;
  pb_view_read(v, &view);
  point_ctx ctx = {b, kind, is_double, &view};
  for_each_point(v, points, pb_point_cb, &ctx);
  if (kind != KIND_GAUGE) {
    census__pb_uint64(b, 2, points && points->delta ? TEMPORALITY_DELTA : TEMPORALITY_CUMULATIVE);
  }
  if (kind == KIND_SUM && census_view_data_is_monotonic(v)) {
    /* Counts, and sums of measures that refuse negative values, only grow; a signed measure's
     * (an up-down counter's) is_monotonic stays false, the protobuf default. */
    census__pb_bool(b, 3, true);
  }
  census__pb_end_wide(b, data, data_width);
  census__pb_end_wide(b, m, metric_width);
}

static void json_metric(census_json *j, const census_view_data *v,
                        const census_otlp_view_points *points) {
  metric_kind kind = view_kind(v);
  bool is_double = view_is_double(v);
  const char *description = census_view_data_description(v);
  const char *unit = census_view_data_unit(v);
  census__json_object_begin(j);
  census__json_kv_string(j, "name", census_view_data_name(v));
  if (description && description[0]) {
    census__json_kv_string(j, "description", description);
  }
  if (unit[0]) {
    census__json_kv_string(j, "unit", unit);
  }
  census__json_key(j, kind_name(kind));
  census__json_object_begin(j);
  census__json_key(j, "dataPoints");
  census__json_array_begin(j);
  point_ctx ctx = {j, kind, is_double, NULL};
  for_each_point(v, points, json_point_cb, &ctx);
  census__json_array_end(j);
  if (kind != KIND_GAUGE) {
    census__json_kv_int64(j, "aggregationTemporality",
                          points && points->delta ? TEMPORALITY_DELTA : TEMPORALITY_CUMULATIVE);
  }
  if (kind == KIND_SUM) {
    census__json_kv_bool(j, "isMonotonic", census_view_data_is_monotonic(v));
  }
  census__json_object_end(j);
  census__json_object_end(j);
}

static size_t view_points(const census_view_data *const *views,
                          const census_otlp_view_points *const *points, size_t i) {
  if (!views[i]) {
    return 0;
  }
  return points && points[i] ? points[i]->count : census_view_data_row_count(views[i]);
}

census_status census__otlp_encode_metrics_points(const census_view_data *const *views,
                                                 const census_otlp_view_points *const *points,
                                                 size_t count, const census_resource *resource,
                                                 bool json, census_buf *out,
                                                 uint64_t *points_written) {
  uint64_t total = 0;
  census_json j;
  pb_envelope e = {0, 0, 1};
  if (json) {
    census__json_init(&j, out);
    json_envelope_begin(&j, resource, "resourceMetrics", "scopeMetrics", "metrics");
  } else {
    size_t estimate = 0;
    for (size_t i = 0; i < count; i++) {
      if (view_points(views, points, i) > 0) {
        estimate += 64 + metric_estimate(views[i], points ? points[i] : NULL);
      }
    }
    census__buf_reserve(out, 256 + estimate); /* at once, as for spans */
    e = pb_envelope_begin(out, resource, estimate);
  }
  for (size_t i = 0; i < count; i++) {
    size_t n = view_points(views, points, i);
    const census_otlp_view_points *vp = points ? points[i] : NULL;
    if (n == 0) {
      continue; /* views without rows (or without changes, for delta) are left out */
    }
    if (json) {
      json_metric(&j, views[i], vp);
    } else {
      pb_metric(out, views[i], vp);
    }
    total += n;
  }
  if (json) {
    json_envelope_end(&j);
  } else {
    pb_envelope_end(out, e);
  }
  if (points_written) {
    *points_written = total;
  }
  return out->failed ? CENSUS_ENOMEM : CENSUS_OK;
}

census_status census__otlp_encode_metrics(const census_view_data *const *views, size_t count,
                                          const census_resource *resource, bool json,
                                          census_buf *out, uint64_t *points) {
  return census__otlp_encode_metrics_points(views, NULL, count, resource, json, out, points);
}

/* ---- Spans -------------------------------------------------------------------------------- */

/* OTLP SpanKind is census's kind + 1 (OTLP 0 is UNSPECIFIED). */
static uint64_t otlp_kind(census_span_kind kind) { return (uint64_t)kind + 1; }

/* Span/Link flags: W3C trace flags in bits 0-7, 0x100 "remote-ness is known", 0x200 remote. */
static uint32_t otlp_flags(uint8_t trace_flags, bool remote) {
  return (uint32_t)trace_flags | 0x100u | (remote ? 0x200u : 0u);
}

/* What both span encodings read from a span before writing it: its context, its parent, the
 * OTLP flags that follow from both, and its status. */
struct span_head {
  census_trace_context ctx;
  uint8_t parent[CENSUS_SPAN_ID_SIZE];
  bool has_parent;
  uint32_t flags;
  census_span_status_code code;
  const char *status_message;
};

static void span_head_read(const census_span_data *s, struct span_head *h) {
  census_span_data_context(s, &h->ctx);
  bool parent_remote = false;
  h->has_parent = census_span_data_parent(s, h->parent, &parent_remote);
  h->flags = otlp_flags(h->ctx.trace_flags, h->has_parent && parent_remote);
  h->status_message = NULL;
  h->code = census_span_data_status(s, &h->status_message);
}

/* Link flags: census keeps only the W3C flags of a link, not whether its context was remote, so
 * 0x100 ("remote-ness known") stays clear, as OTLP asks when the exporter does not know. */
static uint32_t link_flags(const census_trace_context *link) { return link->trace_flags; }

/* Span fields 11 to 14: the events (Span.Event: time, name, attributes), dropped_events_count,
 * the links (Span.Link: trace id, span id, tracestate, flags) and dropped_links_count. */
static void pb_events_links(census_buf *b, const census_span_data *s) {
  size_t n = census_span_data_event_count(s);
  for (size_t i = 0; i < n; i++) {
    const char *name = NULL;
    int64_t time_ns = 0;
    size_t attrs = 0;
    if (census_span_data_event(s, i, &name, &time_ns, &attrs) != CENSUS_OK) {
      continue;
    }
    if (attrs == 0 && !census__otlp_encode_plain) {
      /* An event without attributes (the common "cache miss" kind): its length computed first,
       * one reserve, no backpatching; the bytes of the path below (unit_otlp_encode_plain). */
      const char *text = name ? name : "";
      size_t text_len = strlen(text);
      size_t content = 9 + 1 + census__pb_varint_size(text_len) + text_len;
      uint8_t *p = census__pb_room(b, 1 + 10 + content);
      if (!p) {
        continue;
      }
      uint8_t *q = p;
      *q++ = (11 << 3) | CENSUS_PB_LEN; /* Span.events */
      q += census__pb_put_varint(q, content);
      *q++ = (1 << 3) | CENSUS_PB_I64; /* Event.time_unix_nano */
      census__pb_put_le64(q, (uint64_t)time_ns);
      q += 8;
      *q++ = (2 << 3) | CENSUS_PB_LEN; /* Event.name */
      q += census__pb_put_varint(q, text_len);
      memcpy(q, text, text_len);
      q += text_len;
      census__pb_commit(b, (size_t)(q - p));
      continue;
    }
    size_t e = census__pb_begin(b, 11);
    census__pb_fixed64(b, 1, (uint64_t)time_ns);
    census__pb_string(b, 2, name);
    for (size_t k = 0; k < attrs; k++) {
      census_attribute a;
      if (census_span_data_event_attribute(s, i, k, &a) == CENSUS_OK) {
        pb_key_value(b, 3, &a);
      }
    }
    census__pb_end(b, e);
  }
  uint32_t dropped = census_span_data_dropped_events(s);
  if (dropped) {
    census__pb_uint64(b, 12, dropped);
  }
  n = census_span_data_link_count(s);
  for (size_t i = 0; i < n; i++) {
    census_trace_context link;
    if (census_span_data_link(s, i, &link) != CENSUS_OK) {
      continue;
    }
    size_t l = census__pb_begin(b, 13);
    census__pb_bytes(b, 1, link.trace_id, CENSUS_TRACE_ID_SIZE);
    census__pb_bytes(b, 2, link.span_id, CENSUS_SPAN_ID_SIZE);
    if (link.tracestate[0]) {
      census__pb_string(b, 3, link.tracestate);
    }
    census__pb_fixed32(b, 6, link_flags(&link));
    census__pb_end(b, l);
  }
  dropped = census_span_data_dropped_links(s);
  if (dropped) {
    census__pb_uint64(b, 14, dropped);
  }
}

/* What pb_span_sized() handles: a span with up to this many attributes and events. */
#define SIZED_SPAN_ATTRIBUTES 16
#define SIZED_SPAN_EVENTS 8

/* Bytes of a length-delimited field with a one-byte tag and `len` bytes of content. */
static size_t pb_len_field(size_t len) { return 1 + census__pb_varint_size(len) + len; }

/* A span written with its length computed first, as a KeyValue is: everything the span holds is
 * read and measured, then written with one reserve, no placeholder and no move, each field in
 * place without a reserve of its own. The bytes are exactly pb_span()'s (unit_otlp_encode_plain,
 * test_spans_same_bytes). False, with nothing written, for a span that needs pb_span(): links,
 * an event with attributes, more than SIZED_SPAN_ATTRIBUTES attributes or SIZED_SPAN_EVENTS
 * events. */
static bool pb_span_sized(census_buf *b, const census_span_data *s, const struct span_head *h) {
  size_t attribute_count = census_span_data_attribute_count(s);
  size_t event_count = census_span_data_event_count(s);
  if (attribute_count > SIZED_SPAN_ATTRIBUTES || event_count > SIZED_SPAN_EVENTS ||
      census_span_data_link_count(s) > 0) {
    return false;
  }
  struct {
    const char *name;
    size_t name_len;
    int64_t time_ns;
  } events[SIZED_SPAN_EVENTS];
  size_t events_read = 0;
  for (size_t i = 0; i < event_count; i++) {
    size_t attrs = 0;
    if (census_span_data_event(s, i, &events[events_read].name, &events[events_read].time_ns,
                               &attrs) != CENSUS_OK) {
      continue;
    }
    if (attrs > 0) {
      return false;
    }
    const char *name = events[events_read].name ? events[events_read].name : "";
    events[events_read].name = name;
    events[events_read++].name_len = strlen(name);
  }
  kv_sized kv[SIZED_SPAN_ATTRIBUTES];
  size_t kv_count = 0;
  size_t tracestate_len = h->ctx.tracestate[0] ? strlen(h->ctx.tracestate) : 0;
  const char *name = census_span_data_name(s);
  name = name ? name : "";
  size_t name_len = strlen(name);
  uint64_t kind = otlp_kind(census_span_data_kind(s));
  size_t content = 18 + 10 + (h->has_parent ? 10 : 0) + pb_len_field(name_len) + 1 +
                   census__pb_varint_size(kind) + 9 + 9 + 6; /* ids, name, kind, times, flags */
  if (tracestate_len) {
    content += pb_len_field(tracestate_len);
  }
  for (size_t i = 0; i < attribute_count; i++) {
    census_attribute a;
    if (census_span_data_attribute(s, i, &a) == CENSUS_OK) {
      content += kv_measure(&kv[kv_count++], &a, a.key, SIZE_MAX);
    }
  }
  uint32_t dropped_attributes = census_span_data_dropped_attributes(s);
  uint32_t dropped_events = census_span_data_dropped_events(s);
  uint32_t dropped_links = census_span_data_dropped_links(s);
  content += dropped_attributes ? 1 + census__pb_varint_size(dropped_attributes) : 0;
  content += dropped_events ? 1 + census__pb_varint_size(dropped_events) : 0;
  content += dropped_links ? 1 + census__pb_varint_size(dropped_links) : 0;
  for (size_t i = 0; i < events_read; i++) {
    content += pb_len_field(9 + pb_len_field(events[i].name_len));
  }
  size_t message_len = h->status_message ? strlen(h->status_message) : 0;
  size_t status =
      (message_len ? pb_len_field(message_len) : 0) +
      (h->code != CENSUS_SPAN_STATUS_UNSET ? 1 + census__pb_varint_size((uint64_t)h->code) : 0);
  bool has_status = h->code != CENSUS_SPAN_STATUS_UNSET || message_len;
  content += has_status ? pb_len_field(status) : 0;

  uint8_t *p = census__pb_room(b, 1 + 10 + content);
  if (!p) {
    return true; /* the buffer failed: the encode reports ENOMEM */
  }
  uint8_t *q = p;
  *q++ = (2 << 3) | CENSUS_PB_LEN; /* ScopeSpans.spans */
  q += census__pb_put_varint(q, content);
  *q++ = (1 << 3) | CENSUS_PB_LEN; /* Span.trace_id */
  *q++ = CENSUS_TRACE_ID_SIZE;
  memcpy(q, h->ctx.trace_id, CENSUS_TRACE_ID_SIZE);
  q += CENSUS_TRACE_ID_SIZE;
  *q++ = (2 << 3) | CENSUS_PB_LEN; /* Span.span_id */
  *q++ = CENSUS_SPAN_ID_SIZE;
  memcpy(q, h->ctx.span_id, CENSUS_SPAN_ID_SIZE);
  q += CENSUS_SPAN_ID_SIZE;
  if (tracestate_len) {
    *q++ = (3 << 3) | CENSUS_PB_LEN; /* Span.trace_state */
    q += census__pb_put_varint(q, tracestate_len);
    q = census__pb_put_bytes(q, h->ctx.tracestate, tracestate_len);
  }
  if (h->has_parent) {
    *q++ = (4 << 3) | CENSUS_PB_LEN; /* Span.parent_span_id */
    *q++ = CENSUS_SPAN_ID_SIZE;
    memcpy(q, h->parent, CENSUS_SPAN_ID_SIZE);
    q += CENSUS_SPAN_ID_SIZE;
  }
  *q++ = (5 << 3) | CENSUS_PB_LEN; /* Span.name */
  q += census__pb_put_varint(q, name_len);
  q = census__pb_put_bytes(q, name, name_len);
  *q++ = (6 << 3) | CENSUS_PB_VARINT; /* Span.kind */
  q += census__pb_put_varint(q, kind);
  *q++ = (7 << 3) | CENSUS_PB_I64; /* Span.start_time_unix_nano */
  census__pb_put_le64(q, (uint64_t)census_span_data_start_time_ns(s));
  q += 8;
  *q++ = (8 << 3) | CENSUS_PB_I64; /* Span.end_time_unix_nano */
  census__pb_put_le64(q, (uint64_t)census_span_data_end_time_ns(s));
  q += 8;
  for (size_t i = 0; i < kv_count; i++) {
    q = kv_put(q, 9, &kv[i]); /* Span.attributes */
  }
  if (dropped_attributes) {
    *q++ = (10 << 3) | CENSUS_PB_VARINT; /* Span.dropped_attributes_count */
    q += census__pb_put_varint(q, dropped_attributes);
  }
  for (size_t i = 0; i < events_read; i++) {
    *q++ = (11 << 3) | CENSUS_PB_LEN; /* Span.events */
    q += census__pb_put_varint(q, 9 + pb_len_field(events[i].name_len));
    *q++ = (1 << 3) | CENSUS_PB_I64; /* Event.time_unix_nano */
    census__pb_put_le64(q, (uint64_t)events[i].time_ns);
    q += 8;
    *q++ = (2 << 3) | CENSUS_PB_LEN; /* Event.name */
    q += census__pb_put_varint(q, events[i].name_len);
    q = census__pb_put_bytes(q, events[i].name, events[i].name_len);
  }
  if (dropped_events) {
    *q++ = (12 << 3) | CENSUS_PB_VARINT; /* Span.dropped_events_count */
    q += census__pb_put_varint(q, dropped_events);
  }
  if (dropped_links) {
    *q++ = (14 << 3) | CENSUS_PB_VARINT; /* Span.dropped_links_count */
    q += census__pb_put_varint(q, dropped_links);
  }
  if (has_status) {
    *q++ = (15 << 3) | CENSUS_PB_LEN; /* Span.status */
    q += census__pb_put_varint(q, status);
    if (message_len) {
      *q++ = (2 << 3) | CENSUS_PB_LEN; /* Status.message */
      q += census__pb_put_varint(q, message_len);
      q = census__pb_put_bytes(q, h->status_message, message_len);
    }
    if (h->code != CENSUS_SPAN_STATUS_UNSET) {
      *q++ = (3 << 3) | CENSUS_PB_VARINT; /* Status.code */
      q += census__pb_put_varint(q, (uint64_t)h->code);
    }
  }
  *q++ = (uint8_t)((16 << 3) | CENSUS_PB_I32 | 0x80); /* Span.flags: field 16, a 2-byte tag */
  *q++ = 1;
  for (int i = 0; i < 4; i++) {
    *q++ = (uint8_t)(h->flags >> (8 * i));
  }
  census__pb_commit(b, (size_t)(q - p));
  return true;
}

static void pb_span(census_buf *b, const census_span_data *s) {
  struct span_head h;
  span_head_read(s, &h);
  if (!census__otlp_encode_plain && pb_span_sized(b, s, &h)) {
    return;
  }

  /* Two bytes of length: a span with ids, times, a name and a few attributes is 128 bytes to
   * 16 KiB, so its content stays where it is written. */
  size_t span_width = pb_width(SPAN_ESTIMATE);
  size_t m = census__pb_begin_wide(b, 2, span_width); /* ScopeSpans.spans */
  census__pb_bytes(b, 1, h.ctx.trace_id, CENSUS_TRACE_ID_SIZE);
  census__pb_bytes(b, 2, h.ctx.span_id, CENSUS_SPAN_ID_SIZE);
  if (h.ctx.tracestate[0]) {
    census__pb_string(b, 3, h.ctx.tracestate);
  }
  if (h.has_parent) {
    census__pb_bytes(b, 4, h.parent, CENSUS_SPAN_ID_SIZE);
  }
  census__pb_string(b, 5, census_span_data_name(s));
  census__pb_uint64(b, 6, otlp_kind(census_span_data_kind(s)));
  census__pb_fixed64(b, 7, (uint64_t)census_span_data_start_time_ns(s));
  census__pb_fixed64(b, 8, (uint64_t)census_span_data_end_time_ns(s));
  size_t n = census_span_data_attribute_count(s);
  for (size_t i = 0; i < n; i++) {
    census_attribute a;
    if (census_span_data_attribute(s, i, &a) == CENSUS_OK) {
      pb_key_value(b, 9, &a);
    }
  }
  uint32_t dropped = census_span_data_dropped_attributes(s);
  if (dropped) {
    census__pb_uint64(b, 10, dropped);
  }
  pb_events_links(b, s);
  if (h.code != CENSUS_SPAN_STATUS_UNSET || (h.status_message && h.status_message[0])) {
    size_t st = census__pb_begin(b, 15);
    if (h.status_message && h.status_message[0]) {
      census__pb_string(b, 2, h.status_message);
    }
    if (h.code != CENSUS_SPAN_STATUS_UNSET) {
      census__pb_uint64(b, 3, (uint64_t)h.code);
    }
    census__pb_end(b, st);
  }
  census__pb_fixed32(b, 16, h.flags);
  census__pb_end_wide(b, m, span_width);
}

/* The span's "events", "droppedEventsCount", "links" and "droppedLinksCount" (OTLP/JSON). */
static void json_events_links(census_json *j, const census_span_data *s) {
  census__json_key(j, "events");
  census__json_array_begin(j);
  size_t n = census_span_data_event_count(s);
  for (size_t i = 0; i < n; i++) {
    const char *name = NULL;
    int64_t time_ns = 0;
    size_t attrs = 0;
    if (census_span_data_event(s, i, &name, &time_ns, &attrs) != CENSUS_OK) {
      continue;
    }
    census__json_object_begin(j);
    census__json_key(j, "timeUnixNano");
    census__json_uint64_string(j, (uint64_t)time_ns);
    census__json_kv_string(j, "name", name ? name : "");
    census__json_key(j, "attributes");
    census__json_array_begin(j);
    for (size_t k = 0; k < attrs; k++) {
      census_attribute a;
      if (census_span_data_event_attribute(s, i, k, &a) == CENSUS_OK) {
        json_key_value(j, &a);
      }
    }
    census__json_array_end(j);
    census__json_object_end(j);
  }
  census__json_array_end(j);
  census__json_kv_int64(j, "droppedEventsCount", census_span_data_dropped_events(s));
  census__json_key(j, "links");
  census__json_array_begin(j);
  n = census_span_data_link_count(s);
  for (size_t i = 0; i < n; i++) {
    census_trace_context link;
    if (census_span_data_link(s, i, &link) != CENSUS_OK) {
      continue;
    }
    census__json_object_begin(j);
    census__json_key(j, "traceId");
    census__json_hex(j, link.trace_id, CENSUS_TRACE_ID_SIZE);
    census__json_key(j, "spanId");
    census__json_hex(j, link.span_id, CENSUS_SPAN_ID_SIZE);
    if (link.tracestate[0]) {
      census__json_kv_string(j, "traceState", link.tracestate);
    }
    census__json_kv_int64(j, "flags", link_flags(&link));
    census__json_object_end(j);
  }
  census__json_array_end(j);
  census__json_kv_int64(j, "droppedLinksCount", census_span_data_dropped_links(s));
}

static void json_span(census_json *j, const census_span_data *s) {
  struct span_head h;
  span_head_read(s, &h);

  census__json_object_begin(j);
  census__json_key(j, "traceId");
  census__json_hex(j, h.ctx.trace_id, CENSUS_TRACE_ID_SIZE);
  census__json_key(j, "spanId");
  census__json_hex(j, h.ctx.span_id, CENSUS_SPAN_ID_SIZE);
  if (h.ctx.tracestate[0]) {
    census__json_kv_string(j, "traceState", h.ctx.tracestate);
  }
  if (h.has_parent) {
    census__json_key(j, "parentSpanId");
    census__json_hex(j, h.parent, CENSUS_SPAN_ID_SIZE);
  }
  census__json_kv_int64(j, "flags", h.flags);
  census__json_kv_string(j, "name", census_span_data_name(s));
  census__json_kv_int64(j, "kind", (int64_t)otlp_kind(census_span_data_kind(s)));
  census__json_key(j, "startTimeUnixNano");
  census__json_uint64_string(j, (uint64_t)census_span_data_start_time_ns(s));
  census__json_key(j, "endTimeUnixNano");
  census__json_uint64_string(j, (uint64_t)census_span_data_end_time_ns(s));
  census__json_key(j, "attributes");
  census__json_array_begin(j);
  size_t n = census_span_data_attribute_count(s);
  for (size_t i = 0; i < n; i++) {
    census_attribute a;
    if (census_span_data_attribute(s, i, &a) == CENSUS_OK) {
      json_key_value(j, &a);
    }
  }
  census__json_array_end(j);
  census__json_kv_int64(j, "droppedAttributesCount", census_span_data_dropped_attributes(s));
  json_events_links(j, s);
  census__json_key(j, "status");
  census__json_object_begin(j);
  if (h.status_message && h.status_message[0]) {
    census__json_kv_string(j, "message", h.status_message);
  }
  census__json_kv_int64(j, "code", (int64_t)h.code);
  census__json_object_end(j);
  census__json_object_end(j);
}

census_status census__otlp_encode_spans(const census_span_data *const *spans, size_t count,
                                        const census_resource *resource, bool json,
                                        census_buf *out) {
  if (json) {
    census_json j;
    census__json_init(&j, out);
    json_envelope_begin(&j, resource, "resourceSpans", "scopeSpans", "spans");
    for (size_t i = 0; i < count; i++) {
      json_span(&j, spans[i]);
    }
    json_envelope_end(&j);
  } else {
    /* The body's room for the guess at once: growing by doubling copied the body written so far
     * at every step (a third of a span's bytes again, on average, and a fresh page per step). */
    census__buf_reserve(out, 256 + count * SPAN_ESTIMATE);
    pb_envelope e = pb_envelope_begin(out, resource, count * SPAN_ESTIMATE);
    for (size_t i = 0; i < count; i++) {
      pb_span(out, spans[i]);
    }
    pb_envelope_end(out, e);
  }
  return out->failed ? CENSUS_ENOMEM : CENSUS_OK;
}
