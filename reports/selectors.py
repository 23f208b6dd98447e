"""Reads of the reports: the paper's tables and survival estimates over the patients of the user's sites.

Endpoints come from :func:`responses.selectors.patient_endpoints` (the one place they are computed,
here as known by the data cut-off) and baseline values from :func:`patients.selectors.baseline.baseline_summary`;
this module only groups them and hands plain values to :mod:`reports.statistics`. A fixed number of queries,
whatever the number of patients.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.utils import timezone

from patients.choices import FrontlineRegimen, KaryotypeGroup, SalvageStatus, Sex, TP53Status, YesNoUnknown
from patients.selectors import patient_list
from patients.selectors.baseline import BaselineSummary, ProtocolThresholds, baseline_summary
from responses.choices import MRDResult
from responses.derivations import EARLY_DEATH, NOT_EVALUABLE, Endpoints
from responses.selectors import PatientOutcome, patient_endpoints
from trial.choices import ResponseCategory
from trial.selectors import trial_home

from . import statistics
from .filters import ReportFilters

DAYS_PER_MONTH = 365.25 / 12
ALL = "all"


@dataclass(frozen=True)
class Group:
    """A column of the tables: all patients in scope, or those of one protocol version."""

    code: str
    label: str  # short, for column heads and legends: the version's name without its parenthesis
    outcomes: list[PatientOutcome]
    title: str = ""  # in full

    @property
    def n(self) -> int:
        return len(self.outcomes)


@dataclass(frozen=True)
class GroupSummary:
    """A column of a finished report: who it is and how many (the patients themselves are not kept)."""

    code: str
    label: str
    title: str
    n: int


@dataclass(frozen=True)
class CohortSummary:
    """What a finished report says of its patients: the filters, the groups' sizes and when it was computed.

    Reports keep this rather than the :class:`Cohort`, so that a cached report holds numbers, not records."""

    filters: ReportFilters
    groups: list[GroupSummary]
    computed_at: datetime

    @property
    def everyone(self) -> GroupSummary:
        return self.groups[0]

    @property
    def versions(self) -> list[GroupSummary]:
        return self.groups[1:]


@dataclass(frozen=True)
class Cohort:
    """The patients a report covers, with their endpoints as known by the cut-off, and when it was computed."""

    filters: ReportFilters
    groups: list[Group]  # all, then one per protocol version (in effective-date order)
    computed_at: datetime

    @property
    def everyone(self) -> Group:
        return self.groups[0]

    @property
    def versions(self) -> list[Group]:
        return self.groups[1:]

    def summary(self) -> CohortSummary:
        return CohortSummary(
            self.filters, [GroupSummary(g.code, g.label, g.title, g.n) for g in self.groups], self.computed_at
        )


def version_label(version) -> str:
    """A protocol version's name without its parenthesis, for column heads and legends."""
    return version.name.split(" (")[0]


def cohort(user, filters: ReportFilters) -> Cohort:
    """The registered patients of the user's sites that the filters keep, grouped by protocol version."""
    patients = patient_list(user)
    if filters.site is not None:
        patients = patients.filter(site=filters.site)
    if filters.protocol_version is not None:
        patients = patients.filter(protocol_version=filters.protocol_version)
    if filters.registered_from:
        patients = patients.filter(registration_date__gte=filters.registered_from)
    if filters.registered_to:
        patients = patients.filter(registration_date__lte=filters.registered_to)
    outcomes = patient_endpoints(patients, cutoff=filters.cutoff)
    versions = [v for v in trial_home(user)["versions"] if filters.protocol_version in (None, v)]
    groups = [Group(ALL, "All", outcomes, "All patients")] + [
        Group(v.code, version_label(v), [o for o in outcomes if o.patient.protocol_version_id == v.pk], v.name)
        for v in versions
    ]
    return Cohort(filters, groups, timezone.now())


# --- Table 2: best response ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Table2Definition:
    key: str
    label: str
    counts: Callable[[Endpoints], bool]  # counted in n
    of: Callable[[Endpoints], bool]  # counted in N
    denominator: str  # the N in words


def _everyone(e: Endpoints) -> bool:
    return True


TABLE_2 = [
    Table2Definition("cr", "CR", lambda e: e.best_response == ResponseCategory.CR, _everyone, "patients"),
    Table2Definition("crp", "CRp", lambda e: e.best_response == ResponseCategory.CRP, _everyone, "patients"),
    Table2Definition("cri", "CRi", lambda e: e.best_response == ResponseCategory.CRI, _everyone, "patients"),
    Table2Definition("orr", "ORR (CR + CRp + CRi)", lambda e: e.responded, _everyone, "patients"),
    Table2Definition(
        "no_response", "No response", lambda e: e.best_response == ResponseCategory.NO_RESPONSE, _everyone, "patients"
    ),
    Table2Definition("early_death", "Early death", lambda e: e.best_response == EARLY_DEATH, _everyone, "patients"),
    Table2Definition(
        "not_evaluable", "Not yet assessed", lambda e: e.best_response == NOT_EVALUABLE, _everyone, "patients"
    ),
    Table2Definition(
        "mrd_negative_at_response",
        "MRD-negative at response",
        lambda e: e.mrd_negative_at_response is True,
        lambda e: e.responded and e.mrd_negative_at_response is not None,
        "responders with MRD measured at response",
    ),
    Table2Definition(
        "mrd_negative_any_time",
        "MRD-negative at any time",
        lambda e: e.mrd_negative_any_time is True,
        lambda e: e.responded and e.mrd_negative_any_time is not None,
        "responders with MRD measured",
    ),
]


@dataclass(frozen=True)
class Table2Row:
    key: str
    label: str
    denominator: str
    cells: list[statistics.Proportion]  # one per group, in the order of the cohort's groups
    comparison: statistics.TestResult  # between the protocol versions


@dataclass(frozen=True)
class Table2:
    cohort: CohortSummary
    rows: list[Table2Row]


def table2(cohort: Cohort) -> Table2:
    """Best response, n/N (%) with the exact 95% CI, by all and by version, and the versions' comparison
    (Fisher exact for two versions). "Not yet assessed" is shown only when some patient is."""
    rows = []
    for d in TABLE_2:
        cells = []
        for group in cohort.groups:
            of = [o.endpoints for o in group.outcomes if d.of(o.endpoints)]
            cells.append(statistics.proportion(sum(1 for e in of if d.counts(e)), len(of)))
        if d.key == "not_evaluable" and not cells[0].n:
            continue
        comparison = statistics.compare_proportions([(c.n, c.total) for c in cells[1:]])
        rows.append(Table2Row(d.key, d.label, d.denominator, cells, comparison))
    return Table2(cohort.summary(), rows)


# --- Table 1: baseline characteristics ----------------------------------------------------------------

ECOG_POOR_FROM = 2  # the paper's Table 1 row "ECOG ≥ 2"


@dataclass(frozen=True)
class Table1Cell:
    """A count with its percentage of the group, or a median with its range."""

    count: statistics.Proportion | None = None
    distribution: statistics.Distribution | None = None


@dataclass(frozen=True)
class Table1Row:
    key: str
    label: str
    cells: list[Table1Cell]
    level: bool = False  # a level of the categorical variable above it (indented, no test of its own)
    comparison: statistics.TestResult | None = None


@dataclass(frozen=True)
class Table1:
    cohort: CohortSummary
    rows: list[Table1Row]


def _yes(value) -> bool | None:
    return {YesNoUnknown.YES: True, YesNoUnknown.NO: False}.get(value)


def _continuous(key, label, value_of, summaries_by_group) -> Table1Row:
    values = [[value_of(s) for s in group] for group in summaries_by_group]
    cells = [Table1Cell(distribution=statistics.distribution(v)) for v in values]
    return Table1Row(key, label, cells, comparison=statistics.compare_distributions(values[1:]))


def _binary(key, label, value_of, summaries_by_group) -> Table1Row:
    """Patients with the characteristic, as n (%) of the patients in whom it is known."""
    known = [[v for v in (value_of(s) for s in group) if v is not None] for group in summaries_by_group]
    cells = [Table1Cell(count=statistics.proportion(sum(v), len(v))) for v in known]
    return Table1Row(key, label, cells, comparison=statistics.compare_proportions([(sum(v), len(v)) for v in known]))


def _categorical(key, label, value_of, levels, summaries_by_group) -> list[Table1Row]:
    """One row for the variable (with its test over all levels, χ² or Fisher exact) and one per level, n (%) of
    the patients in whom it is known."""
    values = [[value_of(s) for s in group] for group in summaries_by_group]
    known = [[v for v in group if v] for group in values]
    counts = [[sum(1 for v in group if v == level) for level, _ in levels] for group in known]
    comparison = statistics.compare_counts(counts[1:])
    rows = [Table1Row(key, label, [Table1Cell() for _ in known], comparison=comparison)]
    for i, (level, level_label) in enumerate(levels):
        cells = [Table1Cell(count=statistics.proportion(c[i], len(k))) for c, k in zip(counts, known, strict=True)]
        rows.append(Table1Row(f"{key}.{level}", level_label, cells, level=True))
    return rows


def _baseline(s: BaselineSummary, name: str):
    value = getattr(s.baseline, name) if s.baseline is not None else None
    return float(value) if value is not None and not isinstance(value, (bool, str)) else value


def table1(cohort: Cohort) -> Table1:
    """Baseline characteristics (PROTOCOL.md §6): medians with ranges, counts with percentages, by all and by
    version; Mann–Whitney U for continuous values, Fisher exact (2×2) or χ² for counts."""
    thresholds = ProtocolThresholds()
    by_group = [
        [baseline_summary(o.patient, getattr(o.patient, "baseline", None), thresholds=thresholds) for o in g.outcomes]
        for g in cohort.groups
    ]
    rows = [
        _continuous("age", "Age, years", lambda s: s.age_at_registration, by_group),
        *_categorical("sex", "Sex", lambda s: s.patient.sex, Sex.choices, by_group),
        _binary("ecog_2_plus", f"ECOG ≥ {ECOG_POOR_FROM}", lambda s: _ecog_poor(s), by_group),
        _continuous("wbc", "WBC, ×10⁹/L", lambda s: _baseline(s, "wbc_1e9_per_l"), by_group),
        _continuous(
            "pb_blasts", "Peripheral-blood blasts, %", lambda s: _baseline(s, "peripheral_blast_percent"), by_group
        ),
        _continuous("bm_blasts", "Bone-marrow blasts, %", lambda s: _baseline(s, "marrow_blast_percent"), by_group),
        *_categorical(
            "karyotype", "Karyotype", lambda s: _baseline(s, "karyotype_group"), KaryotypeGroup.choices, by_group
        ),
        _binary("high_risk_cytogenetics", "High-risk cytogenetics", lambda s: s.high_risk_cytogenetics, by_group),
        _binary("ph_like", "Ph-like (RNA sequencing)", lambda s: _yes(_baseline(s, "ph_like")), by_group),
        _binary("crlf2", "CRLF2 overexpression", lambda s: _yes(_baseline(s, "crlf2_overexpression")), by_group),
        _binary("tp53", "TP53 mutation", lambda s: _tp53(s), by_group),
        _continuous("cd19", "CD19 expression, %", lambda s: _baseline(s, "cd19_percent"), by_group),
        _continuous("cd20", "CD20 expression, %", lambda s: _baseline(s, "cd20_percent"), by_group),
        _continuous("cd22", "CD22 expression, %", lambda s: _baseline(s, "cd22_percent"), by_group),
        _binary("prior_sct", "Prior allogeneic SCT", lambda s: _baseline(s, "prior_allogeneic_sct"), by_group),
        *_categorical("salvage", "Salvage status", lambda s: s.salvage_status, SalvageStatus.choices, by_group),
        _binary("cns", "CNS disease at start", lambda s: _baseline(s, "cns_disease_at_start"), by_group),
        *_categorical(
            "frontline",
            "Prior frontline regimen",
            lambda s: _baseline(s, "prior_frontline_regimen"),
            FrontlineRegimen.choices,
            by_group,
        ),
    ]
    return Table1(cohort.summary(), rows)


def _ecog_poor(s: BaselineSummary) -> bool | None:
    ecog = _baseline(s, "ecog")
    return None if ecog is None else ecog >= ECOG_POOR_FROM


def _tp53(s: BaselineSummary) -> bool | None:
    return {TP53Status.MUTATED: True, TP53Status.WILD_TYPE: False}.get(_baseline(s, "tp53_status"))


# --- Survival ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EndpointDefinition:
    key: str
    label: str
    definition: str
    duration_days: Callable[[Endpoints], int | None]
    event: Callable[[Endpoints], bool | None]
    origin: Callable[[Endpoints], date | None]  # the day its time counts from
    origin_words: str

    def __reduce__(self):  # a cached report refers to its endpoint by key (the lambdas do not pickle)
        return _endpoint_definition, (self.key,)


def _endpoint_definition(key: str) -> EndpointDefinition:
    return ENDPOINTS[key]


ENDPOINTS = {
    "os": EndpointDefinition(
        "os",
        "Overall survival",
        "From the start of therapy (first course) to death; alive patients censored at the last date known alive.",
        lambda e: e.os_days,
        lambda e: e.os_event,
        lambda e: e.treatment_start,
        "the start of therapy",
    ),
    "rfs": EndpointDefinition(
        "rfs",
        "Relapse-free survival",
        "Of responders, from the first response (CR, CRp or CRi) to relapse or death; censored at the last date "
        "known alive.",
        lambda e: e.rfs_days,
        lambda e: e.rfs_event,
        lambda e: e.first_response_date,
        "the first response",
    ),
}
RATE_YEARS = (1, 2, 3)
LANDMARK_MONTHS = (2, 4)  # the landmarks of the SCT comparison, in months from the endpoint's origin


@dataclass(frozen=True)
class Landmark:
    """Survival from a landmark of the patients still followed at it, by whether they had an allogeneic SCT by
    then; those who died, relapsed or were last seen before it are left out (``excluded``)."""

    months: float
    excluded: int
    transplanted: statistics.SurvivalCurve  # times from the landmark
    not_transplanted: statistics.SurvivalCurve
    log_rank: statistics.TestResult

    @property
    def curves(self) -> list[statistics.SurvivalCurve]:
        return [self.transplanted, self.not_transplanted]


@dataclass(frozen=True)
class SurvivalReport:
    cohort: CohortSummary
    endpoint: EndpointDefinition
    overall: statistics.SurvivalCurve
    by_version: list[statistics.SurvivalCurve]
    log_rank: statistics.TestResult
    at_risk_times: list[float] = field(default_factory=list)
    landmarks: list[Landmark] = field(default_factory=list)

    @property
    def curves(self) -> list[statistics.SurvivalCurve]:
        return [self.overall, *self.by_version]

    @property
    def overall_only(self) -> list[statistics.SurvivalCurve]:
        return [self.overall]


def _at_risk_times(longest_months: float) -> list[float]:
    step = 6 if longest_months <= 48 else 12
    return [float(t) for t in range(0, int(longest_months) + 1, step)]


def first_transplant(outcome: PatientOutcome):
    """The date of the patient's first allogeneic SCT on study, as known by the cut-off (or None)."""
    return min((t.transplant_date for t in outcome.patient.transplants.all()), default=None)


def _days_to_transplant(definition: EndpointDefinition, outcome: PatientOutcome) -> int | None:
    """Days from the endpoint's origin to the first SCT (negative: before it), or None without an SCT."""
    transplant, origin = first_transplant(outcome), definition.origin(outcome.endpoints)
    return None if transplant is None or origin is None else (transplant - origin).days


def _rate_months() -> list[float]:
    return [12.0 * years for years in RATE_YEARS]


def landmark(definition: EndpointDefinition, outcomes: list[PatientOutcome], months: float) -> Landmark:
    """The landmark analysis at ``months``: of the patients followed beyond it, those transplanted by then
    against the others, Kaplan–Meier from the landmark and the log-rank test."""
    groups: dict[bool, tuple[list[float], list[bool]]] = {True: ([], []), False: ([], [])}
    excluded = 0
    for o in outcomes:
        days = definition.duration_days(o.endpoints)
        if days is None:
            continue
        if days / DAYS_PER_MONTH <= months:
            excluded += 1
            continue
        to_transplant = _days_to_transplant(definition, o)
        durations, events = groups[to_transplant is not None and to_transplant / DAYS_PER_MONTH <= months]
        durations.append(days / DAYS_PER_MONTH - months)
        events.append(bool(definition.event(o.endpoints)))
    month_words = f"{months:g} months"
    curves = {
        sct: statistics.kaplan_meier(
            d, e, label=f"SCT by {month_words}" if sct else f"No SCT by {month_words}", rate_times=_rate_months()
        )
        for sct, (d, e) in groups.items()
    }
    return Landmark(months, excluded, curves[True], curves[False], statistics.log_rank(list(groups.values())))


def survival(cohort: Cohort, endpoint: str) -> SurvivalReport:
    """Kaplan–Meier of the endpoint (months) overall and by version, with the 1-, 2- and 3-year rates, the
    medians and the log-rank test between versions, and the landmark analyses of SCT."""
    definition = ENDPOINTS[endpoint]

    def data(group: Group) -> tuple[list[float], list[bool]]:
        pairs = [
            (definition.duration_days(o.endpoints) / DAYS_PER_MONTH, bool(definition.event(o.endpoints)))
            for o in group.outcomes
            if definition.duration_days(o.endpoints) is not None
        ]
        return [d for d, _ in pairs], [e for _, e in pairs]

    by_group = [(group, *data(group)) for group in cohort.groups]
    longest = max((max(d) for _, d, _ in by_group if d), default=0.0)
    times = _at_risk_times(longest)
    curves = [
        statistics.kaplan_meier(d, e, label=group.label, rate_times=_rate_months(), at_risk_times=times)
        for group, d, e in by_group
    ]
    test = statistics.log_rank([(d, e) for _, d, e in by_group[1:]])
    landmarks = [landmark(definition, cohort.everyone.outcomes, months) for months in LANDMARK_MONTHS]
    return SurvivalReport(cohort.summary(), definition, curves[0], curves[1:], test, times, landmarks)


# --- Cox regression -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Covariate:
    """A Table 1 characteristic as a Cox covariate: its label says the unit or the comparison."""

    key: str
    label: str
    value: Callable[[BaselineSummary], float | None]


def _per(value, unit: float) -> float | None:
    return None if value is None else float(value) / unit


def _flag(value) -> float | None:
    return None if value is None else float(bool(value))


def _later_salvage(s: BaselineSummary) -> float | None:
    return None if s.salvage_status is None else float(s.salvage_status in (SalvageStatus.S2, SalvageStatus.S3_PLUS))


def _male(s: BaselineSummary) -> float | None:
    return {Sex.MALE: 1.0, Sex.FEMALE: 0.0}.get(s.patient.sex)


COX_COVARIATES = {
    c.key: c
    for c in [
        Covariate("age", "Age, per 10 years", lambda s: _per(s.age_at_registration, 10)),
        Covariate("male", "Male sex (vs female)", _male),
        Covariate("ecog_2_plus", f"ECOG ≥ {ECOG_POOR_FROM} (vs < {ECOG_POOR_FROM})", lambda s: _flag(_ecog_poor(s))),
        Covariate("wbc", "WBC, per 10 ×10⁹/L", lambda s: _per(_baseline(s, "wbc_1e9_per_l"), 10)),
        Covariate("bm_blasts", "Bone-marrow blasts, per 10%", lambda s: _per(_baseline(s, "marrow_blast_percent"), 10)),
        Covariate(
            "high_risk_cytogenetics", "High-risk cytogenetics (vs not)", lambda s: _flag(s.high_risk_cytogenetics)
        ),
        Covariate("tp53", "TP53 mutation (vs wild type)", lambda s: _flag(_tp53(s))),
        Covariate("cd22", "CD22 expression, per 10%", lambda s: _per(_baseline(s, "cd22_percent"), 10)),
        Covariate("prior_sct", "Prior allogeneic SCT (vs none)", lambda s: _flag(_baseline(s, "prior_allogeneic_sct"))),
        Covariate("salvage_2_plus", "Salvage 2 or later (vs salvage 1)", _later_salvage),
        Covariate("cns", "CNS disease at start (vs none)", lambda s: _flag(_baseline(s, "cns_disease_at_start"))),
    ]
}
SCT = ("sct", "Allogeneic SCT on study (time-dependent)")
VERSION_KEY = "later_version"


@dataclass(frozen=True)
class CoxRow:
    key: str
    label: str
    univariate: statistics.CoxModel
    multivariate: statistics.HazardRatio | None


@dataclass(frozen=True)
class CoxReport:
    """Univariate models (one per covariate, SCT included) and the multivariate model of SCT and every picked
    covariate, over complete cases."""

    cohort: CohortSummary
    endpoint: EndpointDefinition
    picked: list[str]
    rows: list[CoxRow]
    multivariate: statistics.CoxModel

    @property
    def test(self) -> str:
        return statistics.COX


def cox_covariates(version_labels: list[str]) -> dict[str, str]:
    """The covariates a user may pick, key → label: the Table 1 characteristics, and the protocol version when the
    trial has two (labels in effective-date order)."""
    choices = {key: c.label for key, c in COX_COVARIATES.items()}
    if len(version_labels) == 2:
        first, later = version_labels
        choices[VERSION_KEY] = f"{later} version (vs {first})"
    return choices


def _intervals(definition: EndpointDefinition, cohort: Cohort, keys: list[str]) -> list[dict]:
    """Counting-process rows (days from the endpoint's origin): one per patient, split at the first SCT so that
    the SCT covariate is 0 before it and 1 after. A time of 0 days becomes half a day (a Cox model reads only the
    order of the times, and an interval must not be empty)."""
    thresholds = ProtocolThresholds()
    later = {g.code: i > 0 for i, g in enumerate(cohort.versions)}
    rows = []
    for o in cohort.everyone.outcomes:
        days = definition.duration_days(o.endpoints)
        if days is None:
            continue
        stop = max(float(days), 0.5)
        summary = baseline_summary(o.patient, getattr(o.patient, "baseline", None), thresholds=thresholds)
        values = {key: COX_COVARIATES[key].value(summary) for key in keys if key in COX_COVARIATES}
        if VERSION_KEY in keys:
            values[VERSION_KEY] = float(later.get(o.patient.protocol_version.code, False))
        event = bool(definition.event(o.endpoints))
        transplant = _days_to_transplant(definition, o)
        base = {"id": o.patient.pk, **values}
        if transplant is None or transplant >= days:
            rows.append({**base, "start": 0.0, "stop": stop, "event": event, SCT[0]: 0.0})
        elif transplant <= 0:
            rows.append({**base, "start": 0.0, "stop": stop, "event": event, SCT[0]: 1.0})
        else:
            rows.append({**base, "start": 0.0, "stop": float(transplant), "event": False, SCT[0]: 0.0})
            rows.append({**base, "start": float(transplant), "stop": stop, "event": event, SCT[0]: 1.0})
    return rows


def cox(cohort: Cohort, endpoint: str, picked: list[str]) -> CoxReport:
    """Cox regression of the endpoint on SCT (time-dependent) and the picked covariates, univariate and
    multivariate (hazard ratios with 95% CIs, Wald p; lifelines)."""
    definition = ENDPOINTS[endpoint]
    labels = cox_covariates([g.label for g in cohort.versions])
    labels.setdefault(VERSION_KEY, "Later protocol version (vs the first)")  # one version kept: constant, said so
    picked = [key for key in picked if key in labels]
    intervals = _intervals(definition, cohort, picked)
    terms = [SCT, *((key, labels[key]) for key in picked)]
    multivariate = statistics.cox_time_varying(intervals, terms)
    ratios = {r.key: r for r in multivariate.ratios}
    rows = [
        CoxRow(key, label, statistics.cox_time_varying(intervals, [(key, label)]), ratios.get(key))
        for key, label in terms
    ]
    return CoxReport(cohort.summary(), definition, picked, rows, multivariate)


# --- Dashboard ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dashboard:
    """The dashboard's numbers: best response and overall survival (with its landmarks)."""

    table2: Table2
    os: SurvivalReport

    @property
    def cohort(self) -> CohortSummary:
        return self.table2.cohort


def dashboard(cohort: Cohort) -> Dashboard:
    return Dashboard(table2(cohort), survival(cohort, "os"))


# --- Swimmer plot ----------------------------------------------------------------------------------------

SWIMMER_SORTS = {
    "version": "protocol version, then time on study",
    "time": "time on study",
}


@dataclass(frozen=True)
class SwimmerLane:
    """One patient's course from the start of therapy, in months (``None``: did not happen by the cut-off)."""

    subject_id: str
    version: str  # the group label of the patient's protocol version
    months: float  # to death or the last date known alive
    response: float | None
    mrd_negative: float | None
    transplant: float | None
    relapse: float | None
    died: bool


@dataclass(frozen=True)
class Swimmer:
    cohort: CohortSummary
    lanes: list[SwimmerLane]
    sort: str


def swimmer(cohort: Cohort, sort: str = "version") -> Swimmer:
    """One lane per treated patient: first response, first MRD-negative evaluation, allogeneic SCT, relapse, and
    death or alive at the last contact; from the same endpoints and records as the other reports."""
    labels = {g.code: g.label for g in cohort.versions}
    lanes = []
    for o in cohort.everyone.outcomes:
        e = o.endpoints
        if e.treatment_start is None or e.os_days is None:
            continue

        def months(day, start=e.treatment_start):
            return None if day is None else (day - start).days / DAYS_PER_MONTH

        mrd = next(
            (h.evaluation.assessed_on for h in o.history if h.evaluation.mrd_flow == MRDResult.NOT_DETECTED), None
        )
        transplant = first_transplant(o)
        lanes.append(
            SwimmerLane(
                subject_id=o.patient.subject_id,
                version=labels.get(o.patient.protocol_version.code, o.patient.protocol_version.code),
                months=e.os_days / DAYS_PER_MONTH,
                response=months(e.first_response_date),
                mrd_negative=months(mrd) if e.responded else None,
                transplant=months(transplant),
                relapse=months(e.relapse_date),
                died=e.os_event,
            )
        )
    order = list(labels.values())
    if sort == "time":
        lanes.sort(key=lambda lane: -lane.months)
    else:
        lanes.sort(key=lambda lane: (order.index(lane.version) if lane.version in order else len(order), -lane.months))
    return Swimmer(cohort.summary(), lanes, sort if sort in SWIMMER_SORTS else "version")
