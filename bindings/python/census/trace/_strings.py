"""String helpers of opencensus.common.utils that the tracing modules' JSON forms use."""

UTF8 = 'utf-8'
MAX_LENGTH = 128


def get_truncatable_str(str_to_convert):
    """{'value': the str cut to 128 UTF-8 bytes, 'truncated_byte_count': bytes cut}."""
    truncated, truncated_byte_count = check_str_length(str_to_convert, MAX_LENGTH)
    return {'value': truncated, 'truncated_byte_count': truncated_byte_count}


def check_str_length(str_to_check, limit=MAX_LENGTH):
    """(the str cut to `limit` UTF-8 bytes, the number of bytes cut)."""
    str_bytes = str_to_check.encode(UTF8)
    truncated_byte_count = 0
    if len(str_bytes) > limit:
        truncated_byte_count = len(str_bytes) - limit
        str_bytes = str_bytes[:limit]
    return str(str_bytes.decode(UTF8, errors='ignore')), truncated_byte_count
