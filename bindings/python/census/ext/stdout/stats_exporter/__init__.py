"""The stdout stats exporter: every view, each export, as text blocks or JSON lines written to a
file descriptor by census's C exporter (docs/exporters/stdout.md). Thread-safe."""

from census import _census
from census.ext._native import NativeStatsExporter

__all__ = ["StdoutStatsExporter", "new_stats_exporter"]


class StdoutStatsExporter(NativeStatsExporter):
    """A running stdout exporter; stats() has rows_written, bytes_written, rows_dropped."""


def new_stats_exporter(format="text", fd=1, skip_empty=False):
    """Starts census's stdout exporter for views (spans are left to a trace exporter).

    :param format: "text" (a block per view) or "json" (one JSON object per row)
    :param fd: the file descriptor to write to (default 1, standard output)
    :param skip_empty: True: views without rows are not printed
    """
    handle = _census.stdout_start(format=format, fd=fd, skip_empty=int(bool(skip_empty)),
                                  skip_spans=1)
    return StdoutStatsExporter(handle)
