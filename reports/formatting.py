"""Statistics as the tables print them (pure functions; the templates and the CSV use the same)."""

from __future__ import annotations

from .statistics import Distribution, Estimate, HazardRatio, Proportion

DASH = "–"


def percent(fraction: float | None, digits: int = 0) -> str:
    return DASH if fraction is None else f"{100 * fraction:.{digits}f}%"


def count_percent(p: Proportion) -> str:
    """``69/110 (63%)``, as in the paper."""
    return f"{p.n}/{p.total} ({percent(p.fraction)})" if p.total else f"0/0 ({DASH})"


def interval(lower: float | None, upper: float | None, *, as_percent: bool = True, digits: int = 0) -> str:
    if lower is None and upper is None:
        return DASH
    if as_percent:
        low = DASH if lower is None else percent(lower, digits)
        high = "NR" if upper is None else percent(upper, digits)
        return f"{low}–{high}"
    low = DASH if lower is None else f"{lower:.{digits}f}"
    high = "NR" if upper is None else f"{upper:.{digits}f}"
    return f"{low}–{high}"


def proportion_ci(p: Proportion) -> str:
    """The exact 95% CI of a proportion, ``53–71%``."""
    return interval(p.lower, p.upper) if p.total else DASH


def p_value(p: float | None) -> str:
    if p is None:
        return DASH
    return "<0.001" if p < 0.001 else f"{p:.3f}" if p < 0.1 else f"{p:.2f}"


def median_range(d: Distribution) -> str:
    if not d.known:
        return DASH
    return f"{d.median:g} ({d.minimum:g}–{d.maximum:g})"


def months(e: Estimate) -> str:
    """A median survival with its CI in months; NR = not reached."""
    value = "not reached" if e.value is None else f"{e.value:.1f}"
    return f"{value} (95% CI {interval(e.lower, e.upper, as_percent=False, digits=1)})"


def rate(e: Estimate) -> str:
    if e.value is None:
        return "not estimable"
    return f"{percent(e.value)} (95% CI {interval(e.lower, e.upper)})"


def hazard_ratio(h: HazardRatio | None) -> str:
    """``1.41 (95% CI 0.62–3.20)``; a dash when the model has no estimate."""
    if h is None:
        return DASH
    return f"{h.hazard_ratio:.2f} (95% CI {interval(h.lower, h.upper, as_percent=False, digits=2)})"
