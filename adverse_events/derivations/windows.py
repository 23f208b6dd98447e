"""The AE reporting window and the SAE clock: pure functions over dates and protocol numbers."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta

IN_WINDOW = "in_window"
RELATED_AFTER_WINDOW = "related_after_window"
SOS_WINDOW = "sos_window"
OUT_OF_WINDOW = "out_of_window"
WINDOW_LABELS = {
    IN_WINDOW: "In the reporting window",
    RELATED_AFTER_WINDOW: "After the window, reported because treatment-related",
    SOS_WINDOW: "SOS within the window after the last inotuzumab dose",
    OUT_OF_WINDOW: "Out of the reporting window",
}


@dataclass(frozen=True)
class WindowVerdict:
    status: str
    reason: str

    @property
    def in_window(self) -> bool:
        return self.status != OUT_OF_WINDOW

    @property
    def label(self) -> str:
        return WINDOW_LABELS[self.status]


def classify_window(
    onset: date,
    *,
    first_dose: date | None,
    last_dose: date | None,
    last_inotuzumab: date | None,
    related: bool,
    is_sos: bool,
    ae_window_months: int,
    sos_window_months: int,
) -> WindowVerdict:
    """Whether an AE falls in the protocol's reporting window (PROTOCOL.md §5).

    Every event from the first dose to ``ae_window_months`` after the last dose; any treatment-related
    event after that; any SOS within ``sos_window_months`` after the last inotuzumab dose.
    """
    if first_dose is None:
        return WindowVerdict(OUT_OF_WINDOW, "No study dose has been given yet.")
    if onset < first_dose:
        return WindowVerdict(OUT_OF_WINDOW, f"Onset before the first dose ({first_dose}).")
    end = last_dose + relativedelta(months=ae_window_months)
    if onset <= end:
        return WindowVerdict(
            IN_WINDOW, f"From the first dose ({first_dose}) to {ae_window_months} months after the last ({end})."
        )
    if is_sos and last_inotuzumab is not None:
        sos_end = last_inotuzumab + relativedelta(months=sos_window_months)
        if onset <= sos_end:
            return WindowVerdict(
                SOS_WINDOW, f"SOS up to {sos_window_months} months after the last inotuzumab dose ({sos_end})."
            )
    if related:
        return WindowVerdict(RELATED_AFTER_WINDOW, f"After {end}, but attributed to a study drug.")
    return WindowVerdict(
        OUT_OF_WINDOW, f"After {end}, {ae_window_months} months after the last dose, and not treatment-related."
    )


NOT_SERIOUS = "not_serious"
SAE_SUBMITTED = "submitted"
SAE_DUE = "due"
SAE_OVERDUE = "overdue"
SAE_LABELS = {
    NOT_SERIOUS: "Not serious",
    SAE_SUBMITTED: "Expedited report submitted",
    SAE_DUE: "Expedited report due",
    SAE_OVERDUE: "Expedited report overdue",
}


@dataclass(frozen=True)
class SAEClock:
    status: str
    due_at: datetime | None

    @property
    def label(self) -> str:
        return SAE_LABELS[self.status]


def sae_clock(
    *, serious: bool, aware_at: datetime | None, reported_at: datetime | None, now: datetime, due_hours: int
) -> SAEClock:
    """The expedited-report clock: due ``due_hours`` after the site became aware; submitted once reported."""
    if not serious or aware_at is None:
        return SAEClock(NOT_SERIOUS, None)
    due_at = aware_at + timedelta(hours=due_hours)
    if reported_at is not None:
        return SAEClock(SAE_SUBMITTED, due_at)
    return SAEClock(SAE_OVERDUE if now > due_at else SAE_DUE, due_at)
