"""census.ext.otlp: OTLP/HTTP exporters on census's C exporter (the successor of
opencensus.ext.ocagent: OpenTelemetry collectors take OTLP)."""
