"""Survival summaries for the reference cohort's printout, computed by the reports' Kaplan–Meier (lifelines).

Only ``manage.py reference_cohort`` uses these, for the median and 3-year OS lines of its summary (a plausibility
check against the paper's 17 months and 40%; nothing is stored). They call :func:`reports.statistics.kaplan_meier`,
the function behind the reports' survival pages, so the printout and the dashboards compute OS the same way.
"""

from collections.abc import Iterable

from reports.selectors import DAYS_PER_MONTH
from reports.statistics import kaplan_meier

THREE_YEARS_MONTHS = 36.0


def os_summary(observations: Iterable[tuple[int, bool]]) -> tuple[float | None, float | None]:
    """(median OS in months or None if not reached, 3-year OS or None if not estimable) from (days, died) pairs."""
    pairs = list(observations)
    curve = kaplan_meier(
        [days / DAYS_PER_MONTH for days, _ in pairs],
        [bool(died) for _, died in pairs],
        label="OS",
        rate_times=[THREE_YEARS_MONTHS],
    )
    return curve.median.value, curve.rates[THREE_YEARS_MONTHS].value
