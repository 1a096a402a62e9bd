/* url.c - endpoint URL checks and redaction (see url.h).
 *
 * The check first looks at the scheme itself, so that the two mistakes people make (no scheme at
 * all, or another scheme such as grpc:// or ftp://) get their own advice, then asks libcurl's URL
 * parser about the rest (host, port, characters) and quotes its reason. Every quoted URL is
 * redacted; the parser's reason never contains the URL.
 */
#include "url.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "census/census.h"

void census__url_redact(const char *url, char *out, size_t size) {
  if (size == 0) {
    return;
  }
  if (!url) {
    snprintf(out, size, "(null)");
    return;
  }
  /* The authority runs from after "://" (or the start) to the first '/', '?' or '#'; userinfo is
   * what precedes its last '@'. A "://" after the first '/', '?' or '#' (in a path, query or
   * fragment) ends no scheme: "user:pw@host#x://y" has its userinfo at the start. */
  const char *scheme_end = strstr(url, "://");
  if (scheme_end && scheme_end > url + strcspn(url, "/?#")) {
    scheme_end = NULL;
  }
  const char *authority = scheme_end ? scheme_end + 3 : url;
  const char *authority_end = authority + strcspn(authority, "/?#");
  const char *at = NULL;
  for (const char *p = authority; p < authority_end; p++) {
    if (*p == '@') {
      at = p;
    }
  }
  const char *secret_tail = url + strcspn(url, "?#");
  size_t n = 0;
  const size_t keep = size - 1;
  bool cut = false;
  for (const char *p = url; *p && !cut; p++) {
    const char *piece = NULL;
    char c = *p;
    if (at && p == authority) {
      piece = "***@";
      p = at; /* resumes after the '@' */
    } else if (p == secret_tail) {
      piece = *p == '?' ? "?***" : "#***";
      p += strlen(p) - 1; /* nothing after it is printed */
    }
    char one[2] = {(unsigned char)c < 0x20 || (unsigned char)c > 0x7e ? '?' : c, '\0'};
    const char *text = piece ? piece : one;
    size_t len = strlen(text);
    if (n + len > keep) {
      cut = true;
      break;
    }
    memcpy(out + n, text, len);
    n += len;
  }
  out[n] = '\0';
  if (cut && keep >= 3) {
    memcpy(out + (n > keep - 3 ? keep - 3 : n), "...", 4);
  }
}

bool census__url_ok(const char *url, char *why, size_t size) {
  char shown[160];
  census__url_redact(url, shown, sizeof shown);
  if (!url || !*url) {
    snprintf(why, size, "is not set: give an http:// or https:// URL");
    return false;
  }
  const char *scheme_end = strstr(url, "://");
  size_t scheme_len = scheme_end ? (size_t)(scheme_end - url) : 0;
  bool scheme_chars =
      scheme_len > 0 && strspn(url, "abcdefghijklmnopqrstuvwxyz"
                                    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.") == scheme_len;
  if (!scheme_end || !scheme_chars) {
    snprintf(why, size,
             "\"%s\" is not a URL (no scheme): write \"http://%s\" (or https:// for TLS)", shown,
             shown);
    return false;
  }
  bool http = (scheme_len == 4 && strncasecmp(url, "http", 4) == 0) ||
              (scheme_len == 5 && strncasecmp(url, "https", 5) == 0);
  if (!http) {
    snprintf(why, size,
             "\"%s\" has the scheme \"%.*s\": census sends over HTTP only; use http:// or "
             "https://",
             shown, (int)(scheme_len < 20 ? scheme_len : 20), url);
    return false;
  }
  CURLU *parsed = curl_url();
  if (!parsed) {
    snprintf(why, size, "\"%s\" could not be checked: out of memory", shown);
    return false;
  }
  CURLUcode code = curl_url_set(parsed, CURLUPART_URL, url, 0);
  char *host = NULL;
  if (code == CURLUE_OK) {
    code = curl_url_get(parsed, CURLUPART_HOST, &host, 0);
  }
  bool ok = code == CURLUE_OK && host && *host;
  curl_free(host);
  curl_url_cleanup(parsed);
  if (!ok) {
    snprintf(why, size,
             "\"%s\" is not a valid URL (libcurl: %s): write http(s)://host[:port][/path]", shown,
             code == CURLUE_OK ? "no host" : curl_url_strerror(code));
  }
  return ok;
}

bool census__url_check(census_status status, const char *who, const char *option, const char *url,
                       const char *consequence) {
  char why[400];
  if (census__url_ok(url, why, sizeof why)) {
    return true;
  }
  char message[512];
  snprintf(message, sizeof message, "%s: %s %s; %s", who, option, why, consequence);
  census_diagnostics_report(status, message);
  return false;
}
