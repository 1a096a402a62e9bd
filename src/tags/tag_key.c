/* tag_key.c - interning of tag keys.
 *
 * Each distinct name gets one census_tag_key for the life of the process, so keys compare by
 * address on the record path. The table (census__g.tag_keys, under registry_mu) is an array
 * searched linearly: programs define tens of keys, and only key creation searches it. Keys are
 * never freed, not even by census_shutdown(), because callers hold them as plain pointers.
 */
#include <stdlib.h>
#include <string.h>

#include "core/global.h"
#include "core/text.h"
#include "tags/tags_internal.h"

static void set_status(census_status *out, census_status value) {
  if (out) {
    *out = value;
  }
}

CENSUS_EXPORT const census_tag_key *census_tag_key_new(const char *name, census_status *status) {
  size_t length;
  if (!name) {
    set_status(status, CENSUS_EINVAL);
    return NULL;
  }
  if (!census__text_is_printable(name, CENSUS_TAG_MAX_LENGTH, false, &length)) {
    set_status(status, CENSUS_EBADNAME);
    return NULL;
  }
  census_status started = census__ensure_started();
  if (started != CENSUS_OK) {
    set_status(status, started);
    return NULL;
  }
  pthread_mutex_lock(&census__g.registry_mu);
  census_tag_key *found = NULL;
  for (size_t i = 0; i < census__g.tag_key_count && !found; i++) {
    if (strcmp(census__g.tag_keys[i]->name, name) == 0) {
      found = census__g.tag_keys[i];
    }
  }
  if (!found && census__g.tag_key_count == census__g.tag_key_cap) {
    size_t cap = census__g.tag_key_cap ? census__g.tag_key_cap * 2 : 16;
    census_tag_key **grown = realloc(census__g.tag_keys, cap * sizeof *grown);
    if (grown) {
      census__g.tag_keys = grown;
      census__g.tag_key_cap = cap;
    }
  }
  if (!found && census__g.tag_key_count < census__g.tag_key_cap) {
    census_tag_key *key = malloc(sizeof *key);
    char *copy = strdup(name);
    if (key && copy) {
      key->name = copy;
      key->length = length;
      census__g.tag_keys[census__g.tag_key_count++] = key;
      found = key;
    } else {
      free(key);
      free(copy);
    }
  }
  pthread_mutex_unlock(&census__g.registry_mu);
  set_status(status, found ? CENSUS_OK : CENSUS_ENOMEM);
  return found;
}

CENSUS_EXPORT const char *census_tag_key_name(const census_tag_key *key) {
  return key ? key->name : NULL;
}
