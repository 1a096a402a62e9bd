"""census.metrics: the parts of opencensus.metrics that census.stats refers to."""
