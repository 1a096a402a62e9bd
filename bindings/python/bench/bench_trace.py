"""bench_trace.py [OUT.json]: census's Python span costs beside opencensus-python 0.11.4 and
opentelemetry-sdk (pinned from PyPI), in one run of one interpreter (Debian's /usr/bin/python3 in
`make bench`, scripts/bench-python.sh, right after bench_stats.py).

The operation is what a program writes: ``with tracer.span(name="work"): pass`` (opentelemetry:
``with tracer.start_as_current_span("work"): pass``), i.e. start a span, make it current, end
it, restore the previous current span. Each figure is ns per span: the best of REPEATS runs of
a loop of N spans (the loop's own cost included), next to an empty Python call and an empty
`with` block on a Python context manager measured the same way.

Sampled spans are exported the way each library's users export them, so that the figure holds
what ending a span costs:
- census, to census's own exporter (its C stdout exporter writing JSON lines to /dev/null on
  census's export worker; Zipkin, OTLP and Cloud Trace take the same path): spans never enter
  Python again. The start+end figure exports each loop's spans between loops (census.flush(),
  untimed: the export runs on census's worker, not in the program's thread): loops of 50000
  spans, and of 1000 (span records reused warm); a third figure times the loop and its export
  together;
- census, to an exporter written in Python (export() does nothing): census converts each span
  to opencensus-python's SpanData on its worker, with the GIL; the loop ends with
  census.flush(), so its time includes that conversion for every span, and no span is dropped
  (checked);
- opencensus-python 0.11.4, to an exporter whose export() does nothing (its tracer calls it at
  every span end, synchronously);
- opentelemetry-sdk, through a BatchSpanProcessor to an exporter whose export() does nothing.
Unsampled: census's and opencensus's AlwaysOffSampler, opentelemetry's ALWAYS_OFF.
Single-thread loops also get the best CPU time of the thread per span ("CPU ns", see best_ns).
Prints a table and writes the figures as JSON.
"""

import json
import os
import platform
import sys
import time

REPEATS = 5


CPU = {}  # key -> best thread CPU ns/op, beside the wall figure in the results


def best_ns(fn, n, repeats=REPEATS, between=None, key=None):
    """Best ns/op of fn(n) (a function running n operations) over `repeats` runs, wall clock;
    `between()`, if given, runs after each run, untimed. With `key`, also keeps the best CPU
    time of the calling thread per op in CPU[key] (on a machine shared with other work, the
    wall clock also counts the time the thread waited for a core; the thread's CPU time does
    not, and it leaves out what other threads, such as census's export worker, spent)."""
    best = best_cpu = float("inf")
    for _ in range(repeats):
        start, start_cpu = time.perf_counter_ns(), time.thread_time_ns()
        fn(n)
        cpu = time.thread_time_ns() - start_cpu
        best = min(best, (time.perf_counter_ns() - start) / n)
        best_cpu = min(best_cpu, cpu / n)
        if between is not None:
            between()
    if key is not None:
        CPU[key] = best_cpu
    return best


def empty_call(n):
    def f(x):
        pass
    for _ in range(n):
        f(1)


class _EmptyManager(object):
    __slots__ = ()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        pass


def empty_with(n):
    manager = _EmptyManager()
    for _ in range(n):
        with manager:
            pass


def census_benches(results):
    import census
    from census import _census
    from census.ext._native_trace import NativeTraceExporter
    from census.trace import base_exporter, exporters, samplers
    from census.trace import tracer as tracer_module

    devnull = os.open(os.devnull, os.O_WRONLY)

    class StdoutSpans(NativeTraceExporter):
        """census's C stdout exporter (spans and views as JSON lines) into /dev/null."""

        def _start(self):
            return _census.stdout_start(format="json", fd=devnull, skip_spans=0)

    native = StdoutSpans()
    # Room for a whole loop of spans: the export of one loop's spans runs between two loops
    # (census.flush(), untimed) for the start+end figures, and inside the loop for the
    # "export included" one.
    exporters.set_export_options(max_queue_size=1 << 17, max_export_batch_size=1 << 17,
                                 schedule_delay=3600.0)
    sampled = tracer_module.Tracer(sampler=samplers.AlwaysOnSampler(), exporter=native)

    def sampled_spans(n):
        for _ in range(n):
            with sampled.span(name="work"):
                pass

    def nested_spans(n):
        for _ in range(n // 2):
            with sampled.span(name="request"):
                with sampled.span(name="query"):
                    pass

    def flush():
        census.flush(30.0)

    def sampled_spans_exported(n):
        sampled_spans(n)
        census.flush(30.0)
    dropped = exporters.dropped_spans()
    results["census_span_sampled_c_exporter"] = best_ns(sampled_spans, 50000, between=flush,
                                                        key="census_span_sampled_c_exporter")
    # The same with 1000 spans between two exports: census's span records come back from the
    # export warm, as with a steady flow of spans (50000 at a time overflow the CPU's caches).
    results["census_span_sampled_1000_per_export"] = best_ns(
        sampled_spans, 1000, 50, between=flush, key="census_span_sampled_1000_per_export")
    results["census_span_sampled_nested"] = best_ns(nested_spans, 50000, between=flush,
                                                    key="census_span_sampled_nested")
    results["census_span_sampled_c_exporter_with_flush"] = best_ns(sampled_spans_exported, 50000)
    stats = native.stats()
    results["census_c_exporter_stats"] = stats
    results["census_c_exporter_dropped_spans"] = exporters.dropped_spans() - dropped
    exporters.unregister(native, timeout=30.0)

    class NoopExporter(base_exporter.Exporter):
        def emit(self, span_datas):
            pass

        def export(self, span_datas):
            pass
    python_exporter = NoopExporter()
    to_python = tracer_module.Tracer(sampler=samplers.AlwaysOnSampler(),
                                     exporter=python_exporter)

    def python_exported_spans(n):
        for _ in range(n):
            with to_python.span(name="work"):
                pass
        census.flush(30.0)
    dropped = exporters.dropped_spans()
    results["census_span_sampled_python_exporter_with_flush"] = best_ns(python_exported_spans,
                                                                        20000)
    got = exporters.stats(python_exporter)
    results["census_python_exporter_stats"] = got
    results["census_python_exporter_dropped_spans"] = exporters.dropped_spans() - dropped
    assert got["spans"] == REPEATS * 20000, got
    exporters.unregister(python_exporter, timeout=30.0)

    unsampled = tracer_module.Tracer(sampler=samplers.AlwaysOffSampler(),
                                     exporter=python_exporter)

    def unsampled_spans(n):
        for _ in range(n):
            with unsampled.span(name="work"):
                pass
    results["census_span_unsampled"] = best_ns(unsampled_spans, 300000,
                                               key="census_span_unsampled")
    os.close(devnull)


def opencensus_benches(results):
    from opencensus.trace import base_exporter, samplers
    from opencensus.trace import tracer as tracer_module

    class NoopExporter(base_exporter.Exporter):
        def emit(self, span_datas):
            pass

        def export(self, span_datas):
            pass
    sampled = tracer_module.Tracer(sampler=samplers.AlwaysOnSampler(), exporter=NoopExporter())

    def sampled_spans(n):
        for _ in range(n):
            with sampled.span(name="work"):
                pass
    results["opencensus_span_sampled"] = best_ns(sampled_spans, 20000, 3,
                                                 key="opencensus_span_sampled")
    unsampled = tracer_module.Tracer(sampler=samplers.AlwaysOffSampler(),
                                     exporter=NoopExporter())

    def unsampled_spans(n):
        for _ in range(n):
            with unsampled.span(name="work"):
                pass
    results["opencensus_span_unsampled"] = best_ns(unsampled_spans, 100000,
                                                   key="opencensus_span_unsampled")


def opentelemetry_benches(results):
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import (BatchSpanProcessor, SpanExporter,
                                                SpanExportResult)
    from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON

    class NoopExporter(SpanExporter):
        def export(self, spans):
            return SpanExportResult.SUCCESS

    providers = []

    def tracer(sampler):
        provider = TracerProvider(sampler=sampler)
        provider.add_span_processor(BatchSpanProcessor(NoopExporter(), max_queue_size=1 << 20,
                                                       max_export_batch_size=4096))
        providers.append(provider)
        return provider.get_tracer("bench")
    sampled = tracer(ALWAYS_ON)

    def sampled_spans(n):
        for _ in range(n):
            with sampled.start_as_current_span("work"):
                pass
    results["opentelemetry_span_sampled"] = best_ns(sampled_spans, 20000, 3,
                                                    key="opentelemetry_span_sampled")
    unsampled = tracer(ALWAYS_OFF)

    def unsampled_spans(n):
        for _ in range(n):
            with unsampled.start_as_current_span("work"):
                pass
    results["opentelemetry_span_unsampled"] = best_ns(unsampled_spans, 50000, 3,
                                                      key="opentelemetry_span_unsampled")
    for provider in providers:
        provider.shutdown()
    import opentelemetry.sdk.version as v
    results["opentelemetry_sdk_version"] = v.__version__


ROWS = [
    ("empty Python call", "empty_python_call", None),
    ("empty `with` on a Python context manager", "empty_with", None),
    ("census: sampled span, census's C exporter", "census_span_sampled_c_exporter", 1500),
    ("census: sampled, 1000 spans per export", "census_span_sampled_1000_per_export", None),
    ("census: sampled, nested pair (per span)", "census_span_sampled_nested", None),
    ("census: sampled, C exporter, export incl. (flush)",
     "census_span_sampled_c_exporter_with_flush", None),
    ("census: sampled, Python exporter (flush incl.)",
     "census_span_sampled_python_exporter_with_flush", None),
    ("census: unsampled span", "census_span_unsampled", 300),
    ("opencensus 0.11.4: sampled span", "opencensus_span_sampled", None),
    ("opencensus 0.11.4: unsampled span", "opencensus_span_unsampled", None),
    ("opentelemetry-sdk: sampled span (batch)", "opentelemetry_span_sampled", None),
    ("opentelemetry-sdk: unsampled span", "opentelemetry_span_unsampled", None),
]


def main():
    results = {"python": sys.version.split()[0], "executable": sys.executable,
               "machine": platform.machine()}
    results["empty_python_call"] = best_ns(empty_call, 500000, key="empty_python_call")
    results["empty_with"] = best_ns(empty_with, 500000, key="empty_with")
    census_benches(results)
    opencensus_benches(results)
    opentelemetry_benches(results)
    print("Python %s (%s): spans, `with tracer.span(...)`" % (results["python"], sys.executable))
    results["thread_cpu_ns_per_op"] = CPU
    print("%-52s %10s %10s %8s" % ("operation", "ns/span", "CPU ns", "target"))
    for label, key, target in ROWS:
        cpu = "%10.1f" % CPU[key] if key in CPU else "%10s" % ""
        print("%-52s %10.1f %s %8s" % (label, results[key], cpu, target or ""))
    print("census C exporter: %s, dropped %d" % (results["census_c_exporter_stats"],
                                                 results["census_c_exporter_dropped_spans"]))
    print("census Python exporter: %s, dropped %d" % (
        results["census_python_exporter_stats"], results["census_python_exporter_dropped_spans"]))
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
