/* shm_member.c - one process of a shared-memory group, for shm_cli_test.sh.
 *
 * Usage: shm_member DIR N [hang]
 * Joins the group in DIR through CENSUS_SHM_DIR (set here, after start, as a post-fork hook
 * would), records N requests (0.25 s each into "shm_demo/requests" (COUNT) and
 * "shm_demo/latency" (DISTRIBUTION), route="/a"), prints "recorded N" and exits; with "hang" it
 * then waits to be killed (the test SIGKILLs it).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <census/census.h>

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: shm_member DIR N [hang]\n");
    return 2;
  }
  setenv("CENSUS_SHM_DIR", argv[1], 1);
  long n = strtol(argv[2], NULL, 10);
  const census_measure *latency = census_measure_double_new("shm_demo/latency", "", "s", NULL);
  const census_tag_key *route = census_tag_key_new("route", NULL);
  double bounds[] = {0.1, 0.5, 1};
  census_aggregation *count_agg = census_aggregation_count_new();
  census_aggregation *dist_agg = census_aggregation_distribution_new(bounds, 3, NULL);
  census_view *count =
      census_view_new("shm_demo/requests", "requests", latency, &route, 1, count_agg, NULL);
  census_view *dist =
      census_view_new("shm_demo/latency", "latency", latency, &route, 1, dist_agg, NULL);
  bool registered =
      census_view_register(count) == CENSUS_OK && census_view_register(dist) == CENSUS_OK;
  census_view_free(count);
  census_view_free(dist);
  census_aggregation_free(count_agg);
  census_aggregation_free(dist_agg);
  census_tag_map *tags = census_tag_map_new();
  census_tag_map_put(tags, route, "/a");
  for (long i = 0; registered && i < n; i++) {
    registered = census_record_double(latency, 0.25, tags) == CENSUS_OK;
  }
  census_tag_map_free(tags);
  if (!registered) {
    return 1;
  }
  printf("recorded %ld\n", n);
  fflush(stdout);
  if (argc > 3 && strcmp(argv[3], "hang") == 0) {
    for (;;) {
      pause();
    }
  }
  census_shutdown(1000);
  return 0;
}
