"""Query-parameter filters that refuse a value the database cannot compare with (400 naming the parameter).

django-filter's ``NumberFilter`` parses ``?patient=99999999999999999999`` as a Decimal that no integer column can
hold; the database driver then fails (SQLite: OverflowError) and the call answers 500. These parse an integer in a
range, so such a value is a 400 like any other malformed parameter.
"""

from django import forms
from django_filters import rest_framework as filters

ID_MAX = 2**63 - 1  # the largest value of a BigAutoField (a 64-bit signed integer)


class IntegerFilter(filters.Filter):
    """An integer between ``min_value`` and ``max_value`` (given as keyword arguments)."""

    field_class = forms.IntegerField


class IdFilter(IntegerFilter):
    """A record's id: a positive integer a primary key can hold."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", ID_MAX)
        super().__init__(*args, **kwargs)
