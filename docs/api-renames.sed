# exporters
# Issue 12, the exporters' public surface. Apply with `sed -E -i -f docs/api-renames.sed FILES`.
# Renames only: calls whose arguments changed are noted and must be edited by hand.
# census_stdout_exporter_start(options, &exporter) replaces _register(options); _stop(exporter,
# timeout_ms) replaces _unregister(timeout_ms), which stopped every stdout exporter.
s/\bcensus_stdout_exporter_register\b/census_stdout_exporter_start/g
s/\bcensus_stdout_exporter_unregister\b/census_stdout_exporter_stop/g
# census_prometheus_exporter_start(options, &exporter) returns the status (the old start returned
# the handle); _stop(exporter, timeout_ms) stops and frees (server_stop and server_free are one).
s/\bcensus_prometheus_server_start\b/census_prometheus_exporter_start/g
s/\bcensus_prometheus_server_port\b/census_prometheus_exporter_port/g
s/\bcensus_prometheus_server_stop\b/census_prometheus_exporter_stop/g
s/\bcensus_prometheus_server_free\b/census_prometheus_exporter_stop/g
s/\bcensus_prometheus_server\b/census_prometheus_exporter/g
# One key/value type (census/exporter.h), census_kv {key, value}: census_prometheus_label,
# census_otlp_kv (both called the key `name`: edit .name to .key) and census_google_monitoring_label.
s/\bcensus_prometheus_label\b/census_kv/g
# Options structs start with `size_t size`: initialise with the INIT macro instead of {0}.
s/\bcensus_stdout_options([[:space:]]+[A-Za-z_][A-Za-z0-9_]*)[[:space:]]*=[[:space:]]*\{[[:space:]]*0[[:space:]]*\}/census_stdout_options\1 = CENSUS_STDOUT_OPTIONS_INIT/g
s/\bcensus_prometheus_options([[:space:]]+[A-Za-z_][A-Za-z0-9_]*)[[:space:]]*=[[:space:]]*\{[[:space:]]*0[[:space:]]*\}/census_prometheus_options\1 = CENSUS_PROMETHEUS_OPTIONS_INIT/g
s/\bcensus_otlp_kv\b/census_kv/g
s/\bcensus_google_monitoring_label\b/census_kv/g
s/\bcensus_otlp_options([[:space:]]+[A-Za-z_][A-Za-z0-9_]*)[[:space:]]*=[[:space:]]*\{[[:space:]]*0[[:space:]]*\}/census_otlp_options\1 = CENSUS_OTLP_OPTIONS_INIT/g
s/\bcensus_zipkin_options([[:space:]]+[A-Za-z_][A-Za-z0-9_]*)[[:space:]]*=[[:space:]]*\{[[:space:]]*0[[:space:]]*\}/census_zipkin_options\1 = CENSUS_ZIPKIN_OPTIONS_INIT/g
s/\bcensus_google_trace_options([[:space:]]+[A-Za-z_][A-Za-z0-9_]*)[[:space:]]*=[[:space:]]*\{[[:space:]]*0[[:space:]]*\}/census_google_trace_options\1 = CENSUS_GOOGLE_TRACE_OPTIONS_INIT/g
s/\bcensus_google_monitoring_options([[:space:]]+[A-Za-z_][A-Za-z0-9_]*)[[:space:]]*=[[:space:]]*\{[[:space:]]*0[[:space:]]*\}/census_google_monitoring_options\1 = CENSUS_GOOGLE_MONITORING_OPTIONS_INIT/g
