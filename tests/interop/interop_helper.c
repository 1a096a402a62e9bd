/* interop_helper.c - a line-oriented bridge between census propagation and the node interop
 * script (interop.js), so that independent implementations can read what census writes and
 * census can read what they write.
 *
 * One request per line on stdin, one response per line on stdout, fields separated by tabs.
 * Every header value, tag key and tag value crosses as lowercase hex so that no byte needs
 * escaping (binary headers are hex too).
 *
 *   inject <format> <trace_id> <span_id> <flags> <tracestate-hex>
 *       -> <status> {<header-name> <value-hex>}...            formats: w3c b3single b3multi cloud
 *   inject tracebin <trace_id> <span_id> <flags> -> <status> grpc-trace-bin <bytes-hex>
 *   inject baggage|tagsbin {<key-hex> <value-hex>}...
 *       -> <status> <skipped> <header-name> <value-hex>
 *   extract <format> {<header-name> <value-hex>}...
 *       -> trace formats: <status> <trace_id> <span_id> <flags> <tracestate-hex>
 *       -> baggage, tagsbin: <status> <skipped> {<key-hex> <value-hex>}...
 *
 * <status> is the census_status as a decimal number. Ids are lowercase hex. Not part of the
 * library; test code only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "census/propagation.h"

#define MAX_FIELDS 256
#define MAX_HEADERS 16

struct carrier {
  const char *names[MAX_HEADERS];
  char *values[MAX_HEADERS];
  size_t count;
};

static const char *carrier_get(void *c, const char *name) {
  struct carrier *carrier = c;
  for (size_t i = 0; i < carrier->count; i++) {
    if (strcasecmp(carrier->names[i], name) == 0) {
      return carrier->values[i];
    }
  }
  return NULL;
}

static void print_hex(const void *data, size_t n) {
  const unsigned char *p = data;
  for (size_t i = 0; i < n; i++) {
    printf("%02x", p[i]);
  }
}

/* Injected headers, collected so that the status can be printed before them. */
struct output {
  char text[1 << 16];
  size_t length;
};

static void carrier_set(void *c, const char *name, const char *value) {
  struct output *out = c;
  out->length +=
      (size_t)snprintf(out->text + out->length, sizeof out->text - out->length, "\t%s\t", name);
  for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
    out->length +=
        (size_t)snprintf(out->text + out->length, sizeof out->text - out->length, "%02x", *p);
  }
}

/* Decodes hex into a new NUL-terminated buffer; *length gets the byte count. */
static char *from_hex(const char *hex, size_t *length) {
  size_t n = strlen(hex) / 2;
  char *out = malloc(n + 1);
  for (size_t i = 0; i < n; i++) {
    unsigned int byte;
    sscanf(hex + 2 * i, "%2x", &byte);
    out[i] = (char)byte;
  }
  out[n] = '\0';
  if (length) {
    *length = n;
  }
  return out;
}

static void ids_from_hex(char **field, census_trace_context *ctx) {
  memset(ctx, 0, sizeof *ctx);
  size_t n;
  char *t = from_hex(field[0], &n);
  memcpy(ctx->trace_id, t, n < 16 ? n : 16);
  free(t);
  char *s = from_hex(field[1], &n);
  memcpy(ctx->span_id, s, n < 8 ? n : 8);
  free(s);
  ctx->trace_flags = (uint8_t)strtoul(field[2], NULL, 16);
}

static void print_context(census_status status, const census_trace_context *ctx) {
  printf("%d\t", status);
  print_hex(ctx->trace_id, 16);
  printf("\t");
  print_hex(ctx->span_id, 8);
  printf("\t%02x\t", ctx->trace_flags);
  print_hex(ctx->tracestate, strlen(ctx->tracestate));
}

static void print_map(census_status status, size_t skipped, const census_tag_map *map) {
  printf("%d\t%zu", status, skipped);
  for (size_t i = 0; i < census_tag_map_size(map); i++) {
    const census_tag_key *key;
    const char *value;
    census_tag_map_at(map, i, &key, &value);
    const char *name = census_tag_key_name(key);
    printf("\t");
    print_hex(name, strlen(name));
    printf("\t");
    print_hex(value, strlen(value));
  }
}

static census_tag_map *map_from_fields(char **field, size_t n) {
  census_tag_map *map = census_tag_map_new();
  for (size_t i = 0; i + 1 < n; i += 2) {
    char *k = from_hex(field[i], NULL), *v = from_hex(field[i + 1], NULL);
    const census_tag_key *key = census_tag_key_new(k, NULL);
    if (key) {
      census_tag_map_put(map, key, v);
    }
    free(k);
    free(v);
  }
  return map;
}

static void inject(const char *format, char **field, size_t n) {
  if (strcmp(format, "baggage") == 0 || strcmp(format, "tagsbin") == 0) {
    census_tag_map *map = map_from_fields(field, n);
    size_t skipped = 0;
    census_status status;
    if (format[0] == 'b') {
      char out[CENSUS_BAGGAGE_MAX_LENGTH + 1];
      size_t length;
      status = census_baggage_format(map, out, sizeof out, &length, &skipped);
      printf("%d\t%zu\tbaggage\t", status, skipped);
      print_hex(out, length);
    } else {
      static uint8_t out[CENSUS_TAGS_BINARY_MAX_SIZE * 2];
      size_t length;
      status = census_tags_binary_encode(map, out, sizeof out, &length);
      printf("%d\t%zu\tgrpc-tags-bin\t", status, skipped);
      print_hex(out, length);
    }
    census_tag_map_free(map);
    return;
  }
  census_trace_context ctx;
  if (n < 3) {
    printf("%d", CENSUS_EINVAL);
    return;
  }
  ids_from_hex(field, &ctx);
  if (n > 3) {
    size_t len;
    char *ts = from_hex(field[3], &len);
    if (len <= CENSUS_TRACESTATE_MAX_LENGTH) {
      memcpy(ctx.tracestate, ts, len + 1);
    }
    free(ts);
  }
  census_status status;
  if (strcmp(format, "tracebin") == 0) {
    uint8_t out[CENSUS_TRACE_BINARY_SIZE];
    status = census_trace_binary_encode(&ctx, out);
    printf("%d\tgrpc-trace-bin\t", status);
    print_hex(out, status == CENSUS_OK ? sizeof out : 0);
    return;
  }
  static struct output out;
  out.length = 0;
  out.text[0] = '\0';
  if (strcmp(format, "w3c") == 0) {
    status = census_traceparent_inject(&ctx, carrier_set, &out);
  } else if (strcmp(format, "b3single") == 0) {
    status = census_b3_inject(&ctx, CENSUS_B3_SINGLE, carrier_set, &out);
  } else if (strcmp(format, "b3multi") == 0) {
    status = census_b3_inject(&ctx, CENSUS_B3_MULTI, carrier_set, &out);
  } else if (strcmp(format, "cloud") == 0) {
    status = census_cloud_trace_inject(&ctx, carrier_set, &out);
  } else {
    status = CENSUS_EINVAL;
  }
  printf("%d%s", status, out.text);
}

static void extract(const char *format, char **field, size_t n) {
  struct carrier carrier = {{0}, {0}, 0};
  size_t lengths[MAX_HEADERS];
  for (size_t i = 0; i + 1 < n && carrier.count < MAX_HEADERS; i += 2) {
    carrier.names[carrier.count] = field[i];
    carrier.values[carrier.count] = from_hex(field[i + 1], &lengths[carrier.count]);
    carrier.count++;
  }
  census_trace_context ctx;
  census_status status;
  if (strcmp(format, "baggage") == 0 || strcmp(format, "tagsbin") == 0) {
    census_tag_map *map = census_tag_map_new();
    size_t skipped = 0;
    if (format[0] == 'b') {
      status = census_baggage_extract(carrier_get, &carrier, map, &skipped);
    } else {
      const char *value = carrier_get(&carrier, "grpc-tags-bin");
      size_t length = 0;
      for (size_t i = 0; i < carrier.count; i++) {
        if (carrier.values[i] == value) {
          length = lengths[i];
        }
      }
      status =
          value ? census_tags_binary_decode((const uint8_t *)value, length, map) : CENSUS_ENOTFOUND;
    }
    print_map(status, skipped, map);
    census_tag_map_free(map);
  } else {
    if (strcmp(format, "w3c") == 0) {
      status = census_traceparent_extract(carrier_get, &carrier, &ctx, NULL);
    } else if (strcmp(format, "b3single") == 0 || strcmp(format, "b3multi") == 0) {
      status = census_b3_extract(carrier_get, &carrier, &ctx, NULL);
    } else if (strcmp(format, "cloud") == 0) {
      status = census_cloud_trace_extract(carrier_get, &carrier, &ctx);
    } else if (strcmp(format, "tracebin") == 0) {
      const char *value = carrier_get(&carrier, "grpc-trace-bin");
      size_t length = 0;
      for (size_t i = 0; i < carrier.count; i++) {
        if (carrier.values[i] == value) {
          length = lengths[i];
        }
      }
      status = census_trace_binary_decode((const uint8_t *)value, length, &ctx);
    } else {
      memset(&ctx, 0, sizeof ctx);
      status = CENSUS_EINVAL;
    }
    print_context(status, &ctx);
  }
  for (size_t i = 0; i < carrier.count; i++) {
    free(carrier.values[i]);
  }
}

int main(void) {
  static char line[1 << 20];
  while (fgets(line, sizeof line, stdin)) {
    line[strcspn(line, "\r\n")] = '\0';
    char *field[MAX_FIELDS];
    size_t n = 0;
    /* Split at tabs, keeping empty fields (an empty value is hex ""). */
    for (char *p = line; n < MAX_FIELDS;) {
      field[n++] = p;
      char *tab = strchr(p, '\t');
      if (!tab) {
        break;
      }
      *tab = '\0';
      p = tab + 1;
    }
    if (n >= 2 && strcmp(field[0], "inject") == 0) {
      inject(field[1], field + 2, n - 2);
    } else if (n >= 2 && strcmp(field[0], "extract") == 0) {
      extract(field[1], field + 2, n - 2);
    } else {
      printf("%d", CENSUS_EINVAL);
    }
    printf("\n");
    fflush(stdout);
  }
  return 0;
}
