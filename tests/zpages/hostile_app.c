/* hostile_app.c - a program that records hostile span names, attributes, events, status
 * messages, view names, descriptions, columns and tag values, and serves the zPages on a port of
 * its own, for tests/zpages/escape_test.py and the browser test: the pages must show every one
 * of these strings as text, and none may become markup.
 *
 * Prints "port N" on stdout once the pages are served, then waits until stdin closes (the test
 * holds it open) and stops cleanly. Every census call is checked; a failure exits 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <census/census.h>
#include <census/exporters/zpages.h>
#include <census/trace.h>

/* What the test looks for: script tags, attribute breakouts, entities, quotes. */
static const char *const hostile[] = {
    "<script>window.__pwned=1</script>",   "\"><img src=x onerror=\"window.__pwned=2\">",
    "'><svg onload='window.__pwned=3'>",   "a&amp;b &lt;i&gt; & <b>bold</b>",
    "</td></tr></table><h1>injected</h1>",
};

static void check(const char *what, census_status status) {
  if (status != CENSUS_OK) {
    fprintf(stderr, "hostile_app: %s: %s\n", what, census_status_str(status));
    exit(1);
  }
}

int main(void) {
  census_zpages_options o = CENSUS_ZPAGES_OPTIONS_INIT;
  o.any_port = 1;
  o.record_unsampled = 1;
  o.history_interval_ms = 200;
  census_zpages_exporter *z;
  check("zpages", census_zpages_exporter_start(&o, &z));

  census_status st;
  const census_tag_key *key = census_tag_key_new("<b>column</b>", &st);
  check("tag key", st);
  const census_measure *m =
      census_measure_int64_new("hostile/<measure>", "<i>measure</i>", "<u>1</u>", &st);
  check("measure", st);
  census_aggregation *count = census_aggregation_count_new();
  census_view *v =
      census_view_new("hostile/<script>view</script>", hostile[1], m, &key, 1, count, &st);
  check("view", st);
  check("register", census_view_register(v));
  census_view_free(v);
  census_aggregation_free(count);
  for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
    census_tag_map *tags = census_tag_map_new();
    check("tag value", census_tag_map_put(tags, key, hostile[i]));
    check("record", census_record_int64(m, 1, tags));
    census_tag_map_free(tags);
  }

  census_span_options so = CENSUS_SPAN_OPTIONS_INIT;
  so.root = true;
  for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
    census_span s = census_span_start(hostile[i], &so);
    check("attribute", census_span_set_attribute_string(s, hostile[i], hostile[(i + 1) % 5]));
    check("event", census_span_add_event_with_attribute(s, hostile[(i + 2) % 5], hostile[i],
                                                        hostile[(i + 3) % 5]));
    check("status", census_span_set_status(s, CENSUS_SPAN_STATUS_ERROR, hostile[(i + 4) % 5]));
    census_span_end(s);
    census_span ok = census_span_start(hostile[i], &so);
    check("attribute", census_span_set_attribute_string(ok, "k", hostile[i]));
    census_span_end(ok);
  }
  /* Bytes that are not UTF-8 and a control character: shown as U+FFFD, never raw. */
  census_span raw = census_span_start("bad \xff\xfe utf8 \x01 ctl", &so);
  census_span_end(raw);
  /* One span that stays running, with a hostile name. */
  census_span running = census_span_start(hostile[0], &so);

  printf("port %u\n", (unsigned)census_zpages_exporter_port(z));
  fflush(stdout);
  char c;
  while (read(0, &c, 1) > 0) {
  }
  census_span_end(running);
  check("stop", census_zpages_exporter_stop(z, 5000));
  return 0;
}
