"""Protocol-deviation rules (PROTOCOL.md §2–§5): each rule is its own function with an id and a test."""

from ..choices import RuleKind, Severity
from . import finding, rule


@rule("DEV-12", RuleKind.DEVIATION, "SAE report overdue", Severity.URGENT)
def sae_report_overdue(ctx):
    """A serious AE whose expedited report is past due (hours after awareness: protocol data)."""
    from datetime import timedelta

    hours = int(ctx.param("sae_report_due_hours"))
    found = []
    for ae in ctx.adverse_events:
        if not ae.serious or ae.sae_aware_at is None or ae.sae_reported_at is not None:
            continue
        due = ae.sae_aware_at + timedelta(hours=hours)
        if ctx.now > due:
            found.append(
                finding(
                    sae_report_overdue,
                    f"The expedited report of {ae.term.term} (grade {ae.grade}) was due {due:%Y-%m-%d %H:%M} UTC.",
                    key=f"ae{ae.pk}",
                    window_start=ae.onset_date,
                    evidence={
                        "adverse_event": ae.pk,
                        "aware_at": ae.sae_aware_at.isoformat(),
                        "due_at": due.isoformat(),
                    },
                )
            )
    return found


@rule("DEV-13", RuleKind.DEVIATION, "Study procedure before consent", Severity.WARNING)
def procedure_before_consent(ctx):
    """Any study procedure (eligibility assessment, course, marrow, lab) dated before the first consent."""
    consent = ctx.consents[0].consent_date if ctx.consents else None
    procedures = (
        [("eligibility assessment", a.assessed_on, f"elig{a.pk}") for a in ctx.assessments]
        + [(f"course {c.course_number}", c.start_date, f"course{c.pk}") for c in ctx.courses]
        + [("bone-marrow evaluation", m.assessed_on, f"marrow{m.pk}") for m in ctx.marrows]
    )
    found = []
    for name, when, key in procedures:
        if consent is None or when < consent:
            found.append(
                finding(
                    procedure_before_consent,
                    f"The {name} on {when} precedes the patient's consent"
                    + (f" ({consent})." if consent else " (no consent recorded)."),
                    key=key,
                    window_start=when,
                    evidence={"procedure": name, "date": str(when), "consent_date": str(consent) if consent else None},
                )
            )
    return found
