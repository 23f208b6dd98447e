"""The API's JSON parser: a body is a JSON object whose strings hold no NUL byte.

Every write of the API takes an object of named values; a list, a string, a number or ``null`` is refused as a whole
(400, ``field`` null) before any view reads it. A NUL byte (``"\\u0000"``) in any string, however deep, is refused
naming the field: PostgreSQL cannot store one in a text column, and no clinical value contains one.
"""

from rest_framework import exceptions
from rest_framework.parsers import JSONParser

NOT_AN_OBJECT = 'The request body must be a JSON object of named values ({{"field": value, …}}), not {kind}.'
NUL_REFUSED = "Null characters are not allowed."
NUL_CODE = "null_characters_not_allowed"


def _kind(data) -> str:
    if data is None:
        return "null"
    if isinstance(data, bool):
        return "true or false"
    if isinstance(data, list):
        return "a list"
    if isinstance(data, str):
        return "a string"
    return "a number"


def _field_with_nul(data, path=""):
    """The dotted path (``attributions.0.comment``) of the first key or string holding a NUL byte, else None."""
    if isinstance(data, str):
        return path if "\x00" in data else None
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        name = f"{path}.{key}" if path else str(key)
        if "\x00" in name:
            return name.replace("\x00", "\\u0000")
        found = _field_with_nul(value, name)
        if found is not None:
            return found
    return None


class JSONObjectParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if not isinstance(data, dict):
            raise exceptions.ParseError(NOT_AN_OBJECT.format(kind=_kind(data)), code="not_an_object")
        field = _field_with_nul(data)
        if field is not None:
            raise exceptions.ValidationError({field: [exceptions.ErrorDetail(NUL_REFUSED, code=NUL_CODE)]})
        return data
