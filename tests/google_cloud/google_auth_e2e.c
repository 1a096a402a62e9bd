/* google_auth_e2e.c - drives census__google_auth_* against fake_google.js for auth_e2e_test.sh.
 *
 *   google_auth_e2e keyfile <expected project> <token ttl s>
 *       key file from GOOGLE_APPLICATION_CREDENTIALS: the token is fetched once and reused by
 *       later calls, refreshed after ttl/2 (the refresh margin for short tokens), and fetched
 *       again after census__google_auth_invalidate(); the key file's project_id is returned.
 *   google_auth_e2e badkey
 *       the endpoint refuses the assertion: CENSUS_EEXPORT and a diagnostic quoting its
 *       "invalid_grant" error.
 *   google_auth_e2e metadata <expected project>
 *       no key file: the token comes from the metadata server at GCE_METADATA_HOST, and
 *       census__google_metadata_get() reads project/project-id but refuses instance/imposter,
 *       which the server answers without "Metadata-Flavor: Google".
 * Prints what it observed; exits non-zero on the first failed expectation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "census/census.h"
#include "google_auth.h"
#include "google_internal.h"

static char last_diag[1024];
static void on_diag(void *user, census_status status, const char *message) {
  (void)user;
  snprintf(last_diag, sizeof last_diag, "%s: %s", census_status_name(status), message);
  fprintf(stderr, "diagnostic: %s\n", last_diag);
}

#define EXPECT(cond)                                                                               \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      fprintf(stderr, "FAILED %s:%d: %s (last diagnostic: %s)\n", __FILE__, __LINE__, #cond,       \
              last_diag);                                                                          \
      exit(1);                                                                                     \
    }                                                                                              \
  } while (0)

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

int main(int argc, char **argv) {
  census_diagnostics_set_callback(on_diag, NULL);
  if (argc < 2)
    return 2;
  const char *mode = argv[1];
  char h1[8192], h2[8192], h3[8192];
  census_status st;
  char *project = NULL;
  census_google_auth_config cfg = {0};
  cfg.scopes = "https://www.googleapis.com/auth/monitoring.write";
  cfg.timeout_ms = 5000;

  if (strcmp(mode, "keyfile") == 0 && argc == 4) {
    long ttl = atol(argv[3]);
    census_google_auth *auth = census__google_auth_new(&cfg, &project, &st);
    EXPECT(auth && st == CENSUS_OK);
    EXPECT(project && strcmp(project, argv[2]) == 0);
    EXPECT(census__google_auth_fetch_count(auth) == 0); /* nothing fetched at creation */
    EXPECT(census__google_auth_header(auth, h1, sizeof h1) == CENSUS_OK);
    EXPECT(strncmp(h1, "Authorization: Bearer tok-", 26) == 0);
    EXPECT(census__google_auth_header(auth, h2, sizeof h2) == CENSUS_OK);
    EXPECT(strcmp(h1, h2) == 0); /* reused */
    EXPECT(census__google_auth_fetch_count(auth) == 1);
    /* Too small a buffer: CENSUS_ELIMIT, nothing fetched. */
    EXPECT(census__google_auth_header(auth, h3, 20) == CENSUS_ELIMIT);
    EXPECT(census__google_auth_fetch_count(auth) == 1);
    sleep_ms(ttl * 1000 / 2 + 700); /* past the refresh point (lifetime / 2 for short tokens) */
    EXPECT(census__google_auth_header(auth, h3, sizeof h3) == CENSUS_OK);
    EXPECT(strcmp(h1, h3) != 0); /* refreshed */
    EXPECT(census__google_auth_fetch_count(auth) == 2);
    EXPECT(census__google_auth_header(auth, h2, sizeof h2) == CENSUS_OK);
    EXPECT(strcmp(h2, h3) == 0);
    EXPECT(census__google_auth_invalidate(auth));
    EXPECT(census__google_auth_header(auth, h2, sizeof h2) == CENSUS_OK);
    EXPECT(strcmp(h2, h3) != 0);
    EXPECT(census__google_auth_fetch_count(auth) == 3);
    printf("keyfile ok fetches=%llu\n", (unsigned long long)census__google_auth_fetch_count(auth));
    census__google_auth_free(auth);
  } else if (strcmp(mode, "badkey") == 0) {
    census_google_auth *auth = census__google_auth_new(&cfg, NULL, &st);
    EXPECT(auth && st == CENSUS_OK);
    EXPECT(census__google_auth_header(auth, h1, sizeof h1) == CENSUS_EEXPORT);
    EXPECT(strstr(last_diag, "invalid_grant") && strstr(last_diag, "HTTP 400"));
    printf("badkey ok\n");
    census__google_auth_free(auth);
  } else if (strcmp(mode, "metadata") == 0 && argc == 3) {
    census_google_auth *auth = census__google_auth_new(&cfg, &project, &st);
    EXPECT(auth && st == CENSUS_OK && project == NULL);
    EXPECT(census__google_auth_metadata_host(auth) != NULL);
    EXPECT(census__google_auth_header(auth, h1, sizeof h1) == CENSUS_OK);
    EXPECT(strncmp(h1, "Authorization: Bearer tok-", 26) == 0);
    EXPECT(census__google_auth_header(auth, h2, sizeof h2) == CENSUS_OK);
    EXPECT(strcmp(h1, h2) == 0);
    EXPECT(census__google_auth_fetch_count(auth) == 1);
    char *p = census__google_metadata_get(census__google_auth_metadata_host(auth),
                                          "project/project-id", 2000);
    EXPECT(p && strcmp(p, argv[2]) == 0);
    census_allocator_free(p); /* census__google_metadata_get() allocated it */
    /* A 200 without "Metadata-Flavor: Google" in the response is not the metadata server's. */
    EXPECT(census__google_metadata_get(census__google_auth_metadata_host(auth), "instance/imposter",
                                       2000) == NULL);
    printf("metadata ok\n");
    census__google_auth_free(auth);
  } else {
    fprintf(stderr, "usage: google_auth_e2e keyfile|badkey|metadata ...\n");
    return 2;
  }
  census_allocator_free(project); /* census__google_auth_new() allocated it */
  return 0;
}
