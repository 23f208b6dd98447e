"""The one comparator table: a rule written ``value <= 1.95`` reads, and holds, the same everywhere."""

from decimal import Decimal

import pytest

from core.comparators import COMPARATORS, INEQUALITIES, compare, symbol, words

LIMIT = Decimal("1.95")


@pytest.mark.parametrize(
    ("value", "code", "holds"),
    [
        (Decimal("1.95"), "<=", True),  # the boundary is inclusive for "at most"
        (Decimal("1.96"), "<=", False),
        (Decimal("1.95"), "<", False),  # … and exclusive for "below"
        (Decimal("1.94"), "<", True),
        (Decimal("1.95"), ">=", True),
        (Decimal("1.94"), ">=", False),
        (Decimal("1.95"), ">", False),
        (Decimal("1.96"), ">", True),
        (Decimal("1.950"), "==", True),
        (Decimal("1.96"), "==", False),
    ],
)
def test_each_comparator_holds_where_its_words_say(value, code, holds):
    assert compare(value, code, LIMIT) is holds


def test_a_rule_is_written_with_its_symbol_and_said_in_words():
    assert [symbol(code) for code in INEQUALITIES] == ["≤", "<", "≥", ">"]
    assert symbol("==") == "="
    assert [words(code) for code in COMPARATORS] == ["at most", "below", "at least", "above", "equal to"]


def test_an_unknown_comparator_is_refused_naming_it():
    with pytest.raises(ValueError, match="'=>'"):
        compare(Decimal(1), "=>", LIMIT)
    with pytest.raises(ValueError, match="'in'"):
        symbol("in")
