/* otlp_exp_app.c - encodes an exponential histogram view with the OTLP encoders, for
 * check_exponential.js, which decodes the bodies with the official .proto files and compares them
 * with what it computes itself from the recorded values.
 *
 *   otlp_exp_app DIR   writes DIR/metrics.pb, DIR/metrics.json and DIR/values.json (the values
 *                      recorded per series, max_size and max_scale: the checker's input)
 * The view "exp_test/latency" (EXPONENTIAL, max_size 20, max_scale 20, column method) gets, for
 * GET, 1 ms .. 100 s latencies (and two zeros), for POST one value recorded three times (it keeps
 * a high scale), and for PUT only zeros (no positive bucket).
 */
#include <stdio.h>
#include <stdlib.h>

#include <census/census.h>

#include "buffer.h"
#include "otlp_encode.h"
#include "otlp_app_write.h"

#define CHECK(x)                                                                                   \
  do {                                                                                             \
    if ((x) != CENSUS_OK) {                                                                        \
      fprintf(stderr, "otlp_exp_app: %s failed\n", #x);                                            \
      return 1;                                                                                    \
    }                                                                                              \
  } while (0)

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: otlp_exp_app DIR\n");
    return 2;
  }
  census_status st;
  const census_tag_key *method = census_tag_key_new("method", &st);
  const census_measure *m = census_measure_double_new("exp_test/latency", "Latency", "ms", &st);
  census_aggregation *a = census_aggregation_exponential_new(20, 20, &st);
  census_view *v = census_view_new("exp_test/latency", "Latency", m, &method, 1, a, &st);
  CHECK(census_view_register(v));
  census_view_free(v);
  census_aggregation_free(a);
  census_tag_map *get = census_tag_map_new(), *post = census_tag_map_new(),
                 *put = census_tag_map_new();
  census_tag_map_put(get, method, "GET");
  census_tag_map_put(post, method, "POST");
  census_tag_map_put(put, method, "PUT");
  const double get_values[] = {0, 1.5, 3.25, 12.5, 99.5, 250.5, 1024, 4000.5, 33333.5, 99999.5, 0};
  const double post_value = 741.5;
  FILE *values = NULL;
  char path[512];
  snprintf(path, sizeof path, "%s/values.json", argv[1]);
  values = fopen(path, "w");
  fprintf(values, "{\"max_size\": 20, \"max_scale\": 20, \"series\": {\"GET\": [");
  for (size_t i = 0; i < sizeof get_values / sizeof get_values[0]; i++) {
    CHECK(census_record_double(m, get_values[i], get));
    fprintf(values, "%s%.17g", i ? ", " : "", get_values[i]);
  }
  fprintf(values, "], \"POST\": [%.17g, %.17g, %.17g], \"PUT\": [0, 0]}}\n", post_value, post_value,
          post_value);
  fclose(values);
  for (int i = 0; i < 3; i++) {
    CHECK(census_record_double(m, post_value, post));
  }
  CHECK(census_record_double(m, 0, put));
  CHECK(census_record_double(m, 0, put));
  census_view_data *d = census_view_data_get("exp_test/latency", &st);
  CHECK(st);
  const census_view_data *views[] = {d};
  for (int json = 0; json < 2; json++) {
    census_buf buf = CENSUS_BUF_INIT;
    CHECK(census__otlp_encode_metrics(views, 1, NULL, json, &buf, NULL));
    if (write_file(argv[1], json ? "metrics.json" : "metrics.pb", buf.data, buf.len)) {
      return 1;
    }
    census__buf_free(&buf);
  }
  census_view_data_free(d);
  census_tag_map_free(get);
  census_tag_map_free(post);
  census_tag_map_free(put);
  census_shutdown(5000);
  return 0;
}
