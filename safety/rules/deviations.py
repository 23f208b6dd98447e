"""Protocol-deviation rules (PROTOCOL.md §2–§5): each rule is its own function with an id and a test."""

from datetime import timedelta

from core.formatting import plain_number
from dosing.choices import AdministrationStatus
from dosing.derivations.calendar import is_recorded_one_by_one
from dosing.derivations.doses import DOSE_TOLERANCE_PARAMETER, given_per_m2, percent_off_plan, round_per_m2
from dosing.derivations.windows import dose_window, missed_from
from patients.derivations.eligibility import NOT_MET, CriterionSpec, evaluate
from patients.selectors.eligibility import ASSESSMENT_VALUE_FIELDS, CONSENT_DATE
from responses.derivations import AFTER_COURSE_1, AssessmentSchedule, assessment_expectations
from responses.selectors import course_starts
from trial.choices import CoursePhase, Route
from trial.derivations import regimen_item_applies

from ..choices import RuleKind, Severity
from . import finding, rule


@rule("DEV-12", RuleKind.DEVIATION, "SAE report overdue", Severity.URGENT)
def sae_report_overdue(ctx):
    """A serious AE whose expedited report is past due (hours after awareness: protocol data)."""
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


# --- Issue 7: protocol deviations of registration, dosing, schedule and assessments ---------------------------

# The patient value the rituximab items of the regimen data depend on (their ``condition_field``).
CD20_FIELD = "cd20_percent"
# PROTOCOL.md §3.4: "never intrathecal methotrexate on the same day as systemic methotrexate".
SAME_DAY_IT_AND_SYSTEMIC_DRUGS = ("methotrexate",)
INTRATHECAL_ROUTES = (Route.IT, Route.OMMAYA)
# How many days after its window closes an unrecorded planned dose becomes a missed-dose deviation (DEV-14).
MISSED_DOSE_GRACE_PARAMETER = "missed_dose_grace_days"
SYSTEMIC_ROUTES = (Route.IV, Route.CIV)


def _unit(administration) -> str:
    """The planned dose's unit as users read it (µg/day, not ug/day)."""
    return administration.get_dose_unit_display()


def _route(administration) -> str:
    return administration.route_given or administration.route


def _relative(day, anchor) -> str:
    """Where ``day`` lies from ``anchor`` in words: the day of, 1 day before, 2 days after."""
    days = (day - anchor).days
    if days == 0:
        return "the day of"
    return f"{abs(days)} day{'s' if abs(days) != 1 else ''} {'before' if days < 0 else 'after'}"


def _given_doses(ctx):
    return [a for a in ctx.given() if ctx.given_on(a) is not None]


@rule("DEV-01", RuleKind.DEVIATION, "Registered without meeting eligibility", Severity.WARNING)
def registered_not_eligible(ctx):
    """Registered under a waiver, without an eligibility assessment on or before the registration date, or
    with the latest such assessment not meeting every criterion of its protocol version (evaluated here from
    the recorded values and the consent dates, with the pure evaluator of :mod:`patients.eligibility`)."""
    patient = ctx.patient
    registered = patient.registration_date
    if registered is None:
        return []
    before = [a for a in ctx.assessments if a.assessed_on <= registered]
    latest = max(before, key=lambda a: (a.assessed_on, a.pk)) if before else None
    reasons, failed = [], []
    if patient.registered_with_waiver:
        reasons.append("registered under a signed eligibility waiver")
    if latest is None:
        reasons.append(f"no eligibility assessment is recorded on or before the registration date ({registered})")
    else:
        values = {name: getattr(latest, name) for name in ASSESSMENT_VALUE_FIELDS}
        consents = [c.consent_date for c in ctx.consents if c.consent_date <= latest.assessed_on]
        values[CONSENT_DATE] = max(consents) if consents else None
        criteria = [CriterionSpec.from_model(c) for c in latest.protocol_version.eligibility_criteria.all()]
        failed = [r for r in evaluate(criteria, values) if not r.met]
        if failed:
            listed = "; ".join(
                f"{r.criterion.text} ({'not met' if r.status == NOT_MET else 'missing'})" for r in failed
            )
            reasons.append(f"the assessment of {latest.assessed_on} does not meet: {listed}")
    if not reasons:
        return []
    return [
        finding(
            registered_not_eligible,
            f"Registered on {registered}: " + "; ".join(reasons) + ".",
            key="registration",
            window_start=registered,
            evidence={
                "registration_date": str(registered),
                "registered_with_waiver": patient.registered_with_waiver,
                "assessment": latest.pk if latest else None,
                "criteria_not_met": [r.criterion.code for r in failed],
            },
        )
    ]


@rule("DEV-02", RuleKind.DEVIATION, "Dose differs from plan without a recorded reduction", Severity.WARNING)
def dose_off_plan(ctx):
    """A given dose more than ``dose_deviation_tolerance_percent`` away from its planned dose, with no
    recorded dose reduction (``reduction_percent`` empty)."""
    tolerance = ctx.param(DOSE_TOLERANCE_PARAMETER)
    found = []
    for a in _given_doses(ctx):
        off = percent_off_plan(
            planned_dose=a.planned_dose,
            dose_given=a.dose_given,
            reduction_percent=a.reduction_percent,
            tolerance_percent=tolerance,
        )
        if off is None:
            continue
        found.append(
            finding(
                dose_off_plan,
                f"{a.drug.name} day {a.day} of course {a.course.course_number}: {plain_number(a.dose_given)} "
                f"{_unit(a)} given instead of {plain_number(a.planned_dose)} {_unit(a)} "
                f"({plain_number(round(off, 1))}% off plan, more than {plain_number(tolerance)}%) "
                "with no dose reduction recorded.",
                key=f"adm{a.pk}",
                window_start=ctx.given_on(a),
                evidence={
                    "administration": a.pk,
                    "planned_dose": str(a.planned_dose),
                    "dose_given": str(a.dose_given),
                    "percent_off": str(round(off, 2)),
                    "tolerance_percent": str(tolerance),
                    "reason": a.deviation_reason,
                },
            )
        )
    return found


@rule("DEV-03", RuleKind.DEVIATION, "Cumulative dose above the protocol maximum", Severity.WARNING)
def cumulative_over_maximum(ctx):
    """Cumulative per-m² dose of a tracked drug (one whose ``cumulative_limit_parameter`` names the version's
    maximum, e.g. inotuzumab) above that maximum — a deviation even when a signed override allowed the dose."""
    by_drug = {}
    for a in _given_doses(ctx):
        if a.drug.cumulative_limit_parameter and a.dose_given is not None:
            by_drug.setdefault(a.drug.code, []).append(a)
    found = []
    for doses in by_drug.values():
        drug = doses[0].drug
        maximum = ctx.param(drug.cumulative_limit_parameter)
        total, crossed = 0, None
        for a in sorted(doses, key=lambda a: (a.given_at, a.pk)):
            total += given_per_m2(
                dose_given=a.dose_given, planned_dose=a.planned_dose, dose_per_m2=a.dose_per_m2, bsa=a.course.bsa_m2
            )
            if crossed is None and total > maximum:
                crossed = a
        if crossed is None:
            continue
        unit = ((crossed.regimen_item.dose_unit if crossed.regimen_item else "") or "").split("/")[0] or "mg"
        found.append(
            finding(
                cumulative_over_maximum,
                f"Cumulative {drug.name.lower()} is {plain_number(round_per_m2(total))} {unit}/m², above the protocol "
                f"maximum of {plain_number(maximum)} {unit}/m² (exceeded on {ctx.given_on(crossed)}).",
                key=f"drug-{drug.code}",
                window_start=ctx.given_on(crossed),
                evidence={
                    "drug": drug.code,
                    "cumulative_per_m2": str(round_per_m2(total)),
                    "maximum_per_m2": str(maximum),
                    "administration_exceeding": crossed.pk,
                },
            )
        )
    return found


@rule("DEV-04", RuleKind.DEVIATION, "Course started too early", Severity.WARNING)
def course_too_early(ctx):
    """A course started sooner after the previous course than that course type's ``min_interval_days``."""
    found = []
    for previous, course in zip(ctx.courses, ctx.courses[1:], strict=False):
        minimum = previous.course_type.min_interval_days
        interval = (course.start_date - previous.start_date).days
        if interval >= minimum:
            continue
        found.append(
            finding(
                course_too_early,
                f"Course {course.course_number} started on {course.start_date}, {interval} days after course "
                f"{previous.course_number} ({previous.start_date}); the protocol allows no sooner than "
                f"{minimum} days.",
                key=f"course{course.pk}",
                window_start=course.start_date,
                evidence={
                    "course": course.pk,
                    "previous_course": previous.pk,
                    "interval_days": interval,
                    "min_interval_days": minimum,
                },
            )
        )
    return found


@rule("DEV-05", RuleKind.DEVIATION, "Dose given outside its day window", Severity.WARNING)
def dose_outside_window(ctx):
    """A given dose outside ``planned_date − window_before_days`` … ``planned_date + window_after_days``
    (:func:`dosing.derivations.windows.dose_window`); a dose with no window (both 0) must be given on its planned
    day exactly."""
    found = []
    for a in _given_doses(ctx):
        window = dose_window(a.planned_date, a.window_before_days, a.window_after_days)
        earliest, latest = window.earliest, window.latest
        given = ctx.given_on(a)
        if given in window:
            continue
        found.append(
            finding(
                dose_outside_window,
                f"{a.drug.name} ({_route(a)}) of course {a.course.course_number}, planned on day {a.day} "
                f"({a.planned_date}), was given on {given}: outside {earliest} – {latest}.",
                key=f"adm{a.pk}",
                window_start=earliest,
                window_end=latest,
                evidence={
                    "administration": a.pk,
                    "planned_date": str(a.planned_date),
                    "given_on": str(given),
                    "window_before_days": a.window_before_days,
                    "window_after_days": a.window_after_days,
                },
            )
        )
    return found


@rule("DEV-06", RuleKind.DEVIATION, "Regimen of another protocol version", Severity.WARNING)
def wrong_version_regimen(ctx):
    """A course whose course type (and so its regimen) belongs to another protocol version than the patient's."""
    found = []
    for course in ctx.courses:
        version = course.course_type.protocol_version
        if version.pk == ctx.patient.protocol_version_id:
            continue
        found.append(
            finding(
                wrong_version_regimen,
                f"Course {course.course_number} ({course.start_date}) follows the {course.course_type.name} "
                f"regimen of protocol version {version.code}; the patient is on {ctx.version_code}.",
                key=f"course{course.pk}",
                window_start=course.start_date,
                evidence={
                    "course": course.pk,
                    "course_type": course.course_type.code,
                    "course_version": version.code,
                    "patient_version": ctx.version_code,
                },
            )
        )
    return found


@rule("DEV-07", RuleKind.DEVIATION, "Rituximab against the CD20 rule", Severity.WARNING)
def rituximab_against_cd20(ctx):
    """Rituximab (the drugs of the regimen items conditional on CD20) given while CD20 is below
    ``rituximab_cd20_min_percent``; or a course those items apply to, started with CD20 at or above it,
    with none of that drug planned or given."""
    threshold = ctx.param("rituximab_cd20_min_percent")
    baseline = ctx.baseline
    cd20 = baseline.cd20_percent if baseline is not None else None
    items = [i for i in ctx.regimen_items if i.condition_field == CD20_FIELD]
    drugs = {i.drug_id for i in items}
    shown = "not recorded" if cd20 is None else f"{plain_number(cd20)}%"
    found = []
    if cd20 is None or cd20 < threshold:
        for a in _given_doses(ctx):
            if a.drug_id not in drugs:
                continue
            found.append(
                finding(
                    rituximab_against_cd20,
                    f"{a.drug.name} was given on {ctx.given_on(a)} (course {a.course.course_number}, day {a.day}) "
                    f"with CD20 {shown}; the protocol gives it only with CD20 ≥ {plain_number(threshold)}%.",
                    key=f"adm{a.pk}",
                    window_start=ctx.given_on(a),
                    evidence={
                        "administration": a.pk,
                        "cd20_percent": None if cd20 is None else str(cd20),
                        "threshold": str(threshold),
                    },
                )
            )
        return found
    planned = {(a.course_id, a.drug_id) for a in ctx.administrations}
    for course in ctx.courses:
        missing = {}
        for item in items:
            if item.course_type_id != course.course_type_id or (course.pk, item.drug_id) in planned:
                continue
            applies = regimen_item_applies(
                item,
                course_number=course.sequence_step,
                type_ordinal=course.type_ordinal,
                patient_values={CD20_FIELD: cd20},
                course_start_date=course.start_date,
                dose_level=course.inotuzumab_dose_level or None,
            )
            if applies:
                missing.setdefault(item.drug_id, item.drug)
        for drug in missing.values():
            found.append(
                finding(
                    rituximab_against_cd20,
                    f"Course {course.course_number} ({course.start_date}) has no {drug.name.lower()} planned or "
                    f"given although CD20 is {shown} (≥ {plain_number(threshold)}%).",
                    key=f"course{course.pk}-{drug.code}",
                    window_start=course.start_date,
                    evidence={
                        "course": course.pk,
                        "drug": drug.code,
                        "cd20_percent": str(cd20),
                        "threshold": str(threshold),
                    },
                )
            )
    return found


@rule("DEV-08", RuleKind.DEVIATION, "Drug given on a hold day", Severity.WARNING)
def given_on_hold_day(ctx):
    """A drug of a hold rule's class (e.g. an azole) given within ``days_before`` … ``days_after`` of a given
    dose of the rule's anchor drug (e.g. vincristine), from the version's hold-rule data."""
    given = _given_doses(ctx)
    found = []
    for hold in ctx.hold_rules:
        anchors = sorted({ctx.given_on(a) for a in given if a.drug_id == hold.anchor_drug_id})
        for a in given:
            if a.drug.drug_class != hold.held_drug_class:
                continue
            day = ctx.given_on(a)
            anchor = next(
                (
                    d
                    for d in anchors
                    if d - timedelta(days=hold.days_before) <= day <= d + timedelta(days=hold.days_after)
                ),
                None,
            )
            if anchor is None:
                continue
            found.append(
                finding(
                    given_on_hold_day,
                    f"{a.drug.name} ({hold.held_drug_class}) was given on {day}, {_relative(day, anchor)} "
                    f"{hold.anchor_drug.name.lower()} ({anchor}); the protocol holds it from day "
                    f"−{hold.days_before} to day +{hold.days_after} of each {hold.anchor_drug.name.lower()} dose.",
                    key=f"adm{a.pk}-{hold.code}",
                    window_start=anchor - timedelta(days=hold.days_before),
                    window_end=anchor + timedelta(days=hold.days_after),
                    evidence={
                        "administration": a.pk,
                        "hold_rule": hold.code,
                        "given_on": str(day),
                        "anchor_given_on": str(anchor),
                    },
                )
            )
    return found


@rule("DEV-09", RuleKind.DEVIATION, "Intrathecal and systemic methotrexate on the same day", Severity.WARNING)
def intrathecal_with_systemic(ctx):
    """Intrathecal methotrexate (IT or Ommaya) given on the same date as systemic (intravenous) methotrexate."""
    given = _given_doses(ctx)
    found = []
    for code in SAME_DAY_IT_AND_SYSTEMIC_DRUGS:
        systemic = {ctx.given_on(a) for a in given if a.drug.code == code and _route(a) in SYSTEMIC_ROUTES}
        for a in given:
            if a.drug.code != code or _route(a) not in INTRATHECAL_ROUTES or ctx.given_on(a) not in systemic:
                continue
            found.append(
                finding(
                    intrathecal_with_systemic,
                    f"{a.drug.name} {_route(a)} (course {a.course.course_number}, day {a.day}) was given on "
                    f"{ctx.given_on(a)}, the same day as systemic {a.drug.name.lower()}.",
                    key=f"adm{a.pk}",
                    window_start=ctx.given_on(a),
                    evidence={"administration": a.pk, "given_on": str(ctx.given_on(a)), "route": _route(a)},
                )
            )
    return found


@rule("DEV-10", RuleKind.DEVIATION, "First blinatumomab course not started at the step-up dose", Severity.WARNING)
def blinatumomab_no_step_up(ctx):
    """In the patient's first blinatumomab-phase course, a day-1 dose given at an amount other than its
    planned day-1 dose (the step-up dose of the regimen data, e.g. 9 µg/day)."""
    first = next((c for c in ctx.courses if c.course_type.phase == CoursePhase.BLINATUMOMAB), None)
    if first is None:
        return []
    found = []
    for a in _given_doses(ctx):
        if a.course_id != first.pk or a.day != 1 or a.planned_dose is None or a.dose_given == a.planned_dose:
            continue
        found.append(
            finding(
                blinatumomab_no_step_up,
                f"Course {first.course_number}, the first {first.course_type.name.lower()} course, started with "
                f"{a.drug.name.lower()} {plain_number(a.dose_given)} {_unit(a)} instead of the step-up dose "
                f"{plain_number(a.planned_dose)} {_unit(a)}.",
                key=f"course{first.pk}-adm{a.pk}",
                window_start=ctx.given_on(a),
                evidence={
                    "course": first.pk,
                    "administration": a.pk,
                    "planned_dose": str(a.planned_dose),
                    "dose_given": str(a.dose_given),
                },
            )
        )
    return found


@rule("DEV-11", RuleKind.DEVIATION, "No bone-marrow evaluation after course 1", Severity.WARNING)
def first_marrow_missing(ctx):
    """The first bone-marrow evaluation after course 1 overdue: none after course 1 started by
    ``assessment_after_course_1_days`` + ``assessment_after_course_1_grace_days`` after it, once that day has passed
    (not for a patient who died or came off study by then). A marrow done later does not undo the deviation. Due and
    overdue are :func:`responses.derivations.assessment_expectations`, the definition of the "Marrow due" list."""
    expectations = assessment_expectations(
        courses=course_starts(ctx.courses),
        marrows=[m.assessed_on for m in ctx.marrows],
        schedule=AssessmentSchedule.from_parameters(ctx.param),
        today=ctx.today,
        ended_on=_ended_on(ctx),
    )
    first = next((e for e in expectations if e.kind == AFTER_COURSE_1), None)
    if first is None or not first.deviation:
        return []
    start, by = ctx.courses[0].start_date, first.last_day_in_time
    late = f" (the first was on {first.done_on})" if first.done_on else ""
    return [
        finding(
            first_marrow_missing,
            f"No bone-marrow evaluation is recorded after course 1 (started {start}) by {by}{late}.",
            key="after-course-1",
            window_start=start,
            window_end=by,
            evidence={
                "course_1_start": str(start),
                "due_on": str(first.due_on),
                "due_by": str(by),
                "done_on": str(first.done_on) if first.done_on else None,
            },
        )
    ]


def _ended_on(ctx):
    """The day the patient died or came off study (the earlier), or None."""
    ended = [
        getattr(getattr(ctx.patient, "death", None), "death_date", None),
        getattr(getattr(ctx.patient, "off_study", None), "off_study_date", None),
    ]
    ended = [d for d in ended if d is not None]
    return min(ended) if ended else None


@rule("DEV-14", RuleKind.DEVIATION, "Planned dose not recorded (missed)", Severity.WARNING)
def dose_missed(ctx):
    """A planned dose still not recorded as given, held or omitted ``missed_dose_grace_days`` after the last day of
    its window (:func:`dosing.derivations.windows.dose_window`, as DEV-05 judges it; a dose with no window: its
    planned day). Not for doses given as clinically indicated (not recorded one by one), nor for a patient who died
    or came off study on or before that last day. Recording the dose resolves the flag."""
    grace = int(ctx.param(MISSED_DOSE_GRACE_PARAMETER))
    ended = _ended_on(ctx)
    found = []
    for a in ctx.administrations:
        if a.status != AdministrationStatus.PENDING or not is_recorded_one_by_one(a):
            continue
        window = dose_window(a.planned_date, a.window_before_days, a.window_after_days)
        missed = missed_from(window.latest, grace)
        if ctx.today < missed or (ended is not None and ended <= window.latest):
            continue
        found.append(
            finding(
                dose_missed,
                f"{a.drug.name} ({_route(a)}) of course {a.course.course_number}, day {a.day}, planned on "
                f"{a.planned_date}, is not recorded as given, held or omitted: missed since {missed} "
                f"(window to {window.latest}, then {grace} day{'s' if grace != 1 else ''} to record it).",
                key=f"adm{a.pk}",
                window_start=window.earliest,
                window_end=window.latest,
                evidence={
                    "administration": a.pk,
                    "drug": a.drug.code,
                    "course_number": a.course.course_number,
                    "day": a.day,
                    "planned_date": str(a.planned_date),
                    "window_end": str(window.latest),
                    "grace_days": grace,
                    "missed_from": str(missed),
                },
            )
        )
    return found
