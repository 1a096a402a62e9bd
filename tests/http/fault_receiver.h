/* fault_receiver.h - starting tests/http/fault_receiver.js from a C test and reading what it
 * recorded.
 *
 * fault_receiver_start() spawns `node fault_receiver.js --lifeline --log <tmpdir>/requests.jsonl
 * <args...>` with pipes on stdin (the lifeline: the receiver exits when the test process dies)
 * and stdout (its first line is the port), waits up to 10 s for the port, and fills in the
 * struct. fault_receiver_requests() parses the JSON-lines log with jansson (an independent
 * parser) into an array. fault_receiver_stop() ends the receiver, waits for it and removes the
 * temporary files. All functions are static inline and return false/NULL on failure instead of
 * failing a test, so any test framework can use them; none is thread-safe.
 *
 * Needs <jansson.h> (link jansson).
 */
#ifndef CENSUS_TESTS_HTTP_FAULT_RECEIVER_H
#define CENSUS_TESTS_HTTP_FAULT_RECEIVER_H

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

typedef struct fault_receiver {
  pid_t pid;
  int port;
  int stdin_fd;  /* our end of the lifeline */
  int stdout_fd; /* our end of its stdout */
  char dir[64];
  char log_path[128];
  char url_base[64]; /* "http://127.0.0.1:<port>" */
} fault_receiver;

static inline long long fault_receiver_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Unsets the proxy variables libcurl reads (http_proxy, HTTPS_PROXY, all_proxy, ...): the
 * receiver is on loopback and a proxy from the environment must not get in between. Call before
 * any thread starts (setenv/unsetenv are not thread-safe). */
static inline void fault_receiver_unset_proxies(void) {
  const char *proxies[] = {"http_proxy",  "HTTP_PROXY", "https_proxy",
                           "HTTPS_PROXY", "all_proxy",  "ALL_PROXY"};
  for (size_t i = 0; i < sizeof proxies / sizeof proxies[0]; i++) {
    unsetenv(proxies[i]);
  }
}

/* Starts the receiver with `args` (NULL-terminated; may be NULL) after the fixed ones. */
static inline bool fault_receiver_start(fault_receiver *r, const char *node, const char *script,
                                        const char *const *args) {
  memset(r, 0, sizeof *r);
  r->pid = -1;
  r->stdin_fd = r->stdout_fd = -1;
  snprintf(r->dir, sizeof r->dir, "/tmp/census-fault-XXXXXX");
  if (mkdtemp(r->dir) == NULL) {
    return false;
  }
  snprintf(r->log_path, sizeof r->log_path, "%s/requests.jsonl", r->dir);
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0) {
    return false;
  }
  if (pipe2(out, O_CLOEXEC) != 0) {
    close(in[0]);
    close(in[1]);
    return false;
  }
  const char *argv[64];
  size_t n = 0;
  argv[n++] = node;
  argv[n++] = script;
  argv[n++] = "--lifeline";
  argv[n++] = "--log";
  argv[n++] = r->log_path;
  for (size_t i = 0; args != NULL && args[i] != NULL && n < 63; i++) {
    argv[n++] = args[i];
  }
  argv[n] = NULL;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  int rc = posix_spawn(&r->pid, node, &fa, NULL, (char *const *)argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(in[0]);
  close(out[1]);
  r->stdin_fd = in[1];
  r->stdout_fd = out[0];
  if (rc != 0) {
    r->pid = -1;
    return false;
  }
  char line[32];
  size_t len = 0;
  long long deadline = fault_receiver_now_ms() + 10000;
  while (len < sizeof line - 1) {
    long long left = deadline - fault_receiver_now_ms();
    struct pollfd p = {r->stdout_fd, POLLIN, 0};
    if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
      return false;
    }
    ssize_t got = read(r->stdout_fd, line + len, 1);
    if (got <= 0) {
      return false;
    }
    if (line[len] == '\n') {
      break;
    }
    len++;
  }
  line[len] = '\0';
  r->port = atoi(line);
  snprintf(r->url_base, sizeof r->url_base, "http://127.0.0.1:%d", r->port);
  return r->port > 0;
}

/* The recorded requests, in arrival order, as a new JSON array (json_decref() it); NULL if the
 * log cannot be parsed. An absent log is an empty array. */
static inline json_t *fault_receiver_requests(const fault_receiver *r) {
  json_t *all = json_array();
  FILE *f = fopen(r->log_path, "r");
  if (f == NULL) {
    return all;
  }
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  while ((len = getline(&line, &cap, f)) > 0) {
    json_error_t err;
    json_t *j = json_loadb(line, (size_t)len, 0, &err);
    if (j == NULL) {
      /* A line being written right now: stop at it. */
      break;
    }
    json_array_append_new(all, j);
  }
  free(line);
  fclose(f);
  return all;
}

/* The number of requests recorded so far. */
static inline size_t fault_receiver_count(const fault_receiver *r) {
  json_t *all = fault_receiver_requests(r);
  size_t n = all != NULL ? json_array_size(all) : 0;
  json_decref(all);
  return n;
}

/* Waits until at least `n` requests are recorded; false after timeout_ms. */
static inline bool fault_receiver_wait_count(const fault_receiver *r, size_t n, long timeout_ms) {
  long long deadline = fault_receiver_now_ms() + timeout_ms;
  while (fault_receiver_count(r) < n) {
    if (fault_receiver_now_ms() > deadline) {
      return false;
    }
    struct timespec ts = {0, 5 * 1000000};
    nanosleep(&ts, NULL);
  }
  return true;
}

/* Stops the receiver (SIGTERM, then SIGKILL after 5 s), reaps it, removes its files. */
static inline void fault_receiver_stop(fault_receiver *r) {
  if (r->pid > 0) {
    kill(r->pid, SIGTERM);
    long long deadline = fault_receiver_now_ms() + 5000;
    int status;
    while (waitpid(r->pid, &status, WNOHANG) == 0) {
      if (fault_receiver_now_ms() > deadline) {
        kill(r->pid, SIGKILL);
        waitpid(r->pid, &status, 0);
        break;
      }
      struct timespec ts = {0, 2 * 1000000};
      nanosleep(&ts, NULL);
    }
    r->pid = -1;
  }
  if (r->stdin_fd >= 0) {
    close(r->stdin_fd);
    r->stdin_fd = -1;
  }
  if (r->stdout_fd >= 0) {
    close(r->stdout_fd);
    r->stdout_fd = -1;
  }
  if (r->log_path[0] != '\0') {
    unlink(r->log_path);
  }
  if (r->dir[0] != '\0') {
    rmdir(r->dir);
  }
}

#endif
