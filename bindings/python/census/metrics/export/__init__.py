"""census.metrics.export: metric descriptor types, as opencensus.metrics.export."""
