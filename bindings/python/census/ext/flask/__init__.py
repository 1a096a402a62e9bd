"""census.ext.flask: Flask tracing, as opencensus.ext.flask."""
