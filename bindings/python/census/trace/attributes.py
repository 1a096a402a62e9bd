"""Attributes, as opencensus.trace.attributes: a dict of span or annotation attributes, with
opencensus-python's JSON form (Stackdriver v2's typed values)."""

from census.trace import _strings as utils


def _format_attribute_value(value):
    if isinstance(value, bool):
        value_type = 'bool_value'
    elif isinstance(value, int):
        value_type = 'int_value'
    elif isinstance(value, str):
        value_type = 'string_value'
        value = utils.get_truncatable_str(value)
    elif isinstance(value, float):
        value_type = 'double_value'
    else:
        return None
    return {value_type: value}


class Attributes(object):
    """A set of attributes (a dict of str to bool, int, float or str)."""

    def __init__(self, attributes=None):
        self.attributes = attributes or {}

    def set_attribute(self, key, value):
        """Sets key to value."""
        self.attributes[key] = value

    def delete_attribute(self, key):
        """Removes key if present."""
        self.attributes.pop(key, None)

    def get_attribute(self, key):
        """The value of key, or None."""
        return self.attributes.get(key, None)

    def format_attributes_json(self):
        """{'attributeMap': {key: {type_value: value}}} (values of other types are left out)."""
        attributes_json = {}
        for key, value in self.attributes.items():
            key = utils.check_str_length(key)[0]
            value = _format_attribute_value(value)
            if value is not None:
                attributes_json[key] = value
        return {'attributeMap': attributes_json}
