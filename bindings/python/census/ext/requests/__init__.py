"""census.ext.requests: tracing of outgoing requests, as opencensus.ext.requests."""
