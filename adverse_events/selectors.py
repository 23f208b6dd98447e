"""Reads of the adverse-events app: terms, a patient's AEs with their window and SAE clock, the site log, the counts
behind Table 3 (worst grade per patient and term) and SOS, and the CTCAE lab-grading rules (read once per process and
kept until the data is reloaded)."""

import functools
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from django.db.models import Max, Min, Prefetch, Q, Subquery
from django.shortcuts import get_object_or_404
from django.utils import timezone

from dosing.choices import AdministrationStatus
from dosing.models import PlannedAdministration
from patients.models import Patient
from trial.models import Drug, ProtocolParameter

from .choices import RELATED_ATTRIBUTIONS, LabProposalStatus, UnitSystem
from .derivations.grading import (
    UNIT_NOT_GRADED,
    UNKNOWN_LAB_TEST,
    LabRuleSpec,
    LabTest,
    LabValues,
    UnknownLabTest,
    grade_by_direction,
    grade_lab,
)
from .derivations.windows import SAEClock, WindowVerdict, classify_window, sae_clock
from .models import (
    AdverseEvent,
    AEAttribution,
    ClinicalObservation,
    CTCAETerm,
    CTCAEVersion,
    LabAnalyte,
    LabGradingRule,
    LabResult,
)

HAEMATOLOGIC_SOC = "Blood and lymphatic system disorders"
# Investigations terms that are blood counts: Table 3 counts non-haematologic toxicity only.
HAEMATOLOGIC_INVESTIGATIONS = {
    "Neutrophil count decreased",
    "Platelet count decreased",
    "White blood cell decreased",
    "Lymphocyte count decreased",
    "Lymphocyte count increased",
    "CD4 lymphocytes decreased",
    "Hemoglobin increased",
}
WINDOW_KEYS = ("ae_reporting_window_months", "sos_reporting_window_months", "sos_meddra_code", "sae_report_due_hours")


def current_version() -> CTCAEVersion | None:
    return CTCAEVersion.objects.order_by("-published").first()


def term_search(query: str, *, version: CTCAEVersion | None = None, limit: int = 20):
    """Terms matching ``query`` by term, MedDRA code or SOC (type-ahead)."""
    version = version or current_version()
    qs = CTCAETerm.objects.filter(version=version)
    query = (query or "").strip()
    if query:
        qs = qs.filter(Q(term__icontains=query) | Q(meddra_code__startswith=query) | Q(soc__icontains=query))
    return qs.order_by("term")[:limit]


def received_study_drugs(patient: Patient) -> list[Drug]:
    """Study drugs the patient has been given (each needs an attribution on an AE)."""
    ids = (
        PlannedAdministration.objects.filter(
            course__patient=patient, status=AdministrationStatus.GIVEN, drug__is_study_drug=True
        )
        .values_list("drug_id", flat=True)
        .distinct()
    )
    return list(Drug.objects.filter(id__in=list(ids)).order_by("name"))


@dataclass(frozen=True)
class DosingDates:
    first_dose: date | None
    last_dose: date | None
    last_inotuzumab: date | None


def dosing_dates(patient_ids) -> dict[int, DosingDates]:
    """First and last study-drug dose, and last inotuzumab dose, per patient (two queries)."""
    given = PlannedAdministration.objects.filter(
        course__patient_id__in=patient_ids, status=AdministrationStatus.GIVEN, drug__is_study_drug=True
    )
    spans = {
        row["course__patient_id"]: row
        for row in given.values("course__patient_id").annotate(first=Min("given_at"), last=Max("given_at"))
    }
    ino = {
        row["course__patient_id"]: row["last"]
        for row in given.exclude(drug__cumulative_limit_parameter="")
        .values("course__patient_id")
        .annotate(last=Max("given_at"))
    }

    def day(value):
        return timezone.localtime(value).date() if value else None

    return {
        pid: DosingDates(day(spans.get(pid, {}).get("first")), day(spans.get(pid, {}).get("last")), day(ino.get(pid)))
        for pid in patient_ids
    }


class WindowParameters:
    """The protocol numbers the window and SAE clock need, per protocol version, read once."""

    def __init__(self):
        self._values = defaultdict(dict)
        for p in ProtocolParameter.objects.filter(key__in=WINDOW_KEYS):
            self._values[p.protocol_version_id][p.key] = p.value

    def get(self, version_id, key) -> int:
        return int(self._values[version_id][key])


@dataclass(frozen=True)
class AERow:
    """An AE as pages and the API show it: with its course day, window verdict and SAE clock."""

    ae: AdverseEvent
    course_day: int | None
    window: WindowVerdict
    sae: SAEClock
    related: bool


def _rows(aes, *, now=None) -> list[AERow]:
    aes = list(aes)
    now = now or timezone.now()
    params = WindowParameters()
    dates = dosing_dates({ae.patient_id for ae in aes})
    rows = []
    for ae in aes:
        version_id = ae.patient.protocol_version_id
        related = any(a.attribution in RELATED_ATTRIBUTIONS for a in ae.attributions.all())
        d = dates.get(ae.patient_id, DosingDates(None, None, None))
        window = classify_window(
            ae.onset_date,
            first_dose=d.first_dose,
            last_dose=d.last_dose,
            last_inotuzumab=d.last_inotuzumab,
            related=related,
            is_sos=str(ae.term.meddra_code) == str(params.get(version_id, "sos_meddra_code")),
            ae_window_months=params.get(version_id, "ae_reporting_window_months"),
            sos_window_months=params.get(version_id, "sos_reporting_window_months"),
        )
        clock = sae_clock(
            serious=ae.serious,
            aware_at=ae.sae_aware_at,
            reported_at=ae.sae_reported_at,
            now=now,
            due_hours=params.get(version_id, "sae_report_due_hours"),
        )
        course_day = (ae.onset_date - ae.course.start_date).days + 1 if ae.course_id else None
        rows.append(AERow(ae, course_day, window, clock, related))
    return rows


def adverse_events_for(user):
    return (
        AdverseEvent.objects.for_user(user)
        .select_related("patient__site", "patient__protocol_version", "term", "course", "reported_by")
        .prefetch_related(Prefetch("attributions", queryset=AEAttribution.objects.select_related("drug")))
    )


def ae_get(user, pk) -> AdverseEvent:
    return get_object_or_404(adverse_events_for(user), pk=pk)


def ae_row(ae: AdverseEvent) -> AERow:
    return _rows([ae])[0]


def patient_aes(user, patient) -> list[AERow]:
    return _rows(adverse_events_for(user).filter(patient=patient).order_by("onset_date", "id"))


def site_ae_log(user, *, grade=None, soc="", term="", serious=None, attribution="", patient=None) -> list[AERow]:
    """The AE log of the user's sites, filtered by grade, SOC, term, seriousness and attribution."""
    qs = adverse_events_for(user)
    if grade:
        qs = qs.filter(grade=grade)
    if soc:
        qs = qs.filter(term__soc=soc)
    if term:
        qs = qs.filter(Q(term__term__icontains=term) | Q(term__meddra_code=term))
    if serious is not None:
        qs = qs.filter(serious=serious)
    if attribution:
        qs = qs.filter(attributions__attribution=attribution).distinct()
    if patient is not None:
        qs = qs.filter(patient=patient)
    return _rows(qs.order_by("-onset_date", "id"))


def is_haematologic(term: CTCAETerm) -> bool:
    return term.soc == HAEMATOLOGIC_SOC or term.term in HAEMATOLOGIC_INVESTIGATIONS


@dataclass(frozen=True)
class WorstGrade:
    """A patient's worst grade of one CTCAE term."""

    patient_id: int
    term: CTCAETerm
    grade: int


def worst_non_haematologic_grades(user, patient_ids, *, min_grade: int = 3, onset_by: date | None = None):
    """Of the given patients of the user's sites, each patient's worst grade (at least ``min_grade``) of every
    non-haematologic term, from the AEs with onset on or before ``onset_by`` (all of them when None): what the
    paper's Table 3 counts, each patient once per term at the worst grade. One query."""
    qs = AdverseEvent.objects.for_user(user).filter(patient_id__in=list(patient_ids), grade__gte=min_grade)
    if onset_by is not None:
        qs = qs.filter(onset_date__lte=onset_by)
    worst: dict[tuple[int, int], int] = {}
    terms = {}
    for ae in qs.select_related("term").only("patient_id", "grade", "term__term", "term__soc", "term__meddra_code"):
        if is_haematologic(ae.term):
            continue
        key = (ae.patient_id, ae.term_id)
        worst[key] = max(worst.get(key, 0), ae.grade)
        terms[ae.term_id] = ae.term
    return [WorstGrade(patient_id, terms[term_id], grade) for (patient_id, term_id), grade in worst.items()]


def sos_onsets(user, patient_ids, *, onset_by: date | None = None) -> dict[int, date]:
    """The first onset of sinusoidal obstruction syndrome (the CTCAE term whose MedDRA code is the patient's protocol
    version's ``sos_meddra_code``) of each of the given patients of the user's sites who had one, on or before
    ``onset_by`` when given. Two queries."""
    codes = {
        version_id: str(int(value))
        for version_id, value in ProtocolParameter.objects.filter(key="sos_meddra_code").values_list(
            "protocol_version_id", "value"
        )
    }
    qs = AdverseEvent.objects.for_user(user).filter(
        patient_id__in=list(patient_ids), term__meddra_code__in=set(codes.values())
    )
    if onset_by is not None:
        qs = qs.filter(onset_date__lte=onset_by)
    first: dict[int, date] = {}
    rows = qs.values_list("patient_id", "patient__protocol_version_id", "term__meddra_code", "onset_date")
    for patient_id, version_id, code, onset in rows:
        if codes.get(version_id) == str(code) and (patient_id not in first or onset < first[patient_id]):
            first[patient_id] = onset
    return first


def ae_rows(aes, *, now=None) -> list[AERow]:
    """The rows of ``aes`` (course day, window verdict, SAE clock, relatedness) in a fixed number of queries:
    for a page of an AE list (the AEs come from :func:`adverse_events_for`)."""
    return _rows(aes, now=now)


def lab_results_for(user):
    """Lab values of the user's sites, with their patient and the AE a confirmed proposal became."""
    return (
        LabResult.objects.for_user(user)
        .select_related("patient__site", "recorded_by")
        .prefetch_related("adverse_events")
    )


def open_lab_proposals(user, patient):
    """The patient's lab values whose proposed AE awaits confirmation or dismissal."""
    return lab_results_for(user).filter(patient=patient, proposal_status=LabProposalStatus.PROPOSED)


def lab_result_get(user, pk):
    return get_object_or_404(lab_results_for(user), pk=pk)


# --- The CTCAE lab-grading rules in the database (the engine is derivations.grading) ---


def _version_filter(version) -> dict:
    """Filter on LabGradingRule for a version: a CTCAEVersion, its code, or None (the latest published)."""
    if version is None:
        latest = CTCAEVersion.objects.order_by("-published", "-pk").values("pk")[:1]
        return {"version_id": Subquery(latest)}
    if isinstance(version, CTCAEVersion):
        return {"version_id": version.pk}
    return {"version__code": str(version)}


def lab_tests(version=None) -> list[LabTest]:
    """Every gradable lab test of a CTCAE version (default: the latest published), in one query."""
    rows = (
        LabGradingRule.objects.filter(**_version_filter(version))
        .order_by("lab_term", "unit_system", "unit")
        .values_list(
            "lab_term",
            "unit_system",
            "unit",
            "direction",
            "ctcae_term_id",
            "ctcae_term__term",
            "ctcae_term__meddra_code",
        )
        .distinct()
    )
    return [LabTest(*row) for row in rows]


def _version_key(version):
    if version is None:
        return None
    return getattr(version, "code", None) or str(version)


@functools.lru_cache(maxsize=512)
def _rules_by_unit(version_key, lab_term: str, unit_system: str) -> dict[str, tuple[LabRuleSpec, ...]]:
    by_unit: dict[str, list[LabRuleSpec]] = {}
    rows = LabGradingRule.objects.filter(
        **_version_filter(version_key), lab_term=lab_term, unit_system=unit_system
    ).order_by("unit", "rule_order")
    for row in rows:
        by_unit.setdefault(row.unit, []).append(LabRuleSpec.from_model(row))
    return {unit: tuple(specs) for unit, specs in by_unit.items()}


def clear_lab_rules_cache() -> None:
    """Forget the rules grade_result has read (the CTCAE loader calls this when it changes them)."""
    _rules_by_unit.cache_clear()


def rules_for(lab_term: str, unit_system: str = "SI", unit: str = "", *, version=None) -> tuple[LabRuleSpec, ...]:
    """The rules that grade this lab test, read in one query and then kept (per process) until the data is reloaded.

    The unit is matched exactly, then without regard to case (admiral writes both ``mmol/L`` and ``MMOL/L``);
    a test whose rules have no unit (they read only ULN, LLN or baseline) accepts any unit.
    Raises :class:`UnknownLabTest` when nothing grades the test.
    """
    by_unit = _rules_by_unit(_version_key(version), lab_term, unit_system)
    version_text = f" (CTCAE v{_version_key(version)})" if version is not None else ""
    if not by_unit:
        raise UnknownLabTest(UNKNOWN_LAB_TEST.format(lab_term=lab_term, unit_system=unit_system, version=version_text))
    unit = (unit or "").strip()
    if unit in by_unit:
        return by_unit[unit]
    same_ignoring_case = [u for u in by_unit if u and u.casefold() == unit.casefold()]
    if len(same_ignoring_case) == 1:
        return by_unit[same_ignoring_case[0]]
    if "" in by_unit:
        return by_unit[""]
    raise UnknownLabTest(
        UNIT_NOT_GRADED.format(
            lab_term=lab_term, unit_system=unit_system, expected=" or ".join(sorted(by_unit)), unit=unit
        )
    )


def grade_result(lab_result_or_values, *, version=None) -> int | None:
    """The CTCAE grade of a ``LabResult`` (or ``LabValues``, or a mapping of its fields) by the rules in the DB.

    One query for the test's rules the first time a test is graded in a process; none after that.
    """
    item = lab_result_or_values
    if isinstance(item, Mapping):
        item = LabValues(**item)
    if isinstance(item, LabValues):
        lab_term, unit_system, unit = item.lab_term, item.unit_system, item.unit
        value, uln, lln, baseline = item.value, item.uln, item.lln, item.baseline
    else:  # a LabResult (saved or not)
        lab_term, unit_system, unit = item.lab_term, item.unit_system, item.unit
        value, uln, lln = item.value, item.upper_limit_normal, item.lower_limit_normal
        baseline = item.baseline_value
    rules = rules_for(lab_term, unit_system, unit, version=version)
    return grade_lab(rules, value=value, uln=uln, lln=lln, baseline=baseline)


@dataclass(frozen=True)
class LabTestOption:
    """A lab test as the picker offers it in a unit system: Potassium (mmol/L), graded as Hypokalemia or
    Hyperkalemia."""

    code: str
    name: str
    unit_system: str
    units: tuple[str, ...]
    label: str
    terms: tuple[LabTest, ...]  # the CTCAE lab terms it is graded as, low direction first


def lab_test_options(unit_system: str | None = None, version=None) -> list[LabTestOption]:
    """The lab tests of the data file whose CTCAE terms the rules of a version grade (default: the latest), per
    unit system (or of one), in the order of the data file; one query."""
    from .plausibility import lab_test_catalogue

    graded = {}
    for test in lab_tests(version):
        graded.setdefault((test.lab_term, test.unit_system), test)
    systems = [unit_system] if unit_system else [choice.value for choice in UnitSystem]
    options = []
    for system in systems:
        for definition in lab_test_catalogue().values():
            terms = [graded[(term, system)] for term in definition.lab_terms if (term, system) in graded]
            if not terms or not definition.units(system):
                continue
            terms.sort(key=lambda test: test.direction != "L")
            options.append(
                LabTestOption(
                    code=definition.code,
                    name=definition.name,
                    unit_system=system,
                    units=tuple(definition.units(system)),
                    label=definition.label(system),
                    terms=tuple(terms),
                )
            )
    return options


def lab_term_directions(version=None) -> dict[str, str]:
    """CTCAE lab term → the direction its rules grade (L: low values, H: high values), of a CTCAE version."""
    return {test.lab_term: test.direction for test in lab_tests(version)}


def grade_lab_test(
    lab_test, *, unit_system: str, unit: str, value, uln=None, lln=None, baseline=None, version=None
) -> tuple[str, int | None]:
    """The CTCAE lab term and grade of a value of a lab test (a ``plausibility.LabTestDefinition``): the term
    follows from the value when the analyte is graded in both directions (potassium: Hypokalemia or
    Hyperkalemia). Raises :class:`UnknownLabTest` when no rules grade the test in this unit system and unit."""
    rules_by_term = {term: rules_for(term, unit_system, unit, version=version) for term in lab_test.lab_terms}
    return grade_by_direction(
        rules_by_term,
        directions=lab_term_directions(version),
        value=value,
        uln=uln,
        lln=lln,
        baseline=baseline,
    )


# --- By patient id, for work that runs without a user (rule evaluations, sweeps); pages use the scoped reads ---


def adverse_events_of(patient_id: int) -> list[AdverseEvent]:
    """The patient's adverse events by onset, with their CTCAE term (one query)."""
    return list(AdverseEvent.objects.filter(patient_id=patient_id).select_related("term").order_by("onset_date"))


def lab_results_of(patient_id: int) -> list[LabResult]:
    """The patient's lab results by collection date (one query)."""
    return list(LabResult.objects.filter(patient_id=patient_id).order_by("collected_on"))


def clinical_observations_for(user):
    """Clinical observations of the user's sites, with their patient and who recorded them."""
    return ClinicalObservation.objects.for_user(user).select_related("patient__site", "recorded_by")


def clinical_observation_get(user, pk):
    return get_object_or_404(clinical_observations_for(user), pk=pk)


def patient_clinical_observations(user, patient) -> list[ClinicalObservation]:
    """One patient's observations (most recent first) as the user may see them."""
    return list(clinical_observations_for(user).filter(patient=patient).order_by("-observed_on", "-id"))


def clinical_observations_of(patient_id: int) -> list[ClinicalObservation]:
    """The patient's clinical observations (weight, hepatomegaly, ascites) by date (one query)."""
    return list(ClinicalObservation.objects.filter(patient_id=patient_id).order_by("observed_on"))


def sae_reports_due(user):
    """Serious AEs of the user's sites whose expedited report is not yet submitted, the earliest-aware first (the
    SAE clock of each is in :func:`ae_rows`)."""
    return (
        adverse_events_for(user)
        .filter(serious=True, sae_aware_at__isnull=False, sae_reported_at__isnull=True)
        .order_by("sae_aware_at", "id")
    )


def open_lab_proposals_of_sites(user):
    """Lab values of the user's sites whose proposed AE awaits confirmation or dismissal, the oldest first."""
    return lab_results_for(user).filter(proposal_status=LabProposalStatus.PROPOSED).order_by("collected_on", "id")


def lab_analyte_names() -> dict[str, str]:
    """The lab analytes, code → name."""
    return dict(LabAnalyte.objects.values_list("code", "name"))
