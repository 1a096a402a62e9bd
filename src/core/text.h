/* text.h - validation and copying of the names and values census accepts. */
#ifndef CENSUS_CORE_TEXT_H
#define CENSUS_CORE_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* True if s is at most max bytes, all printable ASCII (0x20..0x7e), and (unless allow_empty)
 * not empty. Sets *len to its length when it returns true. */
bool census__text_is_printable(const char *s, size_t max, bool allow_empty, size_t *len);

/* strdup that maps NULL to "". Returns NULL only if memory is exhausted. */
char *census__strdup_or_empty(const char *s);

#endif
