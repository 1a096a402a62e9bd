"""census.tags.propagation: the binary tag format, as opencensus.tags.propagation."""
