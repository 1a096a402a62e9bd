"""TagKey, as opencensus.tags.tag_key: a str that is a valid tag name."""

from census.tags.validation import is_valid_tag_name

_TAG_NAME_ERROR = ("tag name must not be empty, no longer than 255 characters and of ascii "
                   "values between 32 - 126")


class TagKey(str):
    """A tag key: 1 to 255 characters of printable ASCII; ValueError otherwise. Immutable."""

    def __new__(cls, name):
        if not isinstance(name, cls) and not is_valid_tag_name(name):
            raise ValueError(_TAG_NAME_ERROR)
        return super(TagKey, cls).__new__(cls, name)
