"""Reporting window at its 2-month and 2-year edges, and the SAE clock (no database)."""

from datetime import UTC, date, datetime, timedelta

import pytest

from adverse_events.derivations.windows import (
    IN_WINDOW,
    OUT_OF_WINDOW,
    RELATED_AFTER_WINDOW,
    SAE_DUE,
    SAE_OVERDUE,
    SAE_SUBMITTED,
    SOS_WINDOW,
    classify_window,
    sae_clock,
)

FIRST, LAST, LAST_INO = date(2024, 1, 3), date(2024, 3, 15), date(2024, 2, 10)


def window(onset, related=False, sos=False):
    return classify_window(
        onset, first_dose=FIRST, last_dose=LAST, last_inotuzumab=LAST_INO, related=related, is_sos=sos,
        ae_window_months=2, sos_window_months=24,
    ).status  # fmt: skip


@pytest.mark.parametrize(
    ("onset", "related", "sos", "status"),
    [
        (date(2024, 1, 2), False, False, OUT_OF_WINDOW),  # before the first dose
        (date(2024, 1, 3), False, False, IN_WINDOW),
        (date(2024, 5, 15), False, False, IN_WINDOW),  # last dose + 2 months, inclusive
        (date(2024, 5, 16), False, False, OUT_OF_WINDOW),
        (date(2024, 5, 16), True, False, RELATED_AFTER_WINDOW),
        (date(2026, 2, 10), False, True, SOS_WINDOW),  # last inotuzumab + 2 years, inclusive
        (date(2026, 2, 11), False, True, OUT_OF_WINDOW),
    ],
)
def test_window_edges(onset, related, sos, status):
    assert window(onset, related, sos) == status


def test_no_dose_yet_is_out_of_window():
    verdict = classify_window(
        date(2024, 1, 3), first_dose=None, last_dose=None, last_inotuzumab=None, related=True, is_sos=False,
        ae_window_months=2, sos_window_months=24,
    )  # fmt: skip
    assert not verdict.in_window


def test_sae_clock():
    aware = datetime(2024, 1, 3, 9, 0, tzinfo=UTC)
    kw = {"serious": True, "aware_at": aware, "due_hours": 24}
    assert sae_clock(**kw, reported_at=None, now=aware + timedelta(hours=24)).status == SAE_DUE
    assert sae_clock(**kw, reported_at=None, now=aware + timedelta(hours=24, seconds=1)).status == SAE_OVERDUE
    submitted = sae_clock(**kw, reported_at=aware + timedelta(hours=30), now=aware + timedelta(days=3))
    assert (submitted.status, submitted.due_at) == (SAE_SUBMITTED, aware + timedelta(hours=24))
    assert sae_clock(serious=False, aware_at=None, reported_at=None, now=aware, due_hours=24).status == "not_serious"
