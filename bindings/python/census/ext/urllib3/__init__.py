"""census.ext.urllib3: tracing of outgoing urllib3 requests (census's addition)."""
