"""Reads of the adverse-events app: terms, a patient's AEs with their window and SAE clock, the site log, Table 3."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.db.models import Max, Min, Prefetch, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from dosing.choices import AdministrationStatus
from dosing.models import PlannedAdministration
from patients.models import Patient
from trial.models import Drug, ProtocolParameter

from .choices import RELATED_ATTRIBUTIONS
from .models import AdverseEvent, AEAttribution, CTCAETerm, CTCAEVersion
from .windows import SAEClock, WindowVerdict, classify_window, sae_clock

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


@dataclass
class Table3Row:
    term: str
    soc: str
    grade_3: int = 0
    grade_4: int = 0
    grade_5: int = 0

    @property
    def total(self) -> int:
        return self.grade_3 + self.grade_4 + self.grade_5


def table3(user, *, protocol_version=None) -> list[Table3Row]:
    """The paper's Table 3: grade 3–5 non-haematologic toxicity, each patient counted once per term at
    their worst grade. Sorted by the number of patients, then term."""
    qs = AdverseEvent.objects.for_user(user).filter(grade__gte=3).select_related("term")
    if protocol_version:
        qs = qs.filter(patient__protocol_version__code=protocol_version)
    worst: dict[tuple[int, int], int] = {}
    terms = {}
    for ae in qs.only("patient_id", "grade", "term__term", "term__soc", "term__id"):
        if is_haematologic(ae.term):
            continue
        key = (ae.patient_id, ae.term_id)
        worst[key] = max(worst.get(key, 0), ae.grade)
        terms[ae.term_id] = ae.term
    rows: dict[int, Table3Row] = {}
    for (_patient, term_id), grade in worst.items():
        term = terms[term_id]
        row = rows.setdefault(term_id, Table3Row(term.term, term.soc))
        setattr(row, f"grade_{grade}", getattr(row, f"grade_{grade}") + 1)
    return sorted(rows.values(), key=lambda r: (-r.total, r.term))


def ae_rows(aes, *, now=None) -> list[AERow]:
    """The rows of ``aes`` (course day, window verdict, SAE clock, relatedness) in a fixed number of queries:
    for a page of an AE list (the AEs come from :func:`adverse_events_for`)."""
    return _rows(aes, now=now)


def lab_results_for(user):
    """Lab values of the user's sites, with their patient and the AE a confirmed proposal became."""
    from .models import LabResult

    return (
        LabResult.objects.for_user(user)
        .select_related("patient__site", "recorded_by")
        .prefetch_related("adverse_events")
    )


def lab_result_get(user, pk):
    return get_object_or_404(lab_results_for(user), pk=pk)
