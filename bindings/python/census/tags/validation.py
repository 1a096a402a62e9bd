"""Tag name and value rules, as opencensus.tags.validation (and census's C core): a key is 1
to 255 characters, a value 0 to 255, each of printable ASCII (32-126)."""

_MAX_LENGTH = 255


def is_legal_chars(value):
    """True if every character is printable ASCII (32-126)."""
    return all(32 <= ord(char) <= 126 for char in value)


def is_valid_tag_name(name):
    """True for a valid tag key name."""
    return isinstance(name, str) and 0 < len(name) <= _MAX_LENGTH and is_legal_chars(name)


def is_valid_tag_value(value):
    """True for a valid tag value."""
    return isinstance(value, str) and len(value) <= _MAX_LENGTH and is_legal_chars(value)
