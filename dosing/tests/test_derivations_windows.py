"""The day window of a planned dose and the day an unrecorded dose becomes missed (pure; DEV-05, DEV-14)."""

from datetime import date

from dosing.derivations.windows import dose_window, missed_from

PLANNED = date(2024, 1, 6)


def test_window_both_ends_allowed():
    window = dose_window(PLANNED, 1, 2)
    assert (window.earliest, window.latest) == (date(2024, 1, 5), date(2024, 1, 8))
    assert date(2024, 1, 5) in window and date(2024, 1, 8) in window
    assert date(2024, 1, 4) not in window and date(2024, 1, 9) not in window


def test_no_window_is_the_planned_day_only():
    window = dose_window(PLANNED)
    assert (window.earliest, window.latest) == (PLANNED, PLANNED)
    assert date(2024, 1, 7) not in window


def test_missed_the_day_after_the_last_allowed_day_plus_grace():
    assert missed_from(date(2024, 1, 8), 3) == date(2024, 1, 12)
    assert missed_from(PLANNED, 0) == date(2024, 1, 7)
