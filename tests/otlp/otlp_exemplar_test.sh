#!/bin/bash
# otlp_exemplar_test.sh APP - exemplars end to end (issue 16 item 3): with
# OTEL_METRICS_EXEMPLAR_FILTER=trace_based, a slow request's span id is the exemplar of its bucket
# in the OTLP bodies (protobuf and JSON, decoded with the official .proto files:
# check_exemplars.js) and in the OpenMetrics exposition, rendered and scraped from the real
# /metrics server with an OpenMetrics Accept header (Debian's strict prometheus_client parser:
# check_exemplars_openmetrics.py), while a text 0.0.4 scrape carries none; unsampled and span-less requests leave none; the JSON body passes
# python3-protobuf's strict json_format; a bad value of the variable is reported. Fails on main: census has no exemplars
# (census_exemplar_filter_get() and the Exemplar fields do not exist there).
source "$(dirname "$0")/otlp_common.sh"
OTEL_METRICS_EXEMPLAR_FILTER=trace_based "$1" "$WORK" &
APP=$!
for _ in $(seq 600); do [ -s "$WORK/port" ] && break; sleep 0.05; done
[ -s "$WORK/port" ] || fail "otlp_exemplar_app did not serve /metrics"
PORT=$(cat "$WORK/port")
# The real server, as a scraper asks: OpenMetrics when the Accept header prefers it (then the
# exemplars), text 0.0.4 otherwise (no exemplars: the format has none).
curl -sf -H 'Accept: application/openmetrics-text; version=1.0.0,text/plain;version=0.0.4;q=0.5' \
  "http://127.0.0.1:$PORT/metrics" > "$WORK/scrape.om" || fail "OpenMetrics scrape"
curl -sf -H 'Accept: text/plain; version=0.0.4' "http://127.0.0.1:$PORT/metrics" > "$WORK/scrape.txt" ||
  fail "text scrape"
touch "$WORK/done"
wait "$APP" || fail "otlp_exemplar_app"
node "$HERE/check_exemplars.js" "$WORK"
/usr/bin/python3 "$HERE/check_exemplars_openmetrics.py" "$WORK"
# The scraped texts: the same checks on what the server sent (the app's three views among the
# self-metrics' families, which hold no exemplar: nothing recorded them in a sampled span).
mkdir "$WORK/scraped"
cp "$WORK/expect.json" "$WORK/scraped/"
cp "$WORK/scrape.om" "$WORK/scraped/openmetrics.txt"
cp "$WORK/scrape.txt" "$WORK/scraped/text.txt"
/usr/bin/python3 "$HERE/check_exemplars_openmetrics.py" "$WORK/scraped"
DESC="$(descriptor_set)"
/usr/bin/python3 "$HERE/json_format_check.py" "$DESC" metrics "$WORK/metrics.json" || fail "json_format"
# A bad OTEL_METRICS_EXEMPLAR_FILTER is reported, naming the variable and the values it takes,
# and exemplars stay off (the app then refuses to go on: the filter it finds is not trace_based).
if OTEL_METRICS_EXEMPLAR_FILTER=sometimes "$1" "$WORK" 2> "$WORK/bad.err"; then
  fail "a bad OTEL_METRICS_EXEMPLAR_FILTER was taken"
fi
grep -q 'OTEL_METRICS_EXEMPLAR_FILTER="sometimes" is malformed: expected always_on, always_off or trace_based; using "always_off"' \
  "$WORK/bad.err" || fail "bad filter not reported: $(cat "$WORK/bad.err")"
echo "otlp_exemplar: ok"
