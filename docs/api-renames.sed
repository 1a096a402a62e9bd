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
