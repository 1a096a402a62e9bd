"""Point values, as opencensus.metrics.export.value: ValueLong, ValueDouble, ValueSummary and
ValueDistribution (with BucketOptions, Explicit, Bucket, Exemplar).

Plain immutable values, made by the aggregation data's ``to_point()``. census's difference
(docs/python.md, P5): Explicit accepts bounds <= 0, since census keeps them.
"""

__all__ = ["ValueDouble", "ValueLong", "ValueSummary", "Exemplar", "Bucket", "Explicit",
           "BucketOptions", "ValueDistribution"]


class _Scalar(object):
    """A point's single value."""

    def __init__(self, value):
        self._value = value

    def __repr__(self):
        return "{}({})".format(type(self).__name__, self._value)

    @property
    def value(self):
        """The value."""
        return self._value


class ValueDouble(_Scalar):
    """A float value."""


class ValueLong(_Scalar):
    """A 64-bit integer value."""


class ValueSummary(_Scalar):
    """A summary snapshot (census's views make none; here for code that builds them)."""


class Exemplar(object):
    """An example value in a bucket, with its time and attachments (census keeps none)."""

    def __init__(self, value, timestamp, attachments):
        self._value = value
        self._timestamp = timestamp
        self._attachments = attachments

    def __repr__(self):
        return "{}({})".format(type(self).__name__, self._value)

    @property
    def value(self):
        """The value."""
        return self._value

    @property
    def timestamp(self):
        """When it was recorded."""
        return self._timestamp

    @property
    def attachments(self):
        """Its attachments (dict of str)."""
        return self._attachments


class Bucket(object):
    """A histogram bucket: its count and an optional exemplar."""

    def __init__(self, count, exemplar=None):
        self._count = count
        self._exemplar = exemplar

    def __repr__(self):
        return "{}({})".format(type(self).__name__, self._count)

    @property
    def count(self):
        """The number of values in the bucket."""
        return self._count

    @property
    def exemplar(self):
        """The bucket's exemplar, or None."""
        return self._exemplar


class Explicit(object):
    """Explicit bucket bounds: len(bounds) + 1 buckets. ValueError for no bounds or bounds that
    are not strictly increasing (census, unlike opencensus-python, accepts bounds <= 0)."""

    def __init__(self, bounds):
        if not bounds:
            raise ValueError("Bounds must not be null or empty")
        if list(bounds) != sorted(set(bounds)):
            raise ValueError("Bounds must be strictly increasing")
        self._bounds = list(bounds)

    @property
    def bounds(self):
        """A copy of the bounds."""
        return list(self._bounds)


class BucketOptions(object):
    """How a distribution's buckets are laid out: an Explicit, or None for no histogram."""

    def __init__(self, type_=None):
        self._type = type_

    def __repr__(self):
        return "{}({})".format(type(self).__name__, self._type)

    @property
    def type_(self):
        """The Explicit bounds, or None."""
        return self._type


class ValueDistribution(object):
    """A distribution: count, sum, sum of squared deviations, bucket options and buckets.

    ValueError, as opencensus-python: a negative count; a zero count with a non-zero sum or sum
    of squared deviations; no bucket options; buckets without bounds; a bucket count other than
    len(bounds) + 1; bucket counts that do not add up to the count.
    """

    def __init__(self, count, sum_, sum_of_squared_deviation, bucket_options, buckets=None):
        if count < 0:
            raise ValueError("count must be non-negative")
        if count == 0 and sum_ != 0:
            raise ValueError("sum_ must be 0 if count is 0")
        if count == 0 and sum_of_squared_deviation != 0:
            raise ValueError("sum_of_squared_deviation must be 0 if count is 0")
        if bucket_options is None:
            raise ValueError("bucket_options must not be null")
        if bucket_options.type_ is None:
            if buckets is not None:
                raise ValueError("buckets must be null if the distribution has no histogram "
                                 "(i.e. bucket_options.type is null)")
        else:
            if buckets is None or len(buckets) != len(bucket_options.type_.bounds) + 1:
                raise ValueError("There must be one bucket for each pair of boundaries")
            if count != sum(bucket.count for bucket in buckets):
                raise ValueError("The distribution count must equal the sum of bucket counts")
        self._count = count
        self._sum = sum_
        self._sum_of_squared_deviation = sum_of_squared_deviation
        self._bucket_options = bucket_options
        self._buckets = buckets

    def __repr__(self):
        bounds = self._bucket_options.type_.bounds if self._bucket_options.type_ else None
        return "{}({})".format(type(self).__name__, bounds)

    @property
    def count(self):
        """The number of values."""
        return self._count

    @property
    def sum(self):
        """Their sum (census's exact running sum)."""
        return self._sum

    @property
    def sum_of_squared_deviation(self):
        """The sum of squared deviations from the mean."""
        return self._sum_of_squared_deviation

    @property
    def bucket_options(self):
        """The BucketOptions."""
        return self._bucket_options

    @property
    def buckets(self):
        """The list of Bucket, or None without a histogram."""
        return self._buckets
