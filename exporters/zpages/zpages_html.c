/* zpages_html.c - what every page is written with: escaping, the page frame, numbers, times and
 * the inline SVG charts.
 *
 * Escaping is the one rule of the pages: everything that comes from the program (span names,
 * attribute keys and values, event names, status messages, view names, descriptions, units,
 * columns, tag values, resource and configuration values, exporter names and errors) goes
 * through zp_html(), in text and in attribute values alike (attributes are always quoted with
 * '"'), and into URLs through zp_url_component(). zp_html() writes & < > " ' as entities, and
 * control characters and bytes that are not UTF-8 as U+FFFD, so no value can open a tag, close
 * an attribute or smuggle a byte a browser would guess about. Pages carry a Content-Security-
 * Policy that allows no script and no fetch at all (default-src 'none'), only the inline style
 * and inline SVG: even a missed escape could not run script or load anything.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "utf8.h"
#include "zpages_internal.h"

#define FFFD "\xEF\xBF\xBD"

static const census_utf8_escapes html_escapes = {
    [0x00] = FFFD,   [0x01] = FFFD,  [0x02] = FFFD,  [0x03] = FFFD,    [0x04] = FFFD,
    [0x05] = FFFD,   [0x06] = FFFD,  [0x07] = FFFD,  [0x08] = FFFD,    [0x0b] = FFFD,
    [0x0c] = FFFD,   [0x0e] = FFFD,  [0x0f] = FFFD,  [0x10] = FFFD,    [0x11] = FFFD,
    [0x12] = FFFD,   [0x13] = FFFD,  [0x14] = FFFD,  [0x15] = FFFD,    [0x16] = FFFD,
    [0x17] = FFFD,   [0x18] = FFFD,  [0x19] = FFFD,  [0x1a] = FFFD,    [0x1b] = FFFD,
    [0x1c] = FFFD,   [0x1d] = FFFD,  [0x1e] = FFFD,  [0x1f] = FFFD,    [0x7f] = FFFD,
    ['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['"'] = "&quot;", ['\''] = "&#39;",
};

void zp_html(census_buf *out, const char *s) { census__utf8_escape_str(out, s, html_escapes); }

void zp_url_component(census_buf *out, const char *s) {
  static const char hex[] = "0123456789ABCDEF";
  for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
    if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
        *p == '-' || *p == '_' || *p == '.' || *p == '~') {
      census__buf_append_byte(out, *p);
    } else {
      char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
      census__buf_append(out, e, 3);
    }
  }
}

void zp_number(census_buf *out, double v) {
  if (isnan(v)) {
    census__buf_append_str(out, "NaN");
  } else if (isinf(v)) {
    census__buf_append_str(out, v > 0 ? "+Inf" : "-Inf");
  } else if (v == floor(v) && fabs(v) < 1e15) {
    census__buf_printf(out, "%.0f", v);
  } else {
    census__buf_printf(out, "%.6g", v);
  }
}

void zp_time(census_buf *out, int64_t unix_ns) {
  if (unix_ns <= 0) {
    census__buf_append_str(out, "-");
    return;
  }
  time_t seconds = (time_t)(unix_ns / 1000000000);
  struct tm tm;
  gmtime_r(&seconds, &tm);
  char text[48];
  strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm);
  census__buf_printf(out, "%s.%03d UTC", text, (int)(unix_ns % 1000000000 / 1000000));
}

/* The pages' whole style: readable tables, no external font or image. */
static const char style[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;background:#fff}"
    "h1{font-size:1.4em;margin:.2em 0}h2{font-size:1.15em;margin:1.4em 0 .4em}"
    "nav a{margin-right:1em}table{border-collapse:collapse;margin:.4em 0 1em}"
    "th,td{border:1px solid #ccc;padding:3px 7px;text-align:left;vertical-align:top}"
    "th{background:#f1f3f5}td.n{text-align:right;font-variant-numeric:tabular-nums}"
    ".muted{color:#777}.err{color:#b00020}.chart{margin:.3em 0}code{font-size:.95em}"
    "svg text{font:10px sans-serif;fill:#444}";

void zp_page_begin(census_buf *out, const char *prefix, const char *title, int refresh_s) {
  census__buf_append_str(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
  if (refresh_s > 0) {
    census__buf_printf(out, "<meta http-equiv=\"refresh\" content=\"%d\">", refresh_s);
  }
  census__buf_append_str(out, "<title>");
  zp_html(out, title);
  census__buf_append_str(out, " - census zPages</title><style>");
  census__buf_append_str(out, style);
  census__buf_append_str(out, "</style></head><body><nav>");
  static const char *const links[][2] = {
      {"/", "overview"}, {"/tracez", "tracez"}, {"/statsz", "statsz"}};
  for (size_t i = 0; i < 3; i++) {
    census__buf_append_str(out, "<a href=\"");
    zp_html(out, prefix);
    census__buf_append_str(out, links[i][0]);
    census__buf_append_str(out, "\">");
    census__buf_append_str(out, links[i][1]);
    census__buf_append_str(out, "</a>");
  }
  census__buf_append_str(out, "</nav><h1>");
  zp_html(out, title);
  census__buf_append_str(out, "</h1>\n");
}

void zp_page_end(census_buf *out) { census__buf_append_str(out, "</body></html>\n"); }

void zp_svg_bars(census_buf *out, const double *counts, const zp_bar_label *labels, size_t n) {
  if (n == 0) {
    return;
  }
  double max = 0;
  for (size_t i = 0; i < n; i++) {
    max = counts[i] > max ? counts[i] : max;
  }
  const int bar = 22, gap = 4, height = 60;
  int width = (int)n * (bar + gap);
  census__buf_printf(out,
                     "<svg class=\"chart bars\" role=\"img\" width=\"%d\" height=\"%d\" "
                     "viewBox=\"0 0 %d %d\" xmlns=\"http://www.w3.org/2000/svg\">",
                     width, height + 14, width, height + 14);
  for (size_t i = 0; i < n; i++) {
    double h = max > 0 ? counts[i] / max * height : 0;
    if (counts[i] > 0 && h < 1) {
      h = 1;
    }
    census__buf_printf(out,
                       "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"#4c6ef5\">",
                       (int)i * (bar + gap), height - h, bar, h);
    census__buf_append_str(out, "<title>");
    zp_html(out, labels[i]);
    census__buf_append_str(out, ": ");
    zp_number(out, counts[i]);
    census__buf_append_str(out, "</title></rect>");
  }
  census__buf_printf(out,
                     "<text x=\"0\" y=\"%d\">0</text><text x=\"%d\" y=\"%d\" "
                     "text-anchor=\"end\">max ",
                     height + 12, width, height + 12);
  zp_number(out, max);
  census__buf_append_str(out, "</text></svg>");
}

void zp_svg_sparkline(census_buf *out, const double *values, size_t n) {
  const int width = 240, height = 40;
  census__buf_printf(out,
                     "<svg class=\"chart sparkline\" role=\"img\" width=\"%d\" height=\"%d\" "
                     "viewBox=\"0 0 %d %d\" xmlns=\"http://www.w3.org/2000/svg\">",
                     width, height, width, height);
  if (n > 0) {
    double min = values[0], max = values[0];
    for (size_t i = 1; i < n; i++) {
      min = values[i] < min ? values[i] : min;
      max = values[i] > max ? values[i] : max;
    }
    census__buf_append_str(out, "<polyline fill=\"none\" stroke=\"#2f9e44\" stroke-width=\"1.5\" "
                                "points=\"");
    for (size_t i = 0; i < n; i++) {
      double x = n > 1 ? (double)i * (width - 2) / (double)(n - 1) + 1 : width / 2.0;
      double y =
          max > min ? height - 2 - (values[i] - min) / (max - min) * (height - 4) : height / 2.0;
      if (!isfinite(y)) {
        y = height / 2.0;
      }
      census__buf_printf(out, "%s%.1f,%.1f", i ? " " : "", x, y);
    }
    census__buf_append_str(out, "\"/><title>");
    census__buf_printf(out, "%zu points, last ", n);
    zp_number(out, values[n - 1]);
    census__buf_append_str(out, "</title>");
  }
  census__buf_append_str(out, "</svg>");
}
