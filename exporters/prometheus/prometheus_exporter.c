/* prometheus_exporter.c - the Prometheus exporter: the /metrics endpoint, on libmicrohttpd, and
 * its life in census (census_prometheus_exporter_start/_stats/_stop). Rendering is
 * prometheus_render.c's, names prometheus_names.c's.
 *
 * libmicrohttpd runs one internal thread that polls every connection, so a slow or silent client
 * costs a socket and its memory pool, never a thread: it cannot stall other scrapes, and nothing
 * here ever touches a recording thread. Limits bound what clients can take: max_connections,
 * max_connections_per_ip, connection_memory (request headers beyond it get 431 from
 * libmicrohttpd) and timeout_s (idle or slow connections are closed); when every connection is
 * taken, the one longest in its request is closed for the newcomer (on_accept()), so connections
 * held open from many addresses cannot shut scrapes out. A scrape renders on the server thread from
 * one snapshot taken with census_view_data_get_all(), which never blocks recorders.
 *
 * Stopping. The server registers a stats exporter (with `server` as its user pointer) whose
 * export does nothing and whose shutdown stops the server, so census_shutdown() stops it too.
 * census_stats_exporter_unregister() calls that shutdown while holding census's collection lock,
 * and a scrape in progress may be waiting for that very lock: joining the server thread there
 * could deadlock. So the shutdown callback first marks the server stopping (new requests then get
 * 503 without touching census), waits briefly for scrapes in flight, and joins the server thread
 * itself only if none is left; otherwise a helper thread joins it once the lock is released, and
 * census_prometheus_exporter_stop() waits for that helper. census_prometheus_exporter_stop()
 * itself stops the daemon first, holding no census lock, and unregisters the exporter after; it
 * frees the handle unless census still holds the registration (unregistration timed out), in
 * which case census's later shutdown call finds the server already stopped.
 * Invariant: `daemon` is stopped exactly once, by whoever sets `stopping` first under `mu`.
 * The counters are atomics, written by the server thread and read by _stats() at any time.
 */
#include "census/exporters/prometheus.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "census/census.h"
#include "prometheus_internal.h"
#include "alloc.h"

#define DEFAULT_MAX_CONNECTIONS 32
#define DEFAULT_CONNECTION_MEMORY 32768
#define DEFAULT_TIMEOUT_S 10
#define DEFAULT_MAX_CONNECTIONS_PER_IP 8
/* Connections libmicrohttpd may hold beyond max_connections: those closed for a newcomer (see
 * on_accept()) until the server thread has closed them. */
#define EVICTED_SLACK 8
#define SHUTDOWN_SCRAPE_WAIT_MS 100
#define MAX_ROUTES 8

/* A route added with census_prometheus_exporter_add_route(); under `mu`. */
struct route {
  char *prefix;
  size_t length;
  census_prometheus_route_fn handler;
  void *user;
  int in_flight; /* handler calls in progress */
};

/* An open connection (server thread only): when its current request began, or its previous
 * one ended. */
struct tracked {
  struct MHD_Connection *connection; /* NULL: a free slot */
  int fd;
  int64_t since_ns;
  bool evicted; /* shut down for a newcomer, not closed yet */
};

struct census_prometheus_request {
  struct MHD_Connection *connection;
  const char *path;
};

struct census_prometheus_exporter {
  census_prometheus_options options; /* strings point into the copies below */
  census_kv *labels;
  char *prefix;
  struct MHD_Daemon *daemon;
  uint16_t port;
  bool registered; /* a stats exporter with this server as user is registered */

  pthread_mutex_t mu;
  pthread_cond_t idle; /* signalled when in_flight drops to 0 or callback_busy clears */
  bool stopping;       /* no new scrape may enter census */
  int in_flight;       /* scrapes between the stopping check and their end */
  bool helper_started; /* a helper thread stops the daemon (see the file comment) */
  bool callback_busy;  /* exporter_shutdown() is running; stop() waits for it */
  pthread_t helper;
  _Atomic uint64_t scrapes, scrape_failures, requests_refused, bytes_served;
  struct route routes[MAX_ROUTES]; /* prefix NULL: a free slot */
  char last_error[160];            /* the last failed scrape, for the status registry */
  int64_t last_error_ns;
  bool status_registered; /* in census's exporter status registry */
  /* Connections, tracked on the server thread only (its callbacks): max_connections +
   * EVICTED_SLACK slots. */
  struct tracked *connections;
  unsigned max_connections, slots, open, evicted_open;
};

/* ---- requests ----------------------------------------------------------------------------- */

static enum MHD_Result answer_static(struct MHD_Connection *connection, unsigned code,
                                     const char *body, const char *allow) {
  struct MHD_Response *response =
      MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
  if (!response) {
    return MHD_NO;
  }
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
  if (allow) {
    MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, allow);
  }
  enum MHD_Result result = MHD_queue_response(connection, code, response);
  MHD_destroy_response(response);
  return result;
}

/* Renders a scrape unless the server is stopping; the in-flight count lets the shutdown callback
 * know whether a scrape may be waiting for census's collection lock. */
static census_status scrape(struct census_prometheus_exporter *s, census_prometheus_format format,
                            char **text, size_t *length) {
  pthread_mutex_lock(&s->mu);
  if (s->stopping) {
    pthread_mutex_unlock(&s->mu);
    return CENSUS_ESHUTDOWN;
  }
  s->in_flight++;
  pthread_mutex_unlock(&s->mu);
  census_prometheus_options options = s->options;
  options.format = format;
  census_status status = census_prometheus_render(&options, text, length);
  pthread_mutex_lock(&s->mu);
  if (--s->in_flight == 0) {
    pthread_cond_broadcast(&s->idle);
  }
  pthread_mutex_unlock(&s->mu);
  return status;
}

/* Keeps a failed scrape as the exporter's last error (the status registry shows it). */
static void note_failure(struct census_prometheus_exporter *s, census_status status) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  pthread_mutex_lock(&s->mu);
  snprintf(s->last_error, sizeof s->last_error, "scrape answered 503: %s",
           status == CENSUS_ESHUTDOWN ? "census is shut down" : census_status_str(status));
  s->last_error_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
  pthread_mutex_unlock(&s->mu);
}

/* ---- routes (other pages on this server) --------------------------------------------------- */

/* The route serving `path` (its prefix, or a path below it), or NULL. With `enter`, also counts a
 * handler call in progress (route and server), unless the server is stopping. Takes `mu`. */
static struct route *route_find(struct census_prometheus_exporter *s, const char *path,
                                bool enter) {
  pthread_mutex_lock(&s->mu);
  struct route *found = NULL;
  for (size_t i = 0; i < MAX_ROUTES && !found; i++) {
    struct route *r = &s->routes[i];
    if (r->prefix && strncmp(path, r->prefix, r->length) == 0 &&
        (path[r->length] == '\0' || path[r->length] == '/')) {
      found = r;
    }
  }
  if (found && enter) {
    if (s->stopping) {
      found = NULL;
    } else {
      found->in_flight++;
      s->in_flight++;
    }
  }
  pthread_mutex_unlock(&s->mu);
  return found;
}

/* Ends a handler call counted by route_find(). */
static void route_leave(struct census_prometheus_exporter *s, struct route *r) {
  pthread_mutex_lock(&s->mu);
  r->in_flight--;
  s->in_flight--;
  pthread_cond_broadcast(&s->idle);
  pthread_mutex_unlock(&s->mu);
}

/* Answers a GET or HEAD under a route: the handler's response, with the headers every route
 * response carries. 503 while the server stops, 404 if the route went away meanwhile. */
static enum MHD_Result serve_route(struct census_prometheus_exporter *s,
                                   struct MHD_Connection *connection, const char *url) {
  struct route *r = route_find(s, url, true);
  if (!r) {
    pthread_mutex_lock(&s->mu);
    bool stopping = s->stopping;
    pthread_mutex_unlock(&s->mu);
    return stopping ? answer_static(connection, MHD_HTTP_SERVICE_UNAVAILABLE,
                                    "the server is stopping\n", NULL)
                    : answer_static(connection, MHD_HTTP_NOT_FOUND, "Not Found\n", NULL);
  }
  census_prometheus_request request = {connection, url};
  census_prometheus_response response = {.status = MHD_HTTP_OK};
  r->handler(r->user, &request, &response);
  route_leave(s, r);
  struct MHD_Response *answer =
      response.body ? MHD_create_response_from_buffer_with_free_callback(
                          response.length, response.body, census_allocator_free)
                    : MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
  if (!answer) {
    census__free(response.body);
    return MHD_NO;
  }
  MHD_add_response_header(answer, MHD_HTTP_HEADER_CONTENT_TYPE,
                          response.content_type ? response.content_type
                                                : "text/plain; charset=utf-8");
  MHD_add_response_header(answer, "X-Content-Type-Options", "nosniff");
  MHD_add_response_header(answer, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
  for (size_t i = 0; i < response.header_count; i++) {
    MHD_add_response_header(answer, response.headers[i].key, response.headers[i].value);
  }
  enum MHD_Result result =
      MHD_queue_response(connection, response.status ? response.status : MHD_HTTP_OK, answer);
  MHD_destroy_response(answer);
  return result;
}

CENSUS_EXPORT const char *census_prometheus_request_path(const census_prometheus_request *request) {
  return request ? request->path : NULL;
}

CENSUS_EXPORT const char *census_prometheus_request_query(const census_prometheus_request *request,
                                                          const char *name) {
  if (!request || !name) {
    return NULL;
  }
  const char *value = MHD_lookup_connection_value(request->connection, MHD_GET_ARGUMENT_KIND, name);
  if (!value && MHD_lookup_connection_value_n(request->connection, MHD_GET_ARGUMENT_KIND, name,
                                              strlen(name), NULL, NULL) == MHD_YES) {
    return ""; /* "?name" without "=" */
  }
  return value;
}

CENSUS_EXPORT census_status census_prometheus_exporter_add_route(census_prometheus_exporter *s,
                                                                 const char *prefix,
                                                                 census_prometheus_route_fn handler,
                                                                 void *user) {
  if (!s || !prefix || !handler) {
    return CENSUS_EINVAL;
  }
  size_t length = strlen(prefix);
  if (length < 2 || prefix[0] != '/' || prefix[length - 1] == '/' ||
      strcmp(prefix, "/metrics") == 0 || strchr(prefix, '?')) {
    return CENSUS_EINVAL;
  }
  char *copy = census__strdup(prefix);
  if (!copy) {
    return CENSUS_ENOMEM;
  }
  census_status status = CENSUS_ELIMIT;
  pthread_mutex_lock(&s->mu);
  struct route *slot = NULL;
  for (size_t i = 0; i < MAX_ROUTES; i++) {
    struct route *r = &s->routes[i];
    if (r->prefix && strcmp(r->prefix, prefix) == 0) {
      status = CENSUS_EDUPLICATE;
      slot = NULL;
      break;
    }
    if (!r->prefix && r->in_flight == 0 && !slot) {
      slot = r;
    }
  }
  if (slot) {
    *slot = (struct route){copy, length, handler, user, 0};
    status = CENSUS_OK;
  }
  pthread_mutex_unlock(&s->mu);
  if (status != CENSUS_OK) {
    census__free(copy);
  }
  return status;
}

CENSUS_EXPORT census_status census_prometheus_exporter_remove_route(census_prometheus_exporter *s,
                                                                    const char *prefix) {
  if (!s || !prefix) {
    return CENSUS_EINVAL;
  }
  pthread_mutex_lock(&s->mu);
  struct route *found = NULL;
  for (size_t i = 0; i < MAX_ROUTES && !found; i++) {
    if (s->routes[i].prefix && strcmp(s->routes[i].prefix, prefix) == 0) {
      found = &s->routes[i];
    }
  }
  if (!found) {
    pthread_mutex_unlock(&s->mu);
    return CENSUS_ENOTFOUND;
  }
  char *copy = found->prefix;
  found->prefix = NULL; /* no new call enters */
  while (found->in_flight > 0) {
    pthread_cond_wait(&s->idle, &s->mu);
  }
  pthread_mutex_unlock(&s->mu);
  census__free(copy);
  return CENSUS_OK;
}

/* The request handler: GET and HEAD /metrics and the routes, 404 elsewhere, 405 for other
 * methods. Request bodies are not read (a GET has none; other methods are refused before their
 * body). */
static enum MHD_Result handle(void *cls, struct MHD_Connection *connection, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **request_state) {
  struct census_prometheus_exporter *s = cls;
  (void)version;
  (void)upload_data;
  bool metrics = !s->options.no_metrics && strcmp(url, "/metrics") == 0;
  if (!metrics && !route_find(s, url, false)) {
    atomic_fetch_add(&s->requests_refused, 1);
    return answer_static(connection, MHD_HTTP_NOT_FOUND, "Not Found: census serves /metrics\n",
                         NULL);
  }
  if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
    atomic_fetch_add(&s->requests_refused, 1);
    return answer_static(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "Method Not Allowed\n",
                         "GET, HEAD");
  }
  /* libmicrohttpd calls twice for a request: once for the headers, then for the (empty) body. */
  if (*request_state == NULL) {
    *request_state = (void *)1;
    return MHD_YES;
  }
  *upload_data_size = 0;
  if (!metrics) {
    return serve_route(s, connection, url);
  }
  const char *accept = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Accept");
  census_prometheus_format format = census_prometheus_negotiate(accept);
  char *text = NULL;
  size_t length = 0;
  census_status status = scrape(s, format, &text, &length);
  if (status != CENSUS_OK) {
    atomic_fetch_add(&s->scrape_failures, 1);
    note_failure(s, status);
    return answer_static(
        connection, MHD_HTTP_SERVICE_UNAVAILABLE,
        status == CENSUS_ESHUTDOWN ? "census is shut down\n" : "census could not collect\n", NULL);
  }
  struct MHD_Response *response =
      MHD_create_response_from_buffer_with_free_callback(length, text, census_allocator_free);
  if (!response) {
    census_prometheus_text_free(text);
    return MHD_NO;
  }
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE,
                          census_prometheus_format_content_type(format));
  enum MHD_Result result = MHD_queue_response(connection, MHD_HTTP_OK, response);
  MHD_destroy_response(response);
  atomic_fetch_add(&s->scrapes, 1);
  atomic_fetch_add(&s->bytes_served, length);
  return result;
}

/* ---- connections ------------------------------------------------------------------------- */

static int64_t monotonic_ns(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

/* libmicrohttpd's accept policy (server thread), called for a new connection once it passed the
 * connection and per-address limits: when max_connections are open, the connection that has
 * been longest in its current request (or idle since its last one) is shut down to make room.
 * So clients holding connections open (slowloris, idle sockets, readers that never read) from
 * however many addresses cannot shut a scrape out: a scrape, which sends its request at once,
 * is answered within milliseconds and is never the oldest. Only a flood of max_connections new
 * connections during one scrape could close it. The newcomer is refused only when
 * EVICTED_SLACK connections shut down are still waiting to be closed. */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *address, socklen_t length) {
  struct census_prometheus_exporter *s = cls;
  (void)address;
  (void)length;
  if (s->open - s->evicted_open < s->max_connections && s->open < s->slots) {
    return MHD_YES;
  }
  struct tracked *oldest = NULL;
  for (unsigned i = 0; i < s->slots; i++) {
    struct tracked *t = &s->connections[i];
    if (t->connection && !t->evicted && t->fd >= 0 && (!oldest || t->since_ns < oldest->since_ns)) {
      oldest = t;
    }
  }
  if (s->open < s->slots && oldest) {
    /* libmicrohttpd sees the end of the stream (or a failed send) and closes it. */
    shutdown(oldest->fd, SHUT_RDWR);
    oldest->evicted = true;
    s->evicted_open++;
    return MHD_YES;
  }
  return MHD_NO;
}

/* libmicrohttpd's connection start and end (server thread): keeps s->connections. */
static void on_connection(void *cls, struct MHD_Connection *connection, void **socket_context,
                          enum MHD_ConnectionNotificationCode code) {
  struct census_prometheus_exporter *s = cls;
  if (code == MHD_CONNECTION_NOTIFY_STARTED) {
    for (unsigned i = 0; i < s->slots; i++) {
      struct tracked *t = &s->connections[i];
      if (!t->connection) {
        const union MHD_ConnectionInfo *info =
            MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
        *t = (struct tracked){connection, info ? info->connect_fd : -1, monotonic_ns(), false};
        *socket_context = t;
        s->open++;
        return;
      }
    }
    *socket_context = NULL; /* cannot happen: on_accept() keeps open < slots */
  } else if (code == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
    struct tracked *t = *socket_context;
    s->evicted_open -= t->evicted;
    s->open--;
    *t = (struct tracked){NULL, -1, 0, false};
  }
}

/* libmicrohttpd's end of a request (server thread): the connection's idle time starts now. */
static void on_completed(void *cls, struct MHD_Connection *connection, void **request_state,
                         enum MHD_RequestTerminationCode code) {
  struct census_prometheus_exporter *s = cls;
  (void)request_state;
  (void)code;
  for (unsigned i = 0; i < s->slots; i++) {
    if (s->connections[i].connection == connection) {
      s->connections[i].since_ns = monotonic_ns();
      return;
    }
  }
}

/* ---- stopping ------------------------------------------------------------------------------ */

static void *helper_main(void *arg) {
  struct MHD_Daemon *daemon = arg;
  MHD_stop_daemon(daemon);
  return NULL;
}

/* Marks the server stopping and takes its daemon: returns the daemon the caller must stop, or
 * NULL if someone else already did. */
static struct MHD_Daemon *take_daemon(struct census_prometheus_exporter *s) {
  pthread_mutex_lock(&s->mu);
  s->stopping = true;
  struct MHD_Daemon *daemon = s->daemon;
  s->daemon = NULL;
  s->port = 0;
  pthread_mutex_unlock(&s->mu);
  return daemon;
}

static census_status noop_export(void *user, const census_view_data *const *views, size_t count) {
  (void)user;
  (void)views;
  (void)count;
  return CENSUS_OK;
}

/* The exporter's shutdown (census_shutdown() or census_stats_exporter_unregister()). The whole
 * callback runs with callback_busy set, so that census_prometheus_exporter_stop()
 * on another thread waits for it before looking for a helper to join. */
static void exporter_shutdown(void *user, int64_t timeout_ms) {
  struct census_prometheus_exporter *s = user;
  pthread_mutex_lock(&s->mu);
  s->callback_busy = true;
  s->registered = false;
  s->stopping = true;
  struct MHD_Daemon *daemon = s->daemon;
  s->daemon = NULL;
  s->port = 0;
  bool stop_here = false;
  if (daemon) {
    int64_t wait_ms = timeout_ms < SHUTDOWN_SCRAPE_WAIT_MS ? timeout_ms : SHUTDOWN_SCRAPE_WAIT_MS;
    wait_ms = wait_ms > 0 ? wait_ms : 0;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += wait_ms / 1000;
    until.tv_nsec += (wait_ms % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000) {
      until.tv_sec++;
      until.tv_nsec -= 1000000000;
    }
    while (s->in_flight > 0 && pthread_cond_timedwait(&s->idle, &s->mu, &until) == 0) {
    }
    /* A scrape still in flight may be waiting for the lock our caller holds: a helper joins. */
    if (s->in_flight > 0) {
      s->helper_started = pthread_create(&s->helper, NULL, helper_main, daemon) == 0;
    }
    stop_here = !s->helper_started;
  }
  pthread_mutex_unlock(&s->mu);
  if (stop_here) {
    MHD_stop_daemon(daemon);
  }
  pthread_mutex_lock(&s->mu);
  s->callback_busy = false;
  pthread_cond_broadcast(&s->idle);
  pthread_mutex_unlock(&s->mu);
}

static const census_stats_exporter_ops exporter_ops = {.size = sizeof(census_stats_exporter_ops),
                                                       .export_views = noop_export,
                                                       .flush = NULL,
                                                       .shutdown = exporter_shutdown};

/* Frees the handle and the copies of its options. */
static void exporter_free(struct census_prometheus_exporter *s) {
  if (s->status_registered) {
    census_exporter_status_unregister(s); /* waits for a read of the counters in progress */
  }
  for (size_t i = 0; i < MAX_ROUTES; i++) {
    census__free(
        s->routes[i].prefix); /* routes not removed: their handlers are never called again */
  }
  pthread_mutex_destroy(&s->mu);
  pthread_cond_destroy(&s->idle);
  for (size_t i = 0; i < s->options.const_label_count; i++) {
    census__free((char *)s->labels[i].key);
    census__free((char *)s->labels[i].value);
  }
  census__free(s->labels);
  census__free(s->prefix);
  census__free(s->connections);
  census__free(s);
}

CENSUS_EXPORT census_status census_prometheus_exporter_stop(census_prometheus_exporter *s,
                                                            int64_t timeout_ms) {
  if (!s) {
    return CENSUS_EINVAL;
  }
  struct MHD_Daemon *daemon = take_daemon(s);
  if (daemon) {
    MHD_stop_daemon(daemon); /* we hold no census lock: scrapes in flight finish */
  }
  pthread_mutex_lock(&s->mu);
  while (s->callback_busy) {
    pthread_cond_wait(&s->idle, &s->mu);
  }
  bool registered = s->registered;
  bool helper = s->helper_started;
  s->helper_started = false;
  pthread_mutex_unlock(&s->mu);
  if (helper) {
    pthread_join(s->helper, NULL);
  }
  census_status status = CENSUS_OK;
  if (registered) {
    /* The exporter's shutdown finds the daemon already taken and only clears `registered`. */
    status = census_stats_exporter_unregister(s, timeout_ms);
    if (status == CENSUS_ESHUTDOWN || status == CENSUS_ENOTFOUND) {
      status = CENSUS_OK;
    }
    pthread_mutex_lock(&s->mu);
    registered = s->registered;
    pthread_mutex_unlock(&s->mu);
    if (registered) {
      /* census could not take the registration out in time (its collection lock was busy) and
       * will call exporter_shutdown() later: the handle must outlive that call. */
      return CENSUS_ETIMEDOUT;
    }
  }
  exporter_free(s);
  return status;
}

CENSUS_EXPORT census_status census_prometheus_exporter_stats(census_prometheus_exporter *s,
                                                             census_prometheus_stats *stats) {
  if (!s || !stats) {
    return CENSUS_EINVAL;
  }
  *stats = (census_prometheus_stats){.scrapes = atomic_load(&s->scrapes),
                                     .scrape_failures = atomic_load(&s->scrape_failures),
                                     .requests_refused = atomic_load(&s->requests_refused),
                                     .bytes_served = atomic_load(&s->bytes_served)};
  return CENSUS_OK;
}

/* ---- starting ------------------------------------------------------------------------------ */

/* Copies `text` for quoting in a diagnostic: printable ASCII only, at most size - 1 bytes. */
static void printable_copy(const char *text, char *out, size_t size) {
  size_t n = 0;
  for (; *text && n + 1 < size; text++) {
    out[n++] = *text >= 0x20 && *text < 0x7f ? *text : '?';
  }
  out[n] = '\0';
}

/* Reports an options.address that is not a numeric IPv4 or IPv6 address, with the fix for the
 * usual mistakes: a host name, or a port written into the address. */
static void report_bad_address(const char *address) {
  char shown[80];
  printable_copy(address, shown, sizeof shown);
  char host[80];
  const char *colon = strrchr(address, ':');
  const char *port = colon ? colon + 1 : NULL;
  bool port_given = port && *port && strspn(port, "0123456789") == strlen(port) &&
                    (size_t)(colon - address) < sizeof host;
  if (port_given) {
    /* "127.0.0.1:9100" or "[::1]:9100" with a numeric host before the port. */
    size_t len = (size_t)(colon - address);
    const char *start = address;
    if (len >= 2 && address[0] == '[' && address[len - 1] == ']') {
      start++;
      len -= 2;
    }
    memcpy(host, start, len);
    host[len] = '\0';
    struct in6_addr probe;
    port_given = inet_pton(AF_INET, host, &probe) == 1 || inet_pton(AF_INET6, host, &probe) == 1;
  }
  char message[400];
  if (port_given) {
    snprintf(message, sizeof message,
             "prometheus: options.address \"%s\" contains a port: set options.address = \"%s\" "
             "and options.port = %s; the server is not started",
             shown, host, port);
  } else {
    snprintf(message, sizeof message,
             "prometheus: options.address \"%s\" is not a numeric IPv4 or IPv6 address (names are "
             "not looked up, so that no lookup can pick another interface): write \"127.0.0.1\" "
             "(this machine only), \"0.0.0.0\" (every IPv4 interface), \"::1\" or \"::\"; the "
             "port goes in options.port; the server is not started",
             shown);
  }
  census_diagnostics_report(CENSUS_EINVAL, message);
}

/* libmicrohttpd could not start listening on `addr` (it keeps no errno). Binds a probe socket to
 * the same address, as libmicrohttpd does (SO_REUSEADDR, IPv6 only for IPv6), to learn why, and
 * reports one line naming the address, the errno and what to do. Sets errno to the probe's. */
static void report_listen_failure(const struct sockaddr_storage *addr, const char *address,
                                  uint16_t port) {
  char shown[80];
  printable_copy(address, shown, sizeof shown);
  socklen_t length =
      addr->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
  int error = 0;
  int fd = socket(addr->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = errno;
  } else {
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (addr->ss_family == AF_INET6) {
      setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
    }
    if (bind(fd, (const struct sockaddr *)addr, length) != 0 || listen(fd, 1) != 0) {
      error = errno;
    }
    close(fd);
  }
  const char *advice;
  switch (error) {
  case EADDRINUSE:
    advice = "another process (or another census server in this one) listens there: stop it, "
             "choose a free port in options.port, or set options.any_port";
    break;
  case EADDRNOTAVAIL:
    advice = "the address is not one of this machine's: use 127.0.0.1, 0.0.0.0 or the address "
             "of a local interface in options.address";
    break;
  case EACCES:
    advice = "ports below 1024 need privileges: choose a port of 1024 or more in options.port";
    break;
  case EAFNOSUPPORT:
    advice = "this machine has no support for that address family: use an IPv4 address such as "
             "127.0.0.1";
    break;
  default:
    advice = "see the libmicrohttpd and system limits (open files, threads)";
    break;
  }
  const char *name = error ? strerrorname_np(error) : NULL;
  char message[480];
  snprintf(message, sizeof message, "prometheus: cannot listen on %s%s%s:%u: %s (%s): %s",
           addr->ss_family == AF_INET6 ? "[" : "", shown, addr->ss_family == AF_INET6 ? "]" : "",
           (unsigned)port, error ? strerror(error) : "libmicrohttpd failed to start",
           name ? name : "no errno", advice);
  census_diagnostics_report(CENSUS_ESYSTEM, message);
  errno = error;
}

/* Copies the rendering options' strings into `s`; false if memory is exhausted. */
static bool copy_options(struct census_prometheus_exporter *s, const census_prometheus_options *o) {
  s->options = *o;
  s->options.address = NULL;
  s->options.const_labels = NULL;
  s->options.const_label_count = 0;
  if (o->name_prefix && !(s->prefix = census__strdup(o->name_prefix))) {
    return false;
  }
  s->options.name_prefix = s->prefix;
  if (o->const_label_count) {
    s->labels = census__calloc(o->const_label_count, sizeof *s->labels);
    if (!s->labels) {
      return false;
    }
    for (size_t i = 0; i < o->const_label_count; i++) {
      s->options.const_label_count = i + 1;
      s->labels[i].key = census__strdup(o->const_labels[i].key);
      s->labels[i].value = census__strdup(o->const_labels[i].value ? o->const_labels[i].value : "");
      if (!s->labels[i].key || !s->labels[i].value) {
        return false;
      }
    }
  }
  s->options.const_labels = s->labels;
  return true;
}

/* The listening address from options->address (numeric IPv4 or IPv6 only, so that no name lookup
 * can pick another interface) and the port; adds MHD_USE_IPv6 to *flags for IPv6. False (and
 * reported) for an address that is not numeric. */
static bool listen_address(const census_prometheus_options *options, struct sockaddr_storage *out,
                           unsigned *flags, uint16_t *port) {
  const char *address = options->address ? options->address : CENSUS_PROMETHEUS_DEFAULT_ADDRESS;
  *port = options->any_port ? 0 : options->port ? options->port : CENSUS_PROMETHEUS_DEFAULT_PORT;
  memset(out, 0, sizeof *out);
  struct sockaddr_in *v4 = (struct sockaddr_in *)out;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)out;
  if (inet_pton(AF_INET, address, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(*port);
  } else if (inet_pton(AF_INET6, address, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(*port);
    *flags |= MHD_USE_IPv6;
  } else {
    report_bad_address(address);
    return false;
  }
  return true;
}

/* Starts libmicrohttpd on `address` with the options' limits and reads back the port it got.
 * CENSUS_OK, CENSUS_ENOMEM, or CENSUS_ESYSTEM (reported, errno set) when it cannot listen. */
static census_status start_daemon(struct census_prometheus_exporter *s,
                                  const census_prometheus_options *options) {
  struct sockaddr_storage address;
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;
  uint16_t port;
  if (!listen_address(options, &address, &flags, &port)) {
    return CENSUS_EINVAL;
  }
  unsigned max_connections =
      options->max_connections ? options->max_connections : DEFAULT_MAX_CONNECTIONS;
  size_t memory =
      options->connection_memory ? options->connection_memory : DEFAULT_CONNECTION_MEMORY;
  unsigned timeout_s = options->timeout_s ? options->timeout_s : DEFAULT_TIMEOUT_S;
  unsigned per_ip = options->max_connections_per_ip ? options->max_connections_per_ip
                                                    : DEFAULT_MAX_CONNECTIONS_PER_IP;
  s->max_connections = max_connections;
  s->slots = max_connections + EVICTED_SLACK;
  s->connections = census__calloc(s->slots, sizeof *s->connections);
  if (!s->connections) {
    return CENSUS_ENOMEM;
  }
  s->daemon = MHD_start_daemon(
      flags, 0, on_accept, s, handle, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&address,
      MHD_OPTION_CONNECTION_LIMIT, s->slots, MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, memory, MHD_OPTION_CONNECTION_TIMEOUT, timeout_s,
      MHD_OPTION_NOTIFY_CONNECTION, on_connection, s, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
      MHD_OPTION_END);
  if (!s->daemon) {
    report_listen_failure(
        &address, options->address ? options->address : CENSUS_PROMETHEUS_DEFAULT_ADDRESS, port);
    return CENSUS_ESYSTEM;
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_LISTEN_FD);
  struct sockaddr_storage bound;
  socklen_t bound_length = sizeof bound;
  if (info && getsockname(info->listen_fd, (struct sockaddr *)&bound, &bound_length) == 0) {
    s->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                : ((struct sockaddr_in *)&bound)->sin_port);
  }
  return CENSUS_OK;
}

/* ---- the exporter status registry ---------------------------------------------------------- */

/* The report: scrapes answered, scrapes that failed (503), the last failure. */
static void status_report(void *user, census_exporter_report *report) {
  struct census_prometheus_exporter *s = user;
  census_exporter_report_counts(report, atomic_load(&s->scrapes), 0,
                                atomic_load(&s->scrape_failures));
  pthread_mutex_lock(&s->mu);
  census_exporter_report_error(report, s->last_error_ns, s->last_error);
  pthread_mutex_unlock(&s->mu);
}

/* Lists the server in census's exporter status registry with its configuration (a failure only
 * leaves it off the list). */
static void status_register(struct census_prometheus_exporter *s,
                            const census_prometheus_options *o) {
  char port[8], connections[16], per_ip[16], memory[24], timeout[16], labels[256] = "";
  snprintf(port, sizeof port, "%u", (unsigned)s->port);
  snprintf(connections, sizeof connections, "%u",
           o->max_connections ? o->max_connections : DEFAULT_MAX_CONNECTIONS);
  snprintf(per_ip, sizeof per_ip, "%u",
           o->max_connections_per_ip ? o->max_connections_per_ip : DEFAULT_MAX_CONNECTIONS_PER_IP);
  snprintf(memory, sizeof memory, "%zu",
           o->connection_memory ? o->connection_memory : (size_t)DEFAULT_CONNECTION_MEMORY);
  snprintf(timeout, sizeof timeout, "%u", o->timeout_s ? o->timeout_s : DEFAULT_TIMEOUT_S);
  for (size_t i = 0, used = 0; i < s->options.const_label_count && used < sizeof labels; i++) {
    int n = snprintf(labels + used, sizeof labels - used, "%s%s=%s", i ? "," : "", s->labels[i].key,
                     s->labels[i].value);
    used += n > 0 ? (size_t)n : 0;
  }
  census_kv config[] = {
      {"address", o->address ? o->address : CENSUS_PROMETHEUS_DEFAULT_ADDRESS},
      {"port", port},
      {"metrics", o->no_metrics ? "off" : "/metrics"},
      {"name_prefix", s->prefix ? s->prefix : ""},
      {"const_labels", labels},
      {"base_units", o->base_units ? "on" : "off"},
      {"max_connections", connections},
      {"max_connections_per_ip", per_ip},
      {"connection_memory", memory},
      {"timeout_s", timeout},
  };
  census_exporter_status_options status = CENSUS_EXPORTER_STATUS_OPTIONS_INIT;
  status.name = o->no_metrics ? "http server" : "prometheus";
  status.kind = "prometheus";
  status.items = "scrapes";
  status.config = config;
  status.config_count = sizeof config / sizeof config[0];
  status.report = status_report;
  s->status_registered = census_exporter_status_register(&status, s) == CENSUS_OK;
}

CENSUS_EXPORT census_status census_prometheus_exporter_start(const census_prometheus_options *in,
                                                             census_prometheus_exporter **out) {
  if (!out) {
    return CENSUS_EINVAL;
  }
  *out = NULL;
  /* The rendering options are checked as a render would check them. */
  census_prometheus_options options;
  census_status status = census__prometheus_options_read(in, &options);
  if (status != CENSUS_OK) {
    return status;
  }
  struct census_prometheus_exporter *s = census__calloc(1, sizeof *s);
  if (!s) {
    return CENSUS_ENOMEM;
  }
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->idle, NULL);
  if (!copy_options(s, &options)) {
    exporter_free(s);
    return CENSUS_ENOMEM;
  }
  status = start_daemon(s, &options);
  if (status != CENSUS_OK) {
    int error = errno;
    exporter_free(s);
    errno = error;
    return status;
  }
  if (!options.no_metrics) {
    status_register(s, &options);
  }
  if (!options.register_no_exporter) {
    pthread_mutex_lock(&s->mu);
    s->registered = true;
    pthread_mutex_unlock(&s->mu);
    status = census_stats_exporter_register(&exporter_ops, s);
    if (status != CENSUS_OK) {
      s->registered = false;
      census_prometheus_exporter_stop(s, 0);
      return status;
    }
  }
  *out = s;
  return CENSUS_OK;
}

CENSUS_EXPORT uint16_t census_prometheus_exporter_port(const census_prometheus_exporter *s) {
  if (!s) {
    return 0;
  }
  pthread_mutex_lock((pthread_mutex_t *)&s->mu);
  uint16_t port = s->port;
  pthread_mutex_unlock((pthread_mutex_t *)&s->mu);
  return port;
}
