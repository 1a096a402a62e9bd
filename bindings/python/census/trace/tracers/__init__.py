"""The tracer implementations, as opencensus.trace.tracers."""
