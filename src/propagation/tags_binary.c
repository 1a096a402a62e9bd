/* tags_binary.c - the OpenCensus binary tag context (gRPC metadata "grpc-tags-bin").
 *
 * Layout (opencensus-specs, encodings/BinaryEncoding.md): a version byte (0), then tags, each a
 * field id 0, a varint key length, the key, a varint value length, the value. Varints are
 * protobuf-style base-128, least significant group first; census reads at most 5 bytes (32 bits)
 * and refuses anything longer, so a hostile length cannot overflow the position arithmetic.
 * A field id other than 0 ends the tags: its length is unknown, so nothing after it can be read.
 * The sum of key and value lengths is limited to CENSUS_TAGS_BINARY_MAX_SIZE (8192), the limit
 * the OpenCensus implementations enforce both ways.
 *
 * The OpenCensus spec (tags/TagMap.md, "Error handling") allows no partial results: encoding a map
 * over the limit is an error, and so is decoding a buffer that cannot be parsed, breaks the limit,
 * or holds a key or value that breaks the tag rules. Decoding therefore runs twice over the
 * buffer: first to prove every tag sound (so a bad buffer changes nothing), then to put them.
 */
#include <string.h>

#include "census/propagation.h"

#define TAG_FIELD_ID 0
#define VARINT_MAX_BYTES 5

/* Reads a varint at buffer[*pos..length) into *out. False if truncated, longer than 5 bytes, or
 * above 2^32 - 1. */
static bool read_varint(const uint8_t *buffer, size_t length, size_t *pos, uint32_t *out) {
  uint64_t value = 0;
  for (size_t i = 0; i < VARINT_MAX_BYTES; i++) {
    if (*pos >= length) {
      return false;
    }
    uint8_t byte = buffer[(*pos)++];
    value |= (uint64_t)(byte & 0x7f) << (7 * i);
    if (!(byte & 0x80)) {
      if (value > UINT32_MAX) {
        return false;
      }
      *out = (uint32_t)value;
      return true;
    }
  }
  return false;
}

static size_t varint_size(size_t value) {
  size_t n = 1;
  while (value >= 0x80) {
    value >>= 7;
    n++;
  }
  return n;
}

static size_t write_varint(size_t value, uint8_t *out) {
  size_t n = 0;
  while (value >= 0x80) {
    out[n++] = (uint8_t)(value | 0x80);
    value >>= 7;
  }
  out[n++] = (uint8_t)value;
  return n;
}

/* One tag as found in the buffer: offsets into it. */
struct tag_span {
  size_t key, key_length, value, value_length;
};

/* Reads the tag starting at *pos (just after its field id). False if the buffer ends early. */
static bool read_tag(const uint8_t *buffer, size_t length, size_t *pos, struct tag_span *tag) {
  uint32_t n;
  if (!read_varint(buffer, length, pos, &n) || n > length - *pos) {
    return false;
  }
  tag->key = *pos;
  tag->key_length = n;
  *pos += n;
  if (!read_varint(buffer, length, pos, &n) || n > length - *pos) {
    return false;
  }
  tag->value = *pos;
  tag->value_length = n;
  *pos += n;
  return true;
}

/* True if bytes[0..n) is a census tag text: at most 255 bytes of 0x20..0x7e (so no NUL), and
 * not empty unless allow_empty. */
static bool is_tag_text(const uint8_t *bytes, size_t n, bool allow_empty) {
  if (n > CENSUS_TAG_MAX_LENGTH || (n == 0 && !allow_empty)) {
    return false;
  }
  for (size_t i = 0; i < n; i++) {
    if (bytes[i] < 0x20 || bytes[i] > 0x7e) {
      return false;
    }
  }
  return true;
}

/* Copies a checked tag text into a NUL-terminated buffer. */
static void copy_text(const uint8_t *bytes, size_t n, char out[CENSUS_TAG_MAX_LENGTH + 1]) {
  memcpy(out, bytes, n);
  out[n] = '\0';
}

CENSUS_EXPORT census_status census_tags_binary_decode(const uint8_t *buffer, size_t length,
                                                      census_tag_map *map) {
  if (!buffer || !map || length < 1 || buffer[0] != 0) {
    return CENSUS_EINVAL;
  }
  /* Pass 1: structure, tag rules and size limit; `end` is where the known fields stop. */
  size_t pos = 1, total = 0;
  struct tag_span tag;
  while (pos < length && buffer[pos] == TAG_FIELD_ID) {
    pos++;
    if (!read_tag(buffer, length, &pos, &tag) ||
        !is_tag_text(buffer + tag.key, tag.key_length, false) ||
        !is_tag_text(buffer + tag.value, tag.value_length, true)) {
      return CENSUS_EINVAL;
    }
    total += tag.key_length + tag.value_length;
    if (total > CENSUS_TAGS_BINARY_MAX_SIZE) {
      return CENSUS_EINVAL;
    }
  }
  size_t end = pos;
  /* Pass 2: put. Only allocation can fail now. */
  for (pos = 1; pos < end;) {
    pos++;
    (void)read_tag(buffer, end, &pos, &tag);
    char key[CENSUS_TAG_MAX_LENGTH + 1], value[CENSUS_TAG_MAX_LENGTH + 1];
    copy_text(buffer + tag.key, tag.key_length, key);
    copy_text(buffer + tag.value, tag.value_length, value);
    census_status status = CENSUS_OK;
    const census_tag_key *tag_key = census_tag_key_new(key, &status);
    if (tag_key) {
      status = census_tag_map_put(map, tag_key, value);
    }
    if (status != CENSUS_OK) {
      return status; /* CENSUS_ENOMEM, or CENSUS_ELIMIT / CENSUS_ESHUTDOWN from key interning */
    }
  }
  return CENSUS_OK;
}

/* Sizes the encoding of `map`: *bytes gets the encoded size, *text the keys-and-values total. */
static void measure(const census_tag_map *map, size_t *bytes, size_t *text) {
  *bytes = 1;
  *text = 0;
  size_t size = census_tag_map_size(map);
  for (size_t i = 0; i < size; i++) {
    const census_tag_key *key;
    const char *value;
    if (census_tag_map_at(map, i, &key, &value) != CENSUS_OK) {
      break;
    }
    size_t key_length = strlen(census_tag_key_name(key)), value_length = strlen(value);
    *text += key_length + value_length;
    *bytes += 1 + varint_size(key_length) + key_length + varint_size(value_length) + value_length;
  }
}

CENSUS_EXPORT census_status census_tags_binary_encode(const census_tag_map *map, uint8_t *out,
                                                      size_t capacity, size_t *length) {
  if (length) {
    *length = 0;
  }
  if (!map || !out || !length) {
    return CENSUS_EINVAL;
  }
  size_t bytes, text;
  measure(map, &bytes, &text);
  if (text > CENSUS_TAGS_BINARY_MAX_SIZE) {
    return CENSUS_ELIMIT;
  }
  if (bytes > capacity) {
    *length = bytes;
    return CENSUS_ELIMIT;
  }
  size_t n = 0;
  out[n++] = 0; /* version */
  size_t size = census_tag_map_size(map);
  for (size_t i = 0; i < size; i++) {
    const census_tag_key *key;
    const char *value;
    if (census_tag_map_at(map, i, &key, &value) != CENSUS_OK) {
      break;
    }
    const char *name = census_tag_key_name(key);
    size_t key_length = strlen(name), value_length = strlen(value);
    out[n++] = TAG_FIELD_ID;
    n += write_varint(key_length, out + n);
    memcpy(out + n, name, key_length);
    n += key_length;
    n += write_varint(value_length, out + n);
    memcpy(out + n, value, value_length);
    n += value_length;
  }
  *length = n;
  return CENSUS_OK;
}
