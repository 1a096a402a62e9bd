# Propagation unit tests (one executable per format family), registered as unit_propagation_*.
census_unit_test(propagation_w3c)
# The AVX2 decode of traceparent ids against the SSE2 one and the table (every byte, every position).
census_unit_test(traceparent_ids)
census_unit_test(propagation_baggage)
census_unit_test(propagation_b3)
census_unit_test(propagation_cloud_trace)
census_unit_test(propagation_binary)
# The composite propagator (OTEL_PROPAGATORS lists): order, syntax, grpc-trace-bin as base64.
census_unit_test(propagation_composite)
