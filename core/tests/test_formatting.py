"""Numbers as a person writes them, on pages, in messages and in the API's display values."""

from decimal import Decimal

import pytest
from django.template import Context, Template

from core.formatting import plain_number


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("3.40"), "3.4"),
        (Decimal("45.00"), "45"),
        (Decimal("1.0900"), "1.09"),
        (Decimal("100.0000"), "100"),
        (Decimal("1E+3"), "1000"),
        (Decimal("0.00010"), "0.0001"),
        (Decimal("0.0000"), "0"),
        (Decimal("-2.50"), "-2.5"),
        (12, "12"),
        ("7.250", "7.25"),
        (0.1, "0.1"),
    ],
)
def test_a_number_shows_without_trailing_zeros_or_exponent(value, shown):
    assert plain_number(value) == shown


def test_the_template_filter_shows_the_same_and_a_dash_for_nothing():
    template = Template("{% load ui %}{{ a|number }} | {{ b|number }} | {{ c|number }}")
    assert template.render(Context({"a": Decimal("1000.0000"), "b": None, "c": ""})) == "1000 | — | —"
