"""census.common.transports: how an exporter's export() reaches its emit(), as
opencensus.common.transports. In census the span and stats pipelines already batch and run off
the application's threads (census's export worker), so both transports call emit() at once."""
