"""census.trace: tracers, spans, samplers and propagation, as opencensus.trace."""
