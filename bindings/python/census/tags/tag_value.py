"""TagValue, as opencensus.tags.tag_value: a str that is a valid tag value."""

from census.tags.validation import is_valid_tag_value

_TAG_VALUE_ERROR = ("tag value must not be longer than 255 characters and of ascii values "
                    "between 32 - 126")


class TagValue(str):
    """A tag value: 0 to 255 characters of printable ASCII; ValueError otherwise. Immutable."""

    def __new__(cls, value):
        if not isinstance(value, cls) and not is_valid_tag_value(value):
            raise ValueError(_TAG_VALUE_ERROR)
        return super(TagValue, cls).__new__(cls, value)
