"""A planned dose's day window and when an unrecorded dose counts as missed: pure date arithmetic.

The window is ``planned_date − window_before_days`` … ``planned_date + window_after_days`` (both ends allowed); a
dose with no window (both 0) belongs on its planned day exactly. The deviation rules (dose outside its window, missed
dose) and the pages read these, so "inside the window" means the same everywhere.
"""

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class DoseWindow:
    earliest: date
    latest: date

    def __contains__(self, day: date) -> bool:
        return self.earliest <= day <= self.latest


def dose_window(planned_date: date, window_before_days: int = 0, window_after_days: int = 0) -> DoseWindow:
    """The days a dose may be given on: 2024-01-06 with −1/+2 → 2024-01-05 … 2024-01-08."""
    return DoseWindow(
        planned_date - timedelta(days=window_before_days), planned_date + timedelta(days=window_after_days)
    )


def missed_from(latest: date, grace_days: int) -> date:
    """The first day an unrecorded dose whose window ends on ``latest`` is missed: the window's last day, then
    ``grace_days`` more days to record it, then missed (last day 2024-01-08, grace 3 → missed from 2024-01-12)."""
    return latest + timedelta(days=int(grace_days) + 1)
