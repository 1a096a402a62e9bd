"""Which span exporters census's span pipeline feeds (census's addition; opencensus-python had
no registry, each tracer pushed its spans to its own exporter).

In census, span exporters are process-wide: an exporter given to any Tracer (or registered
here) receives every sampled span that ends after it joined, from every tracer, in batches on
census's export worker. Exporters written in Python join through a bridge (census._census:
export() is called with the GIL held only for the call); census's own exporters
(census.ext.zipkin, census.ext.stackdriver, census.ext.otlp trace exporters) are started in C
when first used. The default exporter of a Tracer made without one is a PrintExporter, as in
opencensus-python, but only while no other exporter was given: once a program gives one, the
default print exporter leaves the pipeline. Thread-safety: all functions are thread-safe.
"""

import threading

from census import _census

_lock = threading.Lock()
_registered = []  # the exporter objects census's pipeline feeds, in order
_default = None  # the PrintExporter used while no exporter was given


def _convert(raws):
    from census.trace.span_data import _from_census
    return _from_census(raws)


def register(exporter):
    """Adds `exporter` to census's span pipeline (nothing if it is there). Returns it."""
    global _default
    native = getattr(exporter, '_census_register', None)
    with _lock:
        if any(e is exporter for e in _registered):
            return exporter
        if native is not None:
            native()
        else:
            _census.span_exporter_register(exporter, _convert)
        _registered.append(exporter)
        default = _default if exporter is not _default else None
        if default is not None:
            _default = None
    if default is not None:
        unregister(default, timeout=5.0)
    return exporter


def unregister(exporter, timeout=5.0):
    """Takes `exporter` out of the pipeline after a final export of the spans census holds
    (waits up to `timeout` seconds, GIL released). Returns False if it was not registered."""
    with _lock:
        for i, e in enumerate(_registered):
            if e is exporter:
                del _registered[i]
                break
        else:
            return False
    native = getattr(exporter, '_census_unregister', None)
    if native is not None:
        native(timeout)
        return True
    return _census.span_exporter_unregister(exporter, timeout)


def use(exporter):
    """The exporter a Tracer uses: `exporter`, registered; or, for None, the exporters already
    registered, or a PrintExporter when there are none (opencensus-python's default)."""
    global _default
    if exporter is not None:
        return register(exporter)
    with _lock:
        if _registered:
            return _default if _default is not None else _registered[-1]
    from census.trace.print_exporter import PrintExporter
    printer = PrintExporter()
    with _lock:
        if _registered:  # another thread registered one meanwhile
            return _registered[-1]
        _default = printer
    return register(printer)


def registered():
    """The exporters census's pipeline feeds (a new list)."""
    with _lock:
        return list(_registered)


def stats(exporter):
    """For a Python exporter: {'batches', 'spans', 'failures', 'spans_failed', 'spans_skipped'}
    (failures: export() calls that raised; spans_failed: the spans they held; spans_skipped:
    spans census could not hand over after Python detached at exit). For census's own exporters
    their delivery counters. None if it is not registered."""
    native = getattr(exporter, 'stats', None)
    if getattr(exporter, '_census_register', None) is not None and native is not None:
        return native()
    return _census.span_exporter_stats(exporter)


def dropped_spans():
    """Spans census dropped in this process (export queue full, or ended after shutdown)."""
    return _census.dropped_spans()


def set_export_options(max_queue_size=0, max_export_batch_size=0, schedule_delay=0.0,
                       export_timeout=0.0):
    """census's batch span processor: queue size (2048), batch size (512), delay between
    exports in seconds (5.0), export timeout in seconds (30.0); 0 keeps a setting. Also set by
    OTEL_BSP_* variables."""
    _census.set_span_export_options(max_queue_size, max_export_batch_size, schedule_delay,
                                    export_timeout)
