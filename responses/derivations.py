"""Response, relapse and endpoints: pure functions over plain values (no database).

The response definitions are protocol data (``trial.ResponseRule``), passed in as :class:`RuleSpec`.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from core.comparators import compare
from trial.choices import ResponseCategory

from .choices import CytogeneticsResult, MRDResult

RESPONDED = (ResponseCategory.CR, ResponseCategory.CRP, ResponseCategory.CRI)
RANK = {ResponseCategory.CR: 0, ResponseCategory.CRP: 1, ResponseCategory.CRI: 2, ResponseCategory.NO_RESPONSE: 3}
EARLY_DEATH = "early_death"
NOT_EVALUABLE = "not_evaluable"
BEST_RESPONSE_LABELS = {
    **dict(ResponseCategory.choices),
    EARLY_DEATH: "Early death",
    NOT_EVALUABLE: "Not yet assessed",
}
NO_RESPONSE_LABEL = "No response: no response definition is met"


@dataclass(frozen=True)
class RuleSpec:
    code: str
    category: str
    label: str
    marrow_blasts_max_percent: Decimal
    neutrophils_comparator: str = ""
    neutrophils_threshold: Decimal | None = None
    platelets_comparator: str = ""
    platelets_threshold: Decimal | None = None
    extramedullary_disease_allowed: bool = False
    source: str = "paper"

    @classmethod
    def from_model(cls, rule):
        return cls(
            rule.code,
            rule.category,
            rule.label,
            rule.marrow_blasts_max_percent,
            rule.neutrophils_comparator,
            rule.neutrophils_threshold,
            rule.platelets_comparator,
            rule.platelets_threshold,
            rule.extramedullary_disease_allowed,
            rule.source,
        )


def _holds(comparator: str, value: Decimal, threshold: Decimal | None) -> bool:
    """An empty comparator means "any value"."""
    return not comparator or compare(value, comparator, threshold)


def classify(
    rules: Sequence[RuleSpec], *, blasts: Decimal, neutrophils: Decimal, platelets: Decimal, extramedullary: bool
) -> tuple[str, RuleSpec | None]:
    """The response category of one evaluation and the rule that decided it (None: no response)."""
    for rule in rules:
        if extramedullary and not rule.extramedullary_disease_allowed:
            continue
        if (
            Decimal(blasts) <= rule.marrow_blasts_max_percent
            and _holds(rule.neutrophils_comparator, Decimal(neutrophils), rule.neutrophils_threshold)
            and _holds(rule.platelets_comparator, Decimal(platelets), rule.platelets_threshold)
        ):
            return rule.category, rule
    return ResponseCategory.NO_RESPONSE, None


@dataclass(frozen=True)
class Evaluation:
    """One bone-marrow evaluation as the derivations need it."""

    assessed_on: date
    blasts: Decimal
    neutrophils: Decimal
    platelets: Decimal
    extramedullary: bool = False
    blasts_due_to_recovery: bool = False
    mrd_flow: str = MRDResult.NOT_DONE
    cytogenetics: str = CytogeneticsResult.NOT_DONE
    key: object = None  # the caller's id for the evaluation


@dataclass(frozen=True)
class Outcome:
    """An evaluation with its derived response and whether it is the (first) relapse."""

    evaluation: Evaluation
    category: str
    rule: RuleSpec | None
    relapse: bool

    @property
    def responded(self) -> bool:
        return self.category in RESPONDED

    @property
    def label(self) -> str:
        if self.relapse:
            return "Relapse"
        return self.rule.label if self.rule else NO_RESPONSE_LABEL


def is_relapse(evaluation: Evaluation, relapse_blasts_above: Decimal) -> bool:
    """> threshold blasts not due to recovery, or extramedullary disease (judged only after a response)."""
    leukaemic_blasts = evaluation.blasts > relapse_blasts_above and not evaluation.blasts_due_to_recovery
    return leukaemic_blasts or evaluation.extramedullary


def outcomes(
    evaluations: Iterable[Evaluation], rules: Sequence[RuleSpec], relapse_blasts_above: Decimal
) -> list[Outcome]:
    """Each evaluation (by date) with its response; the first relapse after a response is marked."""
    result = []
    responded = relapsed = False
    for evaluation in sorted(evaluations, key=lambda e: e.assessed_on):
        category, rule = classify(
            rules,
            blasts=evaluation.blasts,
            neutrophils=evaluation.neutrophils,
            platelets=evaluation.platelets,
            extramedullary=evaluation.extramedullary,
        )
        relapse = responded and not relapsed and is_relapse(evaluation, relapse_blasts_above)
        relapsed = relapsed or relapse
        responded = responded or category in RESPONDED
        result.append(Outcome(evaluation, category, rule, relapse))
    return result


def best_response(history: Sequence[Outcome]) -> str | None:
    """The best category over all evaluations (CR > CRp > CRi > no response); None before any evaluation."""
    if not history:
        return None
    return min((o.category for o in history), key=RANK.__getitem__)


@dataclass(frozen=True)
class Endpoints:
    """What the trial is judged on, for one patient. Times are days; events are True/False."""

    treatment_start: date | None
    best_response: str  # a ResponseCategory value, EARLY_DEATH or NOT_EVALUABLE
    responded: bool
    first_response_date: date | None
    time_to_response_days: int | None
    mrd_negative_at_response: bool | None
    mrd_negative_any_time: bool | None
    cytogenetic_response: bool | None
    relapse_date: date | None
    death_date: date | None
    early_death: bool
    last_known_alive: date | None
    os_days: int | None
    os_event: bool
    rfs_days: int | None
    rfs_event: bool | None

    @property
    def best_response_label(self) -> str:
        return BEST_RESPONSE_LABELS[self.best_response]


def endpoints(
    *,
    treatment_start: date | None,
    history: Sequence[Outcome],
    death_date: date | None,
    last_contact: date | None,
    early_death_days: int,
    abnormal_karyotype: bool | None,
) -> Endpoints:
    """OS from treatment start to death (censored at the last date known alive); RFS from the first
    response to relapse or death; early death = death within ``early_death_days`` of the start."""
    responses = [o for o in history if o.responded]
    first_response = responses[0] if responses else None
    relapse = next((o for o in history if o.relapse), None)
    best = best_response(history)
    early = bool(death_date and treatment_start and (death_date - treatment_start).days <= early_death_days)
    if best in RESPONDED:
        category = best
    elif early:
        category = EARLY_DEATH
    else:
        category = best or NOT_EVALUABLE
    last_alive = death_date or last_contact
    os_days = (last_alive - treatment_start).days if (treatment_start and last_alive) else None
    rfs_days = rfs_event = None
    if first_response is not None:
        start = first_response.evaluation.assessed_on
        if relapse is not None:
            rfs_days, rfs_event = (relapse.evaluation.assessed_on - start).days, True
        elif death_date is not None:
            rfs_days, rfs_event = (death_date - start).days, True
        elif last_alive is not None:
            rfs_days, rfs_event = (last_alive - start).days, False
    mrd_results = [o.evaluation.mrd_flow for o in history if o.evaluation.mrd_flow != MRDResult.NOT_DONE]
    at_response = first_response.evaluation.mrd_flow if first_response else MRDResult.NOT_DONE
    cyto_results = [
        o.evaluation.cytogenetics for o in history if o.evaluation.cytogenetics != CytogeneticsResult.NOT_DONE
    ]
    return Endpoints(
        treatment_start=treatment_start,
        best_response=category,
        responded=first_response is not None,
        first_response_date=first_response.evaluation.assessed_on if first_response else None,
        time_to_response_days=(
            (first_response.evaluation.assessed_on - treatment_start).days
            if first_response and treatment_start
            else None
        ),
        mrd_negative_at_response=None if at_response == MRDResult.NOT_DONE else at_response == MRDResult.NOT_DETECTED,
        mrd_negative_any_time=(MRDResult.NOT_DETECTED in mrd_results) if mrd_results else None,
        cytogenetic_response=(
            (CytogeneticsResult.NORMALISED in cyto_results) if abnormal_karyotype and cyto_results else None
        ),
        relapse_date=relapse.evaluation.assessed_on if relapse else None,
        death_date=death_date,
        early_death=early,
        last_known_alive=last_alive,
        os_days=os_days,
        os_event=death_date is not None,
        rfs_days=rfs_days,
        rfs_event=rfs_event,
    )


# --- Bone-marrow evaluations due (protocol §4 schedule) -----------------------------------------------------
# One definition of due and overdue, read by the "Marrow due" list and by the deviation rule DEV-11.

NOT_YET_DUE, DUE, OVERDUE, DONE, DONE_LATE, NOT_EXPECTED = (
    "not_yet_due",
    "due",
    "overdue",
    "done",
    "done_late",
    "not_expected",
)
AFTER_COURSE_1, EVERY_COURSES, MAINTENANCE = "after_course_1", "every_courses", "maintenance"
# The protocol parameters the schedule reads (ProtocolParameter keys).
SCHEDULE_PARAMETERS = {
    "after_course_1_days": "assessment_after_course_1_days",
    "after_course_1_grace_days": "assessment_after_course_1_grace_days",
    "every_courses_min": "assessment_every_courses_min",
    "every_courses_max": "assessment_every_courses_max",
    "maintenance_months_min": "assessment_maintenance_months_min",
    "maintenance_months_max": "assessment_maintenance_months_max",
}


@dataclass(frozen=True)
class AssessmentSchedule:
    """The version's marrow schedule: first evaluation ``after_course_1_days`` after course 1 started (overdue, a
    deviation, when still missing ``after_course_1_grace_days`` later); then every ``every_courses_min`` …
    ``every_courses_max`` courses; in maintenance every ``maintenance_months_min`` … ``maintenance_months_max``."""

    after_course_1_days: int
    after_course_1_grace_days: int
    every_courses_min: int
    every_courses_max: int
    maintenance_months_min: int
    maintenance_months_max: int

    @classmethod
    def from_parameters(cls, parameter) -> "AssessmentSchedule":
        """``parameter(key)`` gives a protocol parameter's value (``ctx.param``, ``readings.parameter``…)."""
        return cls(**{name: int(parameter(key)) for name, key in SCHEDULE_PARAMETERS.items()})


@dataclass(frozen=True)
class CourseStart:
    start_date: date
    maintenance: bool = False


@dataclass(frozen=True)
class AssessmentExpectation:
    """One expected marrow evaluation. ``due_on``: the first day it is due; ``overdue_from``: the first day it is
    overdue (None while that depends on a course not yet started); ``done_on``: the evaluation that met it."""

    kind: str  # AFTER_COURSE_1, EVERY_COURSES, MAINTENANCE
    reason: str
    state: str  # NOT_YET_DUE, DUE, OVERDUE, DONE, DONE_LATE, NOT_EXPECTED
    due_on: date | None
    overdue_from: date | None
    done_on: date | None = None
    overdue_with_course: int | None = None  # while ``overdue_from`` is unknown: the course (1, 2, …) that starts it

    @property
    def listed(self) -> bool:
        """On the "Marrow due" list: due or overdue and not done."""
        return self.state in (DUE, OVERDUE)

    @property
    def deviation(self) -> bool:
        """Overdue, or done only once it was overdue (a late evaluation does not undo the deviation)."""
        return self.state in (OVERDUE, DONE_LATE)

    @property
    def last_day_in_time(self) -> date | None:
        return self.overdue_from - timedelta(days=1) if self.overdue_from else None


def _expected(kind, reason, due_on, overdue_from, *, today, ended_on) -> AssessmentExpectation:
    """An evaluation not yet done: not expected of a patient who ended before it was overdue; else overdue from
    ``overdue_from``, due from ``due_on``, not yet due before."""
    if ended_on is not None and (overdue_from is None or ended_on < overdue_from):
        state = NOT_EXPECTED
    elif overdue_from is not None and today >= overdue_from:
        state = OVERDUE
    elif due_on is not None and today >= due_on:
        state = DUE
    else:
        state = NOT_YET_DUE
    return AssessmentExpectation(kind, reason, state, due_on, overdue_from)


def assessment_expectations(
    *,
    courses: Sequence[CourseStart],
    marrows: Iterable[date],
    schedule: AssessmentSchedule,
    today: date,
    ended_on: date | None = None,
) -> list[AssessmentExpectation]:
    """The marrow evaluations expected of one patient on ``today``, from their course starts (in order), marrow
    dates and the date they died or came off study (``ended_on``, the earlier of the two).

    First, the evaluation after course 1: met by a marrow after course 1's start; due from start +
    ``after_course_1_days``, overdue from the day after start + days + grace (start 3 Jan, 28 + 14 days: due 31 Jan,
    overdue 15 Feb); not expected of a patient who ended before it was overdue. Until it is met nothing else is
    expected. Then, from the latest marrow: in maintenance (the latest course), due ``maintenance_months_min`` months
    after it and overdue the day after ``maintenance_months_max`` months; otherwise due when ``every_courses_min``
    courses have started since it (from the start of the last of them) and overdue when more than
    ``every_courses_max`` have (from the start of the next one). Records dated after ``today`` are not yet known."""
    courses = [c for c in courses if c.start_date <= today]
    if not courses:
        return []
    ended_on = ended_on if ended_on is not None and ended_on <= today else None
    marrows = sorted(m for m in marrows if m <= today)
    start = courses[0].start_date
    due_on = start + timedelta(days=schedule.after_course_1_days)
    overdue_from = due_on + timedelta(days=schedule.after_course_1_grace_days + 1)
    first = next((m for m in marrows if m > start), None)
    reason = "First evaluation after course 1"
    if first is None:
        return [_expected(AFTER_COURSE_1, reason, due_on, overdue_from, today=today, ended_on=ended_on)]
    state = DONE if first < overdue_from else DONE_LATE
    found = [AssessmentExpectation(AFTER_COURSE_1, reason, state, due_on, overdue_from, first)]
    last = marrows[-1]
    if courses[-1].maintenance:
        due_on = last + relativedelta(months=schedule.maintenance_months_min)
        overdue_from = last + relativedelta(months=schedule.maintenance_months_max) + timedelta(days=1)
        reason = (
            f"Maintenance: {schedule.maintenance_months_min}–{schedule.maintenance_months_max} months since the "
            "last evaluation"
        )
        found.append(_expected(MAINTENANCE, reason, due_on, overdue_from, today=today, ended_on=ended_on))
        return found
    since = [c for c in courses if c.start_date > last]
    due_on = since[schedule.every_courses_min - 1].start_date if len(since) >= schedule.every_courses_min else None
    overdue_from = since[schedule.every_courses_max].start_date if len(since) > schedule.every_courses_max else None
    count = f"{len(since)} course{'s' if len(since) != 1 else ''}"
    reason = f"{count} since the last evaluation (due every {schedule.every_courses_min}–{schedule.every_courses_max})"
    expectation = _expected(EVERY_COURSES, reason, due_on, overdue_from, today=today, ended_on=ended_on)
    if overdue_from is None:
        expectation = replace(
            expectation, overdue_with_course=len(courses) - len(since) + schedule.every_courses_max + 1
        )
    found.append(expectation)
    return found
