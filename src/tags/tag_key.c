/* tag_key.c - interning of tag keys.
 *
 * Each distinct name gets one census_tag_key for the life of the process, so keys compare by
 * address on the record path. The table (this file's, under its TAG_KEYS lock) is open
 * addressing on the name's hash. Keys are never freed, not even by census_shutdown(), because
 * callers hold them as plain pointers; so that a peer sending ever new keys (in baggage or
 * grpc-tags-bin) cannot grow memory without bound, at most CENSUS_TAG_MAX_KEYS keys exist and
 * later new names are refused with CENSUS_ELIMIT.
 */
#include <stdlib.h>
#include <string.h>

#include "tags/tag_key.h"

#include "core/hash.h"
#include "core/lock.h"
#include "core/run_state.h"
#include "core/text.h"
#include "tags/tags_internal.h"
#include "core/alloc.h"

/* The interned keys: open addressing, capacity a power of two, under keys_mu. */
static census__mutex keys_mu = CENSUS__MUTEX_INIT(CENSUS__LOCK_TAG_KEYS);
static census_tag_key **keys;
static size_t key_count, key_cap;

static void set_status(census_status *out, census_status value) {
  if (out) {
    *out = value;
  }
}

/* The slot of `name` in the table: its key, or the empty slot where it would go. Caller holds
 * keys_mu and the table has at least one empty slot. */
static census_tag_key **slot_of(const char *name, size_t length) {
  size_t mask = key_cap - 1;
  for (size_t i = census__hash_bytes(name, length) & mask;; i = (i + 1) & mask) {
    census_tag_key **slot = &keys[i];
    if (!*slot || strcmp((*slot)->name, name) == 0) {
      return slot;
    }
  }
}

/* Doubles the table (load stays under 1/2). False on ENOMEM. */
static bool table_grow(void) {
  size_t old_cap = key_cap;
  census_tag_key **old = keys;
  size_t cap = old_cap ? old_cap * 2 : 64;
  census_tag_key **fresh = census__calloc(cap, sizeof *fresh);
  if (!fresh) {
    return false;
  }
  keys = fresh;
  key_cap = cap;
  for (size_t i = 0; i < old_cap; i++) {
    if (old[i]) {
      *slot_of(old[i]->name, old[i]->length) = old[i];
    }
  }
  census__free(old);
  return true;
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
  if (census__is_shut_down()) {
    set_status(status, CENSUS_ESHUTDOWN);
    return NULL;
  }
  census_status result = CENSUS_OK;
  census__mutex_lock(&keys_mu);
  if ((key_count + 1) * 2 > key_cap && !table_grow()) {
    result = CENSUS_ENOMEM;
  }
  census_tag_key *found = NULL;
  if (result == CENSUS_OK) {
    census_tag_key **slot = slot_of(name, length);
    found = *slot;
    if (!found && key_count >= CENSUS_TAG_MAX_KEYS) {
      result = CENSUS_ELIMIT;
    } else if (!found) {
      census_tag_key *key = census__malloc(sizeof *key);
      char *copy = census__strdup(name);
      if (key && copy) {
        key->name = copy;
        key->length = length;
        *slot = found = key;
        key_count++;
      } else {
        census__free(key);
        census__free(copy);
        result = CENSUS_ENOMEM;
      }
    }
  }
  census__mutex_unlock(&keys_mu);
  set_status(status, result);
  return found;
}

void census__tag_keys_fork_prepare(void) { census__mutex_lock(&keys_mu); }

void census__tag_keys_fork_parent(void) { census__mutex_unlock(&keys_mu); }

CENSUS_EXPORT const char *census_tag_key_name(const census_tag_key *key) {
  return key ? key->name : NULL;
}
