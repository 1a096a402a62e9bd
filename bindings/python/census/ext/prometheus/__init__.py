"""census.ext.prometheus: the Prometheus exporter, as opencensus.ext.prometheus."""
