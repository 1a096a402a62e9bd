/* utf8.c - the UTF-8 validator and the table-driven escaper (see utf8.h).
 *
 * The escaper scans for the next byte that needs work (an ASCII byte with a table entry, or any
 * byte >= 0x80, which must be validated) and copies everything before it in one append, so text
 * that is plain ASCII (tag values always are) costs one scan and one copy.
 */
#include "utf8.h"

size_t census__utf8_sequence(const unsigned char *s, size_t len) {
  unsigned char c = s[0];
  size_t n;
  unsigned cp;
  if (c < 0x80) {
    return 1;
  } else if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
    cp = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    cp = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (len < n) {
    return 0;
  }
  for (size_t i = 1; i < n; i++) {
    if ((s[i] & 0xc0) != 0x80) {
      return 0;
    }
    cp = (cp << 6) | (s[i] & 0x3f);
  }
  if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
      (n == 4 && (cp < 0x10000 || cp > 0x10ffff))) {
    return 0;
  }
  return n;
}

size_t census__utf8_prefix(const char *s, size_t len, size_t limit) {
  if (len <= limit) {
    return len;
  }
  size_t end = limit;
  /* Back up over continuation bytes to the start of the character that the cut falls in. */
  while (end > 0 && ((unsigned char)s[end] & 0xc0) == 0x80) {
    end--;
  }
  return end;
}

void census__utf8_escape(census_buf *out, const char *s, size_t len, census_utf8_escapes table) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  while (i < len) {
    size_t start = i;
    while (i < len && p[i] < 0x80 && table[p[i]] == NULL) {
      i++;
    }
    census__buf_append(out, p + start, i - start);
    if (i == len) {
      break;
    }
    if (p[i] < 0x80) {
      census__buf_append_str(out, table[p[i]]);
      i++;
      continue;
    }
    size_t n = census__utf8_sequence(p + i, len - i);
    if (n == 0) {
      census__buf_append(out, "\xef\xbf\xbd", 3); /* U+FFFD for the byte that is not UTF-8 */
      i++;
    } else {
      census__buf_append(out, p + i, n);
      i += n;
    }
  }
}

void census__utf8_escape_str(census_buf *out, const char *s, census_utf8_escapes table) {
  const unsigned char *p = (const unsigned char *)(s ? s : "");
  for (;;) {
    const unsigned char *start = p;
    /* Table entry 0 is consulted for the NUL too: the tables leave it NULL, so test it apart. */
    while (*p != 0 && *p < 0x80 && table[*p] == NULL) {
      p++;
    }
    census__buf_append(out, start, (size_t)(p - start));
    if (*p == 0) {
      return;
    }
    if (*p < 0x80) {
      census__buf_append_str(out, table[*p]);
      p++;
      continue;
    }
    /* A sequence cut by the terminator fails its continuation check at the NUL: no over-read. */
    size_t n = census__utf8_sequence(p, 4);
    if (n == 0) {
      census__buf_append(out, "\xef\xbf\xbd", 3); /* U+FFFD for the byte that is not UTF-8 */
      p++;
    } else {
      census__buf_append(out, p, n);
      p += n;
    }
  }
}

census_utf8_escapes census__utf8_json_escapes = {
    "\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004",      "\\u0005",      "\\u0006",
    "\\u0007", "\\u0008", "\\t",     "\\n",     "\\u000b",      "\\u000c",      "\\r",
    "\\u000e", "\\u000f", "\\u0010", "\\u0011", "\\u0012",      "\\u0013",      "\\u0014",
    "\\u0015", "\\u0016", "\\u0017", "\\u0018", "\\u0019",      "\\u001a",      "\\u001b",
    "\\u001c", "\\u001d", "\\u001e", "\\u001f", ['"'] = "\\\"", ['\\'] = "\\\\"};
