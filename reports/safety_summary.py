"""The safety summary over a :class:`~reports.selectors.Cohort`: SOS incidence (all patients and those who had an
allogeneic SCT), the time from the last inotuzumab dose to the SCT, and the open urgent safety flags.

As known by the data cut-off: an SOS with onset, an SCT or a dose after it does not count. SOS is the CTCAE term
whose MedDRA code is the protocol's ``sos_meddra_code`` (:func:`adverse_events.selectors.sos_onsets`); the SCTs are
the cohort's transplants done by the cut-off (its first one counts); doses are the inotuzumab administrations
recorded as given (the drug whose cumulative dose the protocol data limits, as the SOS rules read it). The flags
are the current ones (a flag has no cut-off): open or acknowledged, urgent, of the cohort's site and protocol
version filters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Max
from django.utils import timezone

from adverse_events.selectors import sos_onsets
from dosing.choices import AdministrationStatus
from dosing.selectors import administrations_for
from safety.choices import Severity
from safety.selectors import flags_for

from . import statistics
from .selectors import Cohort, CohortSummary, first_transplant

FLAG_LIST_LIMIT = 100


@dataclass(frozen=True)
class SOSRow:
    key: str
    label: str
    denominator: str  # the N in words
    cells: list[statistics.Proportion]  # one per group, in the order of the cohort's groups
    comparison: statistics.TestResult  # between the protocol versions


@dataclass(frozen=True)
class TimeToSCT:
    """Days from the last inotuzumab dose given on or before the first SCT to that SCT, per group."""

    cells: list[statistics.Distribution]
    comparison: statistics.TestResult


@dataclass(frozen=True)
class FlagCount:
    rule_code: str
    title: str
    count: int


@dataclass(frozen=True)
class SafetySummary:
    cohort: CohortSummary
    sos: list[SOSRow]
    last_inotuzumab_to_sct: TimeToSCT
    flag_counts: list[FlagCount]
    flags: list  # the open urgent flags (safety.Flag), most recent first, at most FLAG_LIST_LIMIT
    flag_total: int


def _inotuzumab_dates(user, patient_ids, cutoff: date | None) -> dict[int, list[date]]:
    given = (
        administrations_for(user, status=AdministrationStatus.GIVEN)
        .filter(course__patient_id__in=list(patient_ids), given_at__isnull=False)
        # Inotuzumab as the protocol data name it, as the SOS rules read it: the drug with a cumulative maximum.
        .exclude(drug__cumulative_limit_parameter="")
        .values_list("course__patient_id", "given_at")
    )
    dates: dict[int, list[date]] = {}
    for patient_id, given_at in given:
        day = timezone.localtime(given_at).date()
        if cutoff is None or day <= cutoff:
            dates.setdefault(patient_id, []).append(day)
    return dates


def _sos_rows(cohort: Cohort, sos: dict[int, date], sct: dict[int, date | None]) -> list[SOSRow]:
    def row(key, label, denominator, of):
        cells = []
        for group in cohort.groups:
            ids = [o.patient.pk for o in group.outcomes if of(o.patient.pk)]
            cells.append(statistics.proportion(sum(1 for pk in ids if pk in sos), len(ids)))
        comparison = statistics.compare_proportions([(c.n, c.total) for c in cells[1:]])
        return SOSRow(key, label, denominator, cells, comparison)

    return [
        row("sos", "Sinusoidal obstruction syndrome (SOS/VOD)", "patients", lambda pk: True),
        row(
            "sos_sct",
            "SOS in patients who had an allogeneic SCT",
            "patients with an allogeneic SCT",
            lambda pk: sct[pk] is not None,
        ),
    ]


def _days_to_sct(sct: date | None, doses: list[date]) -> int | None:
    before = [d for d in doses if sct is not None and d <= sct]
    return (sct - max(before)).days if before else None


def safety_summary(cohort: Cohort, *, user) -> SafetySummary:
    """SOS n/N (%) with the exact 95% CI by all and by version (Fisher exact between versions), overall and in the
    SCT subgroup; median (range) days from the last inotuzumab dose to the SCT (Mann–Whitney U between versions);
    the open urgent flags by rule and listed. A fixed number of queries, whatever the number of patients."""
    cutoff = cohort.filters.cutoff
    outcomes = cohort.everyone.outcomes
    ids = [o.patient.pk for o in outcomes]
    sos = sos_onsets(user, ids, onset_by=cutoff)
    sct = {o.patient.pk: first_transplant(o) for o in outcomes}
    doses = _inotuzumab_dates(user, ids, cutoff)
    days = {pk: _days_to_sct(sct[pk], doses.get(pk, [])) for pk in ids}
    by_group = [[days[o.patient.pk] for o in group.outcomes] for group in cohort.groups]
    time_to_sct = TimeToSCT(
        [statistics.distribution(values) for values in by_group], statistics.compare_distributions(by_group[1:])
    )

    filters = cohort.filters
    flags = flags_for(user, status="active", severity=Severity.URGENT, site=filters.site.code if filters.site else "")
    if filters.protocol_version is not None:
        flags = flags.filter(patient__protocol_version=filters.protocol_version)
    flag_list = list(flags[:FLAG_LIST_LIMIT])
    by_rule = [
        FlagCount(row["rule_code"], row["rule_title"], row["n"])
        for row in flags.order_by().values("rule_code").annotate(n=Count("id"), rule_title=Max("title"))
    ]
    return SafetySummary(
        cohort.summary(),
        _sos_rows(cohort, sos, sct),
        time_to_sct,
        sorted(by_rule, key=lambda c: (-c.count, c.rule_code)),
        flag_list,
        sum(c.count for c in by_rule),
    )
