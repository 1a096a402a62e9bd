/* otlp_app_write.h - the OTLP test apps' one file writer (otlp_exp_app, otlp_exemplar_app): they
 * write the encoders' bodies to files that the node checkers decode with the official .proto files.
 */
#ifndef CENSUS_TESTS_OTLP_APP_WRITE_H
#define CENSUS_TESTS_OTLP_APP_WRITE_H

#include <stdio.h>

/* Writes `len` bytes of `data` to DIR/NAME; 0 on success, 1 on any failure. */
static inline int write_file(const char *dir, const char *name, const char *data, size_t len) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f) {
    return 1;
  }
  int failed = fwrite(data, 1, len, f) != len;
  return fclose(f) != 0 || failed;
}

#endif
