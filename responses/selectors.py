"""Reads of the responses app: each patient's derived response history and endpoints.

:func:`patient_endpoints` is the one place endpoints are computed; dashboards, exports and pages
share it. It reads a whole list of patients in a fixed number of queries.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Max, Min, Prefetch, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from core.formatting import plain_number
from dosing.models import Course
from patients.choices import KaryotypeGroup, PatientStatus, TransplantStatus, VitalStatus
from patients.models import Baseline, Death, FollowUp, OffStudy, Patient, Transplant
from trial.choices import CoursePhase, DataSource, ResponseCategory
from trial.models import ProtocolParameter, ResponseRule

from .derivations import (
    NO_RESPONSE_LABEL,
    OVERDUE,
    AssessmentExpectation,
    AssessmentSchedule,
    CourseStart,
    Endpoints,
    Evaluation,
    Outcome,
    RuleSpec,
    assessment_expectations,
    endpoints,
    is_relapse,
    outcomes,
)
from .models import MarrowAssessment

NORMAL_OR_UNINFORMATIVE_KARYOTYPES = {KaryotypeGroup.DIPLOID, KaryotypeGroup.INSUFFICIENT, ""}
RELAPSE_KEY = "relapse_bone_marrow_blasts_above_percent"
EARLY_DEATH_KEY = "early_death_days"


class ProtocolReadings:
    """Response rules and parameters of each protocol version, read once for a whole list of patients."""

    def __init__(self):
        self._rules: dict[int, list[RuleSpec]] = {}
        self._parameters: dict[int, dict[str, object]] = {}

    def rules(self, version_id: int) -> list[RuleSpec]:
        if not self._rules:
            for rule in ResponseRule.objects.order_by("protocol_version_id", "order"):
                self._rules.setdefault(rule.protocol_version_id, []).append(RuleSpec.from_model(rule))
        return self._rules.get(version_id, [])

    def parameter(self, version_id: int, key: str):
        if not self._parameters:
            for p in ProtocolParameter.objects.all():
                self._parameters.setdefault(p.protocol_version_id, {})[p.key] = p.value
        return self._parameters[version_id][key]


def evaluation_of(assessment: MarrowAssessment) -> Evaluation:
    return Evaluation(
        assessed_on=assessment.assessed_on,
        blasts=assessment.marrow_blast_percent,
        neutrophils=assessment.neutrophils_1e9_per_l,
        platelets=assessment.platelets_1e9_per_l,
        extramedullary=assessment.extramedullary_disease,
        blasts_due_to_recovery=assessment.blasts_due_to_recovery,
        mrd_flow=assessment.mrd_flow,
        cytogenetics=assessment.cytogenetics,
        key=assessment.pk,
    )


def history_of(patient: Patient, readings: ProtocolReadings | None = None) -> list[Outcome]:
    """The patient's evaluations by date, each with its derived response and relapse mark.

    Uses ``patient.marrow_assessments`` (prefetched by the list selectors)."""
    readings = readings or ProtocolReadings()
    version_id = patient.protocol_version_id
    if version_id is None:
        return []
    return outcomes(
        [evaluation_of(a) for a in patient.marrow_assessments.all()],
        readings.rules(version_id),
        readings.parameter(version_id, RELAPSE_KEY),
    )


def preview_response(patient: Patient, *, blasts, neutrophils, platelets, extramedullary) -> Outcome | None:
    """The response a set of typed values would get for this patient (for the live form)."""
    from .derivations import classify

    if patient.protocol_version_id is None:
        return None
    readings = ProtocolReadings()
    category, rule = classify(
        readings.rules(patient.protocol_version_id),
        blasts=blasts,
        neutrophils=neutrophils,
        platelets=platelets,
        extramedullary=extramedullary,
    )
    evaluation = Evaluation(timezone.localdate(), blasts, neutrophils, platelets, extramedullary)
    return Outcome(evaluation, category, rule, relapse=False)


def _patients_with_outcomes(queryset, cutoff: date | None = None):
    """The registered patients of ``queryset`` with what their endpoints read; with ``cutoff``, only the patients
    registered by then and, of their records, the courses, evaluations, follow-ups and transplants dated on or
    before it."""

    def by_cutoff(field: str) -> dict:
        return {} if cutoff is None else {f"{field}__lte": cutoff}

    courses = Q(**by_cutoff("courses__start_date"))
    return (
        queryset.filter(protocol_version__isnull=False, **by_cutoff("registration_date"))
        .order_by("sequence_number")
        .select_related("protocol_version", "death", "baseline", "site")
        .prefetch_related(
            Prefetch(
                "marrow_assessments",
                queryset=MarrowAssessment.objects.filter(**by_cutoff("assessed_on")).order_by("assessed_on", "id"),
            ),
            Prefetch(
                "follow_ups",
                queryset=FollowUp.objects.filter(vital_status=VitalStatus.ALIVE, **by_cutoff("contact_date")),
            ),
            Prefetch(
                "transplants",
                queryset=Transplant.objects.filter(status=TransplantStatus.DONE, **by_cutoff("transplant_date")),
            ),
        )
        .annotate(
            treatment_start=Min("courses__start_date", filter=courses),
            last_course_start=Max("courses__start_date", filter=courses),
        )
    )


def _last_contact(patient: Patient) -> date | None:
    """The last date the patient is known alive from what is recorded."""
    dates = [patient.registration_date]
    dates += [f.contact_date for f in patient.follow_ups.all()]
    dates += [a.assessed_on for a in patient.marrow_assessments.all()]
    dates += [t.transplant_date for t in patient.transplants.all()]
    dates += [patient.treatment_start, patient.last_course_start]
    dates = [d for d in dates if d]
    return max(dates) if dates else None


def _abnormal_karyotype(patient: Patient) -> bool | None:
    try:
        baseline = patient.baseline
    except Baseline.DoesNotExist:
        return None
    if not baseline.karyotype_group or baseline.karyotype_group == KaryotypeGroup.INSUFFICIENT:
        return None
    return baseline.karyotype_group not in NORMAL_OR_UNINFORMATIVE_KARYOTYPES


@dataclass(frozen=True)
class PatientOutcome:
    patient: Patient
    history: list[Outcome]
    endpoints: Endpoints


def patient_endpoints(queryset, *, cutoff: date | None = None) -> list[PatientOutcome]:
    """Endpoints of every registered patient of ``queryset`` (already scoped by the caller), in a fixed
    number of queries: OS from treatment start (first course), RFS from the first response, early death,
    best response, MRD and cytogenetic response, censoring at the last date known alive.

    With ``cutoff`` (a data cut-off date), as the data stood then: the patients registered by that date, and of
    their records only the courses, evaluations, follow-up contacts, transplants and deaths dated on or before it."""
    readings = ProtocolReadings()
    result = []
    for patient in _patients_with_outcomes(queryset, cutoff):
        history = history_of(patient, readings)
        death = getattr(patient, "death", None)
        death_date = death.death_date if death and (cutoff is None or death.death_date <= cutoff) else None
        result.append(
            PatientOutcome(
                patient,
                history,
                endpoints(
                    treatment_start=patient.treatment_start,
                    history=history,
                    death_date=death_date,
                    last_contact=_last_contact(patient),
                    early_death_days=int(readings.parameter(patient.protocol_version_id, EARLY_DEATH_KEY)),
                    abnormal_karyotype=_abnormal_karyotype(patient),
                ),
            )
        )
    return result


def endpoints_for_user(user):
    return patient_endpoints(Patient.objects.for_user(user))


def patient_outcome(patient: Patient) -> PatientOutcome | None:
    found = patient_endpoints(Patient.objects.filter(pk=patient.pk))
    return found[0] if found else None


def assessments_for(user, *, patient=None):
    qs = MarrowAssessment.objects.for_user(user).select_related("patient__site", "after_course", "recorded_by")
    if patient is not None:
        qs = qs.filter(patient=patient)
    return qs.order_by("patient_id", "assessed_on", "id")


def assessment_get(user, pk) -> MarrowAssessment:
    return get_object_or_404(assessments_for(user), pk=pk)


@dataclass(frozen=True)
class AssessmentDue:
    """A patient on the "Marrow due" list: the expected evaluation (:func:`assessment_expectations`, the
    definition DEV-11 flags by) and why."""

    patient: Patient
    expectation: AssessmentExpectation

    @property
    def reason(self) -> str:
        return self.expectation.reason

    @property
    def due_on(self) -> date | None:
        return self.expectation.due_on

    @property
    def overdue_from(self) -> date | None:
        return self.expectation.overdue_from

    @property
    def overdue_course(self) -> int | None:
        """While the overdue day depends on a course not yet started: that course's number."""
        return self.expectation.overdue_with_course

    @property
    def overdue(self) -> bool:
        return self.expectation.state == OVERDUE


def due_for_assessment(user, *, on: date | None = None) -> list[AssessmentDue]:
    """Patients of the user's sites due or overdue for a bone-marrow evaluation on ``on`` (protocol §4 schedule,
    from the version's parameters: after course 1; every 2–4 courses; every 3–6 months in maintenance), by
    :func:`responses.derivations.assessment_expectations` — the same due and overdue DEV-11 flags by. Patients
    who died or came off study are not listed. A fixed number of queries."""
    on = on or timezone.localdate()
    readings = ProtocolReadings()
    patients = (
        Patient.objects.for_user(user)
        .filter(status=PatientStatus.REGISTERED, death__isnull=True, protocol_version__isnull=False)
        .select_related("site", "protocol_version", "off_study")
        .prefetch_related(
            Prefetch("courses", queryset=Course.objects.select_related("course_type").order_by("course_number")),
            Prefetch("marrow_assessments", queryset=MarrowAssessment.objects.order_by("assessed_on")),
        )
        .order_by("site__code", "subject_id")
    )
    due = []
    for patient in patients:
        version = patient.protocol_version_id
        off_study = getattr(patient, "off_study", None)
        expectations = assessment_expectations(
            courses=course_starts(patient.courses.all()),
            marrows=[m.assessed_on for m in patient.marrow_assessments.all()],
            schedule=AssessmentSchedule.from_parameters(lambda key, v=version: readings.parameter(v, key)),
            today=on,
            ended_on=off_study.off_study_date if off_study else None,
        )
        due.extend(AssessmentDue(patient, e) for e in expectations if e.listed)
    return due


def course_starts(courses) -> list[CourseStart]:
    """Courses (in order) as the marrow schedule reads them: start date and whether maintenance."""
    return [CourseStart(c.start_date, c.course_type.phase == CoursePhase.MAINTENANCE) for c in courses]


PREVIEW_KEY = "typed"


@dataclass(frozen=True)
class ResponsePreview:
    """The response typed values would get, and whether they would be the patient's relapse."""

    outcome: Outcome
    earlier_response: Outcome | None  # the first response before the typed date
    earlier_relapse: Outcome | None  # a relapse already recorded before the typed date
    relapse_blasts_above: Decimal

    @property
    def category_label(self) -> str:
        return ResponseCategory(self.outcome.category).label

    @property
    def rule_label(self) -> str:
        return self.outcome.rule.label if self.outcome.rule else NO_RESPONSE_LABEL

    @property
    def not_in_paper(self) -> bool:
        return self.outcome.rule is not None and self.outcome.rule.source == DataSource.NOT_IN_PAPER

    @property
    def relapse_reasons(self) -> list[str]:
        """Which relapse criteria the typed values meet, in words."""
        evaluation, threshold = self.outcome.evaluation, self.relapse_blasts_above
        reasons = []
        if evaluation.blasts > threshold and not evaluation.blasts_due_to_recovery:
            reasons.append(f"marrow blasts above {plain_number(threshold)}% not due to recovery")
        if evaluation.extramedullary:
            reasons.append("extramedullary disease")
        return reasons

    @property
    def relapse_criteria_met(self) -> bool:
        """> threshold blasts not due to recovery, or extramedullary disease (whether or not after a response)."""
        return is_relapse(self.outcome.evaluation, self.relapse_blasts_above)


def assessment_preview(
    patient: Patient,
    *,
    assessed_on: date,
    blasts: Decimal,
    neutrophils: Decimal,
    platelets: Decimal,
    extramedullary: bool = False,
    blasts_due_to_recovery: bool = False,
    editing_pk: int | None = None,
) -> ResponsePreview | None:
    """The response typed values would get for this patient, judged with the patient's other evaluations
    (the one being corrected, ``editing_pk``, left out): the category, the rule that decided it, and whether
    it would be the relapse (a response before it, then > threshold blasts not due to recovery, or
    extramedullary disease). None when the patient has no protocol version. Three queries."""
    version_id = patient.protocol_version_id
    if version_id is None:
        return None
    readings = ProtocolReadings()
    others = MarrowAssessment.objects.filter(patient=patient).order_by("assessed_on", "id")
    if editing_pk is not None:
        others = others.exclude(pk=editing_pk)
    typed = Evaluation(
        assessed_on=assessed_on,
        blasts=Decimal(blasts),
        neutrophils=Decimal(neutrophils),
        platelets=Decimal(platelets),
        extramedullary=extramedullary,
        blasts_due_to_recovery=blasts_due_to_recovery,
        key=PREVIEW_KEY,
    )
    threshold = readings.parameter(version_id, RELAPSE_KEY)
    history = outcomes([*(evaluation_of(a) for a in others), typed], readings.rules(version_id), threshold)
    position = next(i for i, o in enumerate(history) if o.evaluation.key == PREVIEW_KEY)
    before = history[:position]
    return ResponsePreview(
        outcome=history[position],
        earlier_response=next((o for o in before if o.responded), None),
        earlier_relapse=next((o for o in before if o.relapse), None),
        relapse_blasts_above=threshold,
    )


@dataclass(frozen=True)
class TimelineEvent:
    """One dated event of a patient's course through the trial, for the timeline."""

    on: date
    kind: str  # course, evaluation, relapse, transplant, off_study, death
    title: str
    detail: str = ""
    pk: int | None = None  # of the record the event links to
    day: int | None = None  # day of treatment (day 1 = first course's start)


TIMELINE_ORDER = {"course": 0, "evaluation": 1, "relapse": 2, "transplant": 3, "off_study": 4, "death": 5}


def patient_timeline(user, patient: Patient, outcome: PatientOutcome | None = None) -> list[TimelineEvent]:
    """Courses, evaluations with their derived response, relapse, allogeneic SCT, off study and death, by date.

    ``outcome`` is the patient's :func:`patient_outcome` when the caller already has it. A fixed number of queries.
    """
    outcome = outcome if outcome is not None else patient_outcome(patient)
    start = outcome.endpoints.treatment_start if outcome else None
    events = []

    def add(on, kind, title, detail="", pk=None):
        day = (on - start).days + 1 if start else None
        events.append(TimelineEvent(on, kind, title, detail, pk, day))

    for course in Course.objects.for_user(user).filter(patient=patient).select_related("course_type"):
        add(course.start_date, "course", f"Course {course.course_number}", course.course_type.name, course.pk)
    for o in outcome.history if outcome else []:
        # The definition is spelled out only where it is a reading the paper does not cover.
        reading = o.rule.label if o.rule and o.rule.source == DataSource.NOT_IN_PAPER else ""
        category = ResponseCategory(o.category).label
        add(o.evaluation.assessed_on, "evaluation", f"Marrow: {category}", reading, o.evaluation.key)
        if o.relapse:
            add(o.evaluation.assessed_on, "relapse", "Relapse", "", o.evaluation.key)
    transplants = Transplant.objects.for_user(user).filter(patient=patient).exclude(status=TransplantStatus.CANCELLED)
    for t in transplants:
        detail = ", ".join(filter(None, [t.get_donor_type_display(), t.conditioning_regimen]))
        add(t.transplant_date, "transplant", f"Allogeneic SCT ({t.get_status_display().lower()})", detail, t.pk)
    off_study = OffStudy.objects.for_user(user).filter(patient=patient).first()
    if off_study:
        add(off_study.off_study_date, "off_study", "Off study", off_study.get_reason_display(), off_study.pk)
    death = Death.objects.for_user(user).filter(patient=patient).first()
    if death:
        early = " — early death" if outcome and outcome.endpoints.early_death else ""
        add(death.death_date, "death", "Death", death.get_cause_display() + early, death.pk)
    events.sort(key=lambda e: (e.on, TIMELINE_ORDER[e.kind]))
    return events


def marrow_assessments_of(patient_id: int) -> list[MarrowAssessment]:
    """The patient's marrow assessments by date, whatever the site, for work that runs without a user (rule
    evaluations, sweeps); pages use :func:`assessments_for` (one query)."""
    return list(MarrowAssessment.objects.filter(patient_id=patient_id).order_by("assessed_on"))


def with_assessments(patients):
    """``patients`` with their marrow assessments prefetched, oldest first (what ``history_of`` reads)."""
    return patients.prefetch_related(
        Prefetch("marrow_assessments", queryset=MarrowAssessment.objects.order_by("assessed_on", "id"))
    )
