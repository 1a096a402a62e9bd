"""Helpers from opencensus.common.utils that census's modules use."""

import datetime


def utcnow():
    """Now as a naive UTC datetime (opencensus-python's timestamps)."""
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def to_iso_str(ts=None):
    """An ISO 8601 string for a UTC datetime (now if None), e.g. 2024-01-02T03:04:05.000006Z."""
    if ts is None:
        ts = utcnow()
    return ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
