/* fuzz_env.c - libFuzzer target for the readers of census's environment variables: the numeric
 * ones of the core (census__env_positive(): CENSUS_* intervals and limits) and of the exporters
 * (census__env_ms(), census__env_bytes(), census__env_choice(): OTEL_*_TIMEOUT, spool sizes,
 * protocol and compression choices). Their values are set by whoever starts the process.
 *
 * The input, cut at its first NUL as an environment variable would be, is set as one variable's
 * value and read by each. Invariants: nothing crashes or reads out of bounds (ASan); a value is
 * accepted as it parses (in range, the default otherwise) and the same with blanks around it; a
 * refused value is reported with one diagnostic line that names the variable and holds printable
 * ASCII only (a newline or escape sequence in a variable must not forge or garble log lines).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "census/census.h"
#include "core/env.h"
#include "env_config.h"
#include "fuzz_common.h"

#define NAME "CENSUS_FUZZ_VARIABLE"

static size_t reports;

static void on_report(void *user, census_status status, const char *message) {
  (void)user;
  FUZZ_CHECK(status == CENSUS_ECONFIG);
  FUZZ_CHECK(strstr(message, NAME) != NULL);
  for (const char *p = message; *p; p++) {
    FUZZ_CHECK(*p >= 0x20 && *p <= 0x7e);
  }
  reports++;
}

/* Reads the variable set to `value` with every reader; returns a digest of what they gave. */
static uint64_t read_all(const char *value) {
  setenv(NAME, value, 1);
  uint64_t digest = 0;
  reports = 0;
  int64_t positive = 42;
  bool ok = census__env_positive(NAME, 1000000, "milliseconds", &positive);
  FUZZ_CHECK(ok ? positive >= 1 && positive <= 1000000 : positive == 42);
  FUZZ_CHECK(ok || !*value || reports == 1);
  digest = digest * 31 + (uint64_t)positive;
  size_t before = reports;
  int64_t ms = census__env_ms(NAME, 7);
  FUZZ_CHECK(ms >= 0);
  FUZZ_CHECK(ms != 7 || reports <= before + 1);
  digest = digest * 31 + (uint64_t)ms;
  digest = digest * 31 + census__env_bytes(NAME, 9);
  static const char *const choices[] = {"http/protobuf", "http/json", "grpc"};
  size_t choice = census__env_choice(NAME, choices, 3, 1);
  FUZZ_CHECK(choice < 3);
  digest = digest * 31 + choice;
  return digest;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static bool once;
  if (!once) {
    census_diagnostics_set_callback(on_report, NULL);
    once = true;
  }
  char *value = malloc(size + 3);
  if (!value) {
    return 0;
  }
  memcpy(value + 1, data, size);
  value[size + 1] = '\0';
  const char *inner = value + 1;
  uint64_t digest = read_all(inner);
  /* Blanks around a value change nothing (each reader trims spaces and tabs; an empty value is
   * unset, so only non-empty ones). */
  size_t length = strlen(inner);
  if (length > 0 && inner[0] != ' ' && inner[0] != '\t' && inner[length - 1] != ' ' &&
      inner[length - 1] != '\t') {
    value[0] = ' ';
    value[length + 1] = '\t';
    value[length + 2] = '\0';
    FUZZ_CHECK(read_all(value) == digest);
  }
  free(value);
  return 0;
}
