"""Baseline values that are derived, never typed: salvage status, high-risk cytogenetics,
rituximab indication and age. Pure functions over plain values (no database); thresholds are
passed in by the caller, who reads them from the patient's protocol version.

Each function answers None when an input it needs is missing, so an incomplete baseline shows
"not derivable yet" rather than a wrong category.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ..choices import KaryotypeGroup, SalvageStatus, YesNoUnknown

HIGH_RISK_KARYOTYPE_GROUPS = frozenset({KaryotypeGroup.KMT2A, KaryotypeGroup.LOW_HYPODIPLOIDY})
# Karyotype groups that say nothing about KMT2A or ploidy (no result).
UNINFORMATIVE_KARYOTYPE_GROUPS = frozenset({"", KaryotypeGroup.INSUFFICIENT})


def salvage_status(
    *,
    primary_refractory: bool | None,
    first_remission_duration_months: Decimal | float | int | None,
    prior_salvage_lines: int | None,
    crd1_threshold_months: Decimal | float | int,
) -> SalvageStatus | None:
    """The patient's salvage line on study (Table 1 of the paper).

    The salvage line is ``prior_salvage_lines + 1``. Salvage 1 is split by how the first
    remission went: never reached (primary refractory), shorter than ``crd1_threshold_months``,
    or at least that long. Salvage 2 and ≥ 3 need only the number of prior salvage lines.
    """
    if prior_salvage_lines is None:
        return None
    if prior_salvage_lines >= 2:
        return SalvageStatus.S3_PLUS
    if prior_salvage_lines == 1:
        return SalvageStatus.S2
    if primary_refractory is None:
        return None
    if primary_refractory:
        return SalvageStatus.S1_PRIMARY_REFRACTORY
    if first_remission_duration_months is None:
        return None
    if Decimal(str(first_remission_duration_months)) < Decimal(str(crd1_threshold_months)):
        return SalvageStatus.S1_CRD1_SHORT
    return SalvageStatus.S1_CRD1_LONG


def high_risk_cytogenetics(
    *,
    karyotype_group: str,
    kmt2a_rearranged: str,
    low_hypodiploidy_near_triploidy: str,
) -> bool | None:
    """High-risk cytogenetics = low hypodiploidy/near triploidy or KMT2A rearrangement (paper, Table 1).

    True when the karyotype group or either finding says so. False when neither can be present:
    both findings are "no", or the karyotype gave another result and neither finding is "yes".
    None when there is no karyotype result and a finding is unknown or not recorded.
    """
    if (
        karyotype_group in HIGH_RISK_KARYOTYPE_GROUPS
        or kmt2a_rearranged == YesNoUnknown.YES
        or low_hypodiploidy_near_triploidy == YesNoUnknown.YES
    ):
        return True
    if kmt2a_rearranged == YesNoUnknown.NO and low_hypodiploidy_near_triploidy == YesNoUnknown.NO:
        return False
    if karyotype_group not in UNINFORMATIVE_KARYOTYPE_GROUPS:
        return False
    return None


def rituximab_indicated(cd20_percent: Decimal | float | int | None, threshold: Decimal | float | int) -> bool | None:
    """Whether rituximab is indicated: CD20 on at least ``threshold`` % of blasts (§3.3)."""
    if cd20_percent is None:
        return None
    return Decimal(str(cd20_percent)) >= Decimal(str(threshold))


def age_at(date_of_birth: date | None, on_date: date | None) -> int | None:
    """Age in whole years on ``on_date``: one year more only once the birthday has come.

    Someone born on 29 February becomes a year older on 1 March in common years (their birthday
    has not come on 28 February). None when a date is missing or ``on_date`` is before birth.
    """
    if date_of_birth is None or on_date is None or on_date < date_of_birth:
        return None
    before_birthday = (on_date.month, on_date.day) < (date_of_birth.month, date_of_birth.day)
    return on_date.year - date_of_birth.year - int(before_birthday)
