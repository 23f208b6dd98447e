"""Survival summaries for the reference cohort's printout: a hand-written Kaplan–Meier estimate.

Only ``manage.py reference_cohort`` uses these, for the median and 3-year OS lines of its summary
(a plausibility check against the paper's 17 months; nothing is stored). They are kept as they were
when the cohort moved into ``demo``; issue #12 replaces them with lifelines, the library the
statistics in ``reports`` use, so that the printout and the reports compute OS the same way.
"""

from collections.abc import Iterable

DAYS_PER_MONTH = 365.25 / 12


def kaplan_meier(observations: Iterable[tuple[int, bool]]) -> list[tuple[int, float]]:
    """(time, survival) after each time with an event, from (time, event) pairs; censored at ties after events."""
    data = sorted(observations)
    at_risk, survival, steps, i = len(data), 1.0, [], 0
    while i < len(data):
        time, events, leaving = data[i][0], 0, 0
        while i < len(data) and data[i][0] == time:
            events += bool(data[i][1])
            leaving += 1
            i += 1
        if events:
            survival *= 1 - events / at_risk
            steps.append((time, survival))
        at_risk -= leaving
    return steps


def median_survival(steps: list[tuple[int, float]]) -> int | None:
    return next((time for time, survival in steps if survival <= 0.5), None)


def survival_at(steps: list[tuple[int, float]], time: int) -> float:
    return min((survival for t, survival in steps if t <= time), default=1.0)
