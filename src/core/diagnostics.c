/* diagnostics.c - the diagnostics callback and its default sink.
 *
 * The callback and its user pointer are published together as one immutable heap pair swapped
 * atomically, so a reporter on another thread never sees a callback with the wrong user pointer.
 * Replaced pairs are kept (they are 16 bytes, replaced rarely) because a reporter may still be
 * using one; that bounded leak is the price of never locking on the report path.
 * The default sink writes one line to stderr with write(2) for the first DEFAULT_LIMIT messages,
 * then a single note that further ones are suppressed (they are still counted in self-metrics).
 */
#include "core/diagnostics.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "census/census.h"
#include "core/alloc.h"

#define DEFAULT_LIMIT 20

struct diag_sink {
  census_diagnostics_fn fn;
  void *user;
  struct diag_sink *replaced; /* kept reachable, since a reporter may still hold it */
};

static atomic_int default_sink_count;

static void default_sink(void *user, census_status status, const char *message) {
  (void)user;
  int n = atomic_fetch_add(&default_sink_count, 1);
  char line[600];
  int len;
  if (n < DEFAULT_LIMIT) {
    len = snprintf(line, sizeof line, "census: %s: %s\n", census_status_name(status), message);
  } else if (n == DEFAULT_LIMIT) {
    len = snprintf(
        line, sizeof line,
        "census: further diagnostics suppressed (census_diagnostics_set_callback to see them)\n");
  } else {
    return;
  }
  if (len > (int)sizeof line - 1) {
    len = (int)sizeof line - 1;
  }
  ssize_t ignored = write(STDERR_FILENO, line, (size_t)len);
  (void)ignored;
}

static struct diag_sink default_pair = {default_sink, NULL, NULL};
static _Atomic(struct diag_sink *) current_sink = &default_pair;

CENSUS_EXPORT void census_diagnostics_set_callback(census_diagnostics_fn fn, void *user) {
  struct diag_sink *pair = census__malloc(sizeof *pair);
  if (!pair) {
    return; /* keep the previous sink: better than losing reports */
  }
  pair->fn = fn;
  pair->user = user;
  pair->replaced = atomic_exchange_explicit(&current_sink, pair, memory_order_acq_rel);
}

/* Formats and hands one message to the current sink (none installed: nothing is formatted). */
static void report_v(census_status status, const char *format, va_list args) {
  struct diag_sink *sink = atomic_load_explicit(&current_sink, memory_order_acquire);
  if (!sink->fn) {
    return;
  }
  char message[512];
  vsnprintf(message, sizeof message, format, args);
  sink->fn(sink->user, status, message);
}

void census__diag(census_status status, const char *format, ...) {
  va_list args;
  va_start(args, format);
  report_v(status, format, args);
  va_end(args);
}

void census__diag_once(atomic_bool *once, census_status status, const char *format, ...) {
  if (atomic_load_explicit(once, memory_order_relaxed) || atomic_exchange(once, true)) {
    return;
  }
  va_list args;
  va_start(args, format);
  report_v(status, format, args);
  va_end(args);
}

census_status census__record_after_shutdown(void) {
  static atomic_bool reported;
  census__diag_once(&reported, CENSUS_ESHUTDOWN,
                    "a measurement was recorded after census_shutdown(): nothing is recorded any "
                    "more (record calls return CENSUS_ESHUTDOWN; reported once)");
  return CENSUS_ESHUTDOWN;
}

CENSUS_EXPORT void census_diagnostics_report(census_status status, const char *message) {
  census__diag(status, "%s", message ? message : "(no message)");
}
