/* http_client.h - the raw HTTP client of the unit tests that talk to census's own HTTP servers
 * (test_prometheus_routes.c, test_prometheus_server.c, test_zpages_exporter.c).
 *
 * One request per connection over plain sockets, HTTP/1.0, so the server closes the connection
 * after its answer and the client reads until end of file: no client library sits between the
 * test and the bytes census sends. Static inline (each test file is its own executable, as
 * support.h). None of these functions fails the running test; they report failure in their
 * results, so they may be called from any thread.
 */
#ifndef CENSUS_TESTS_UNIT_HTTP_CLIENT_H
#define CENSUS_TESTS_UNIT_HTTP_CLIENT_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Sends `method path` (HTTP/1.0, no headers, no body) to 127.0.0.1:port and returns the whole
 * answer, status line and headers included, NUL-terminated (the caller frees it). The answer is
 * "" when the connection was refused or closed without one; NULL only if memory ran out. The
 * answer must hold no NUL byte for the string functions below (census's pages hold none). */
static inline char *http_request(uint16_t port, const char *method, const char *path) {
  size_t used = 0, cap = 1 << 16;
  char *out = malloc(cap + 1);
  if (out == NULL) {
    return NULL;
  }
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0) {
    char request[512];
    int length = snprintf(request, sizeof request, "%s %s HTTP/1.0\r\n\r\n", method, path);
    if (write(fd, request, (size_t)length) == (ssize_t)length) {
      ssize_t n;
      while ((n = read(fd, out + used, cap - used)) > 0) {
        used += (size_t)n;
        if (used == cap) {
          char *bigger = realloc(out, 2 * cap + 1);
          if (bigger == NULL) {
            break; /* the answer so far */
          }
          out = bigger;
          cap *= 2;
        }
      }
    }
  }
  if (fd >= 0) {
    close(fd);
  }
  out[used] = '\0';
  return out;
}

/* The status code of an answer from http_request(); 0 for "" (no answer) or NULL. */
static inline int http_status(const char *answer) {
  int code = 0;
  if (answer != NULL) {
    sscanf(answer, "HTTP/%*s %d", &code);
  }
  return code;
}

/* The body of an answer from http_request() (after the blank line); "" if it has none. */
static inline const char *http_body(const char *answer) {
  const char *b = answer ? strstr(answer, "\r\n\r\n") : NULL;
  return b ? b + 4 : "";
}

#endif
