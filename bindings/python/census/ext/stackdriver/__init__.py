"""census.ext.stackdriver: Google Cloud Monitoring (formerly Stackdriver) exporters, as
opencensus.ext.stackdriver."""
