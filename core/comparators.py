"""Comparisons written as data, ``value <comparator> threshold``: one table of the comparators, their symbols
and words, and one function that evaluates them.

The codes are the ones data files and models store (``<=``); the symbol is how a page writes the rule (``≤``)
and the words how a sentence does ("at most"). Callers convert their values first (to Decimal, from booleans, …):
the comparison itself is the same everywhere.
"""

import operator
from collections.abc import Callable
from dataclasses import dataclass

UNKNOWN_COMPARATOR = "Unknown comparator {code!r}"


@dataclass(frozen=True)
class Comparator:
    code: str
    symbol: str
    words: str
    holds: Callable[[object, object], bool]


COMPARATORS = {
    c.code: c
    for c in (
        Comparator("<=", "≤", "at most", operator.le),
        Comparator("<", "<", "below", operator.lt),
        Comparator(">=", "≥", "at least", operator.ge),
        Comparator(">", ">", "above", operator.gt),
        Comparator("==", "=", "equal to", operator.eq),
    )
}
# The comparators that order numbers against a threshold (every one but equality).
INEQUALITIES = ("<=", "<", ">=", ">")


def comparator(code: str) -> Comparator:
    """The comparator stored as ``code``; ValueError for a code not in the table."""
    try:
        return COMPARATORS[code]
    except KeyError:
        raise ValueError(UNKNOWN_COMPARATOR.format(code=code)) from None


def compare(value, code: str, threshold) -> bool:
    """Whether ``value <code> threshold`` holds, e.g. ``compare(Decimal("1.95"), "<=", Decimal("1.95"))`` is True."""
    return comparator(code).holds(value, threshold)


def symbol(code: str) -> str:
    """The comparator as a page writes it: "<=" → "≤"."""
    return comparator(code).symbol


def words(code: str) -> str:
    """The comparator as a sentence says it: "<=" → "at most"."""
    return comparator(code).words
