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
# One key/value type (census/exporter.h); its fields are `key` and `value` (census_prometheus_label
# and census_otlp_kv called the first one `name`).
s/\bcensus_prometheus_label\b/census_kv/g
# Options structs start with `size_t size`: initialise with the INIT macro instead of {0}.
s/\bcensus_stdout_options([[:space:]]+[A-Za-z_][A-Za-z0-9_]*)[[:space:]]*=[[:space:]]*\{[[:space:]]*0[[:space:]]*\}/census_stdout_options\1 = CENSUS_STDOUT_OPTIONS_INIT/g
s/\bcensus_prometheus_options([[:space:]]+[A-Za-z_][A-Za-z0-9_]*)[[:space:]]*=[[:space:]]*\{[[:space:]]*0[[:space:]]*\}/census_prometheus_options\1 = CENSUS_PROMETHEUS_OPTIONS_INIT/g
