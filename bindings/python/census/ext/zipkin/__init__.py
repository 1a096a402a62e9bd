"""census.ext.zipkin: the Zipkin trace exporter, as opencensus.ext.zipkin."""
