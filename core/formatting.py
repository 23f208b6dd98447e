"""Numbers as a person writes them: no trailing zeros, no exponent."""

from decimal import Decimal


def plain_number(value) -> str:
    """A number as written by hand: Decimal("3.40") → "3.4", Decimal("45.00") → "45", Decimal("1E+2") → "100".

    Accepts a Decimal, an int, a float (read through its shortest text form) or a numeric string.
    """
    if isinstance(value, float):
        value = repr(value)
    return format(Decimal(value).normalize(), "f")
