# Unit tests: one executable per module (tests/unit/test_<name>.c), registered as unit_<name>.
# THREADED tests start threads and also run under ThreadSanitizer.
census_unit_test(status)
census_unit_test(tags)
census_unit_test(measure)
census_unit_test(aggregation)
census_unit_test(view)
census_unit_test(record THREADED)
census_unit_test(concurrency THREADED)
census_unit_test(export THREADED)
census_unit_test(flush THREADED)
census_unit_test(bound THREADED)
census_unit_test(cardinality)
census_unit_test(trace THREADED)
# Not THREADED: it forks a process running the export worker (see the file comment).
census_unit_test(self_metrics)
