# api-renames.sed - ports user code from census 0.1 to the new names of census's public API
# (docs/api-conventions.md gives the naming rule behind each new name):
#
#   sed -E -i -f docs/api-renames.sed your-files.c
#
# Each line renames one public identifier, as a whole word only (\b on both sides), so a name that
# merely contains an old one is left alone. No new name is an old one, so running the script again
# changes nothing. census applies it to its own tree (every tracked text file except this one), and
# tests/api/renames_test.sh checks that no old name is left there and that a second run changes
# nothing. Only renames are listed: signatures that changed, and the `size` member the options
# structs gained (docs/api-conventions.md, "Options structs"), need a look at each call site.

# core
# Process-wide settings take their module as the noun: census_<module>_set_<property>().
s/\bcensus_set_export_interval_ms\b/census_export_set_interval_ms/g
s/\bcensus_set_exit_flush_timeout_ms\b/census_exit_flush_set_timeout_ms/g
s/\bcensus_set_diagnostics\b/census_diagnostics_set_callback/g
# Getters are census_<noun>_<property>(), without get_; where the property's plain name would be
# a type's name (census_measure_type), the getter names the property more exactly.
s/\bcensus_measure_get_type\b/census_measure_value_type/g
s/\bcensus_aggregation_get_type\b/census_aggregation_kind/g
s/\bcensus_prometheus_content_type\b/census_prometheus_format_content_type/g
# Setters are census_<noun>_set_<property>().
s/\bcensus_span_update_name\b/census_span_set_name/g
# Process-wide counters belong to their module too.
s/\bcensus_span_dropped_count\b/census_trace_dropped_spans/g
# Boolean getters read census_<noun>_is_<state>().
s/\bcensus_exporter_flush_at_exit\b/census_exporter_is_flushing_at_exit/g

# exporters
# The exporters' public surface: calls whose arguments changed are noted and must be edited by hand.
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
s/\bcensus_otlp_kv\b/census_kv/g
s/\bcensus_google_monitoring_label\b/census_kv/g
# Options structs start with `size_t size`: replace `= {0}` by the INIT macro by hand
# (census_otlp_options o = CENSUS_OTLP_OPTIONS_INIT;); a zeroed struct is refused with a line
# naming the macro.
