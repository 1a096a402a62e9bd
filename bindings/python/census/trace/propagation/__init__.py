"""The propagators, as opencensus.trace.propagation: each reads and writes a span context in a
format other processes understand, with census's C parsers and writers (census/propagation.h,
docs/propagation.md). Header names are matched without regard to case, and a header sent as
several lines is read whole (joined with ","), unlike opencensus-python's exact dict lookups."""
