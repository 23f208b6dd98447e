"""SOS risk rules (PROTOCOL.md §5).

Risk factors named in the paper: cumulative inotuzumab above 3–3.5 mg/m² before SCT, a short interval from
the last inotuzumab dose to SCT, dual-alkylator conditioning (clofarabine + busulfan) and the absence of
ursodiol prophylaxis; SOS itself is recognised by established clinical criteria (modified Seattle /
Baltimore: bilirubin ≥ 2 mg/dL plus two of hepatomegaly, ascites, weight gain ≥ 5%). Every threshold is a
parameter of the patient's protocol version (``ctx.param``); the constants below are facts of chemistry,
codes of the trial's dictionaries, or readings the paper leaves open, each with its source.
"""

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from adverse_events.choices import UnitSystem
from core.formatting import plain_number as plain
from dosing.choices import AdministrationStatus
from dosing.derivations.doses import cumulative_given_per_m2, round_per_m2
from patients.choices import ConditioningAgent, TransplantStatus

from ..choices import RuleKind, Severity
from . import finding, rule

# PROTOCOL.md §5: "dual-alkylator conditioning (clofarabine + busulfan)" is a named SOS risk factor; a
# conditioning regimen holding both agents after inotuzumab is flagged (SOS-05).
DUAL_ALKYLATOR_CONDITIONING = frozenset({ConditioningAgent.CLOFARABINE, ConditioningAgent.BUSULFAN})

# Drug code of ursodiol in the trial's drug dictionary (trial.yaml; PROTOCOL.md §3.7: SOS prophylaxis from
# the September 2015 amendment, planned by the regimen data during the inotuzumab courses).
URSODIOL = "ursodiol"

# The CTCAE lab term under which serum bilirubin is recorded. Which adverse events count as SOS findings (CTCAE
# "Ascites", "Weight gain") is protocol data: the MedDRA codes ``sos_ascites_meddra_code`` and
# ``sos_weight_gain_meddra_code`` (CTCAE v5.0 has no hepatomegaly term).
BILIRUBIN_LAB_TERM = "Blood bilirubin increased"
AE_FINDING_PARAMETERS = {"ascites": "sos_ascites_meddra_code", "weight_gain": "sos_weight_gain_meddra_code"}

# Bilirubin (C33H36N4O6) has a molar mass of 584.66 g/mol: 1 mg/dL = 10 mg/L ÷ 584.66 g/mol = 17.1 µmol/L,
# the conventional factor between SI (µmol/L) and US conventional (mg/dL) bilirubin.
BILIRUBIN_UMOL_L_PER_MG_DL = Decimal("17.1")
BILIRUBIN_MG_DL_UNITS = {"mg/dl"}
BILIRUBIN_UMOL_L_UNITS = {"umol/l", "µmol/l", "μmol/l", "micromol/l"}

# How close in time the other findings must be to the bilirubin (days either side): a protocol parameter.
SOS_FINDINGS_WINDOW_PARAMETER = "sos_findings_window_days"

ACTIVE_TRANSPLANT = (TransplantStatus.PLANNED, TransplantStatus.DONE)


def inotuzumab_dates(ctx):
    return sorted(d for d in (ctx.given_on(a) for a in ctx.tracked_drug_given()) if d)


def sos_window(ctx, dates):
    """First inotuzumab dose → the SOS reporting window (months, protocol data) after the last one."""
    return dates[0], dates[-1] + relativedelta(months=int(ctx.param("sos_reporting_window_months")))


def cumulative_per_m2(ctx, *, until=None) -> Decimal:
    """Inotuzumab given per m² (the plan's per-m² scaled by the fraction given; BSA of the dose's course),
    counting the doses given on or before ``until`` when it is given."""
    doses = [
        a
        for a in ctx.tracked_drug_given()
        if until is None or (ctx.given_on(a) is not None and ctx.given_on(a) <= until)
    ]
    total = cumulative_given_per_m2(doses)
    return round_per_m2(total)  # the dosing app's precision: arithmetic noise never raises or clears a flag


def transplants(ctx):
    """Allogeneic SCTs planned or done (a cancelled one carries no risk)."""
    return [t for t in ctx.transplants if t.status in ACTIVE_TRANSPLANT]


def transplant_evidence(t) -> dict:
    return {"transplant": t.pk, "transplant_date": str(t.transplant_date), "transplant_status": t.status}


def sct_words(t) -> str:
    return f"The SCT {'planned for' if t.status == TransplantStatus.PLANNED else 'done on'} {t.transplant_date}"


@rule("SOS-01", RuleKind.SOS_RISK, "SOS risk window open", Severity.INFO)
def sos_risk_window(ctx):
    """From the first inotuzumab dose to the SOS reporting window after the last one."""
    dates = inotuzumab_dates(ctx)
    if not dates:
        return []
    _start, end = sos_window(ctx, dates)
    if ctx.today > end:
        return []
    return [
        finding(
            sos_risk_window,
            f"Any SOS from {dates[0]} to {end} is reported (last inotuzumab dose {dates[-1]}).",
            window_start=dates[0],
            window_end=end,
            evidence={"first_inotuzumab": str(dates[0]), "last_inotuzumab": str(dates[-1])},
        )
    ]


@rule("SOS-02", RuleKind.SOS_RISK, "SCT too close to inotuzumab", Severity.WARNING)
def sct_too_close_to_inotuzumab(ctx):
    """An SCT (planned or done) dated fewer than ``sct_min_days_after_inotuzumab`` days after the last
    inotuzumab dose given on or before it (PROTOCOL.md §5: a short interval from the last dose to SCT).
    One flag per transplant; an SCT exactly at the minimum interval is not flagged."""
    dates = inotuzumab_dates(ctx)
    if not dates:
        return []
    minimum = int(ctx.param("sct_min_days_after_inotuzumab"))
    found = []
    for t in transplants(ctx):
        before = [d for d in dates if d <= t.transplant_date]
        if not before:
            continue
        last = before[-1]
        interval = (t.transplant_date - last).days
        if interval >= minimum:
            continue
        found.append(
            finding(
                sct_too_close_to_inotuzumab,
                f"{sct_words(t)} is {interval} days after the last inotuzumab dose ({last}); "
                f"the protocol asks for at least {minimum} days.",
                key=f"sct{t.pk}",
                window_start=last,
                window_end=t.transplant_date,
                evidence=transplant_evidence(t)
                | {"last_inotuzumab": str(last), "interval_days": interval, "minimum_days": minimum},
            )
        )
    return found


@rule("SOS-03", RuleKind.SOS_RISK, "Cumulative inotuzumab above the maximum", Severity.URGENT)
def cumulative_above_maximum(ctx):
    """The patient's cumulative inotuzumab per m² is above the protocol maximum
    (``inotuzumab_cumulative_max_mg_m2``; PROTOCOL.md §3.2, §5). Exactly at the maximum is not flagged."""
    dates = inotuzumab_dates(ctx)
    if not dates:
        return []
    maximum = ctx.param("inotuzumab_cumulative_max_mg_m2")
    total = cumulative_per_m2(ctx)
    if total <= maximum:
        return []
    return [
        finding(
            cumulative_above_maximum,
            f"Cumulative inotuzumab is {plain(total)} mg/m², above the protocol maximum of {plain(maximum)} mg/m².",
            key="inotuzumab",
            window_start=dates[0],
            window_end=dates[-1],
            evidence={
                "cumulative_mg_m2": plain(total),
                "maximum_mg_m2": plain(maximum),
                "doses": len(dates),
                "last_inotuzumab": str(dates[-1]),
            },
        )
    ]


@rule("SOS-04", RuleKind.SOS_RISK, "Cumulative inotuzumab above the SCT risk level before SCT", Severity.WARNING)
def cumulative_above_risk_before_sct(ctx):
    """An SCT (planned or done) after a cumulative inotuzumab per m² (doses given on or before the SCT date)
    above ``sos_risk_inotuzumab_cumulative_mg_m2`` (PROTOCOL.md §5: cumulative > 3–3.5 mg/m² followed by SCT).
    One flag per transplant; a cumulative exactly at the level is not flagged."""
    if not ctx.tracked_drug_given():
        return []
    level = ctx.param("sos_risk_inotuzumab_cumulative_mg_m2")
    found = []
    for t in transplants(ctx):
        total = cumulative_per_m2(ctx, until=t.transplant_date)
        if total <= level:
            continue
        found.append(
            finding(
                cumulative_above_risk_before_sct,
                f"{sct_words(t)} follows {plain(total)} mg/m² of inotuzumab, above the SOS risk level of "
                f"{plain(level)} mg/m².",
                key=f"sct{t.pk}",
                window_end=t.transplant_date,
                evidence=transplant_evidence(t)
                | {"cumulative_before_sct_mg_m2": plain(total), "risk_level_mg_m2": plain(level)},
            )
        )
    return found


@rule("SOS-05", RuleKind.SOS_RISK, "Dual-alkylator conditioning after inotuzumab", Severity.WARNING)
def dual_alkylator_conditioning(ctx):
    """An SCT (planned or done) after an inotuzumab dose whose conditioning agents include both
    clofarabine and busulfan (:data:`DUAL_ALKYLATOR_CONDITIONING`; PROTOCOL.md §5). One flag per transplant."""
    dates = inotuzumab_dates(ctx)
    found = []
    for t in transplants(ctx):
        if not any(d <= t.transplant_date for d in dates):
            continue
        agents = set(t.conditioning_agents or [])
        if not DUAL_ALKYLATOR_CONDITIONING.issubset(agents):
            continue
        pair = " + ".join(sorted(DUAL_ALKYLATOR_CONDITIONING))
        found.append(
            finding(
                dual_alkylator_conditioning,
                f"{sct_words(t)} after inotuzumab uses dual-alkylator conditioning ({pair}).",
                key=f"sct{t.pk}",
                window_end=t.transplant_date,
                evidence=transplant_evidence(t)
                | {
                    "conditioning_agents": sorted(agents),
                    "conditioning_regimen": t.conditioning_regimen,
                    "last_inotuzumab_before_sct": str(max(d for d in dates if d <= t.transplant_date)),
                },
            )
        )
    return found


@rule("SOS-06", RuleKind.SOS_RISK, "No ursodiol while on inotuzumab", Severity.WARNING)
def no_ursodiol(ctx):
    """A course in which inotuzumab was given, whose plan includes ursodiol (the regimen data plans it for
    courses from the September 2015 amendment on; PROTOCOL.md §3.7, §5), and whose ursodiol is not recorded
    as given once the course's inotuzumab doses are over (at least one given, none still pending).
    One flag per course."""
    by_course = defaultdict(list)
    for a in ctx.administrations:
        by_course[a.course_id].append(a)
    found = []
    for course in ctx.courses:
        administrations = by_course[course.pk]
        inotuzumab = [a for a in administrations if a.drug.cumulative_limit_parameter]
        given = sorted(d for d in (ctx.given_on(a) for a in inotuzumab if a.status == AdministrationStatus.GIVEN) if d)
        if not given or any(a.status == AdministrationStatus.PENDING for a in inotuzumab):
            continue
        ursodiol = [a for a in administrations if a.drug.code == URSODIOL]
        if not ursodiol or any(a.status == AdministrationStatus.GIVEN for a in ursodiol):
            continue
        statuses = sorted({a.status for a in ursodiol})
        labels = sorted({a.get_status_display().lower() for a in ursodiol})
        found.append(
            finding(
                no_ursodiol,
                f"Course {course.course_number}: inotuzumab was given (last dose {given[-1]}) but the planned "
                f"ursodiol prophylaxis is not recorded as given ({', '.join(labels)}).",
                key=f"course{course.pk}",
                window_start=course.start_date,
                window_end=given[-1],
                evidence={
                    "course": course.pk,
                    "course_number": course.course_number,
                    "inotuzumab_given": [str(d) for d in given],
                    "ursodiol_status": statuses,
                },
            )
        )
    return found


def bilirubin_mg_dl(lab) -> Decimal:
    """A bilirubin value in mg/dL: µmol/L ÷ 17.1; a unit not written (or not recognised) is the unit system's
    own unit for bilirubin (SI µmol/L, US conventional mg/dL)."""
    unit = (lab.unit or "").strip().casefold()
    value = Decimal(lab.value)
    if unit in BILIRUBIN_MG_DL_UNITS:
        return value
    if unit in BILIRUBIN_UMOL_L_UNITS or lab.unit_system == UnitSystem.SI:
        return value / BILIRUBIN_UMOL_L_PER_MG_DL
    return value


def baseline_weight(ctx):
    """The weight of course 1 (the SOS criteria's weight gain is from the pre-treatment weight)."""
    first = next((c for c in ctx.courses if c.course_number == 1), None)
    return first.weight_kg if first is not None else None


def sos_findings(ctx, day, baseline_kg, weight_gain_min) -> dict:
    """The SOS findings besides bilirubin within the protocol's findings window of ``day``, by name."""
    window = timedelta(days=int(ctx.param(SOS_FINDINGS_WINDOW_PARAMETER)))
    low, high = day - window, day + window
    near = [o for o in ctx.observations if low <= o.observed_on <= high]
    findings = {}
    hepatomegaly = sorted({str(o.observed_on) for o in near if o.hepatomegaly})
    if hepatomegaly:
        findings["hepatomegaly"] = {"observed_on": hepatomegaly}
    from_aes = finding_adverse_events(ctx, low, high)
    ascites = sorted({f"observation {o.observed_on}" for o in near if o.ascites}) + from_aes["ascites"]
    if ascites:
        findings["ascites"] = {"seen": ascites}
    if baseline_kg:
        weights = [(o.weight_kg, o.observed_on, "observation") for o in near if o.weight_kg is not None]
        weights += [
            (c.weight_kg, c.start_date, f"course {c.course_number}")
            for c in ctx.courses
            if c.course_number > 1 and low <= c.start_date <= high
        ]
        gains = sorted(((Decimal(w) - baseline_kg) * 100 / baseline_kg, on, source, w) for w, on, source in weights)
        if gains and gains[-1][0] >= weight_gain_min:
            gain, on, source, weight = gains[-1]
            findings["weight_gain"] = {
                "percent": plain(gain.quantize(Decimal("0.1"))),
                "weight_kg": plain(weight),
                "baseline_kg": plain(baseline_kg),
                "on": str(on),
                "source": source,
            }
    if "weight_gain" not in findings and from_aes["weight_gain"]:
        findings["weight_gain"] = {"seen": from_aes["weight_gain"]}
    return findings


def finding_adverse_events(ctx, low, high) -> dict[str, list[str]]:
    """Adverse events whose CTCAE term is an SOS finding (by MedDRA code, protocol data) present between ``low``
    and ``high`` (onset on or before ``high``, not resolved before ``low``), by finding name."""
    codes = {name: str(int(ctx.param(key))) for name, key in AE_FINDING_PARAMETERS.items()}
    found = {name: [] for name in codes}
    for ae in ctx.adverse_events:
        if ae.onset_date > high or (ae.resolution_date is not None and ae.resolution_date < low):
            continue
        for name, code in codes.items():
            if str(ae.term.meddra_code) == code:
                found[name].append(f"adverse event {ae.onset_date} grade {ae.grade}")
    return {name: sorted(seen) for name, seen in found.items()}


def finding_words(name, detail) -> str:
    if name == "weight_gain" and "percent" in detail:
        return f"weight gain {detail['percent']}% ({detail['weight_kg']} kg on {detail['on']})"
    if name == "weight_gain":
        return f"weight gain ({', '.join(detail['seen'])})"
    return name


@rule("SOS-07", RuleKind.SOS_RISK, "Possible SOS", Severity.URGENT)
def possible_sos(ctx):
    """Within the SOS risk window (first inotuzumab dose → ``sos_reporting_window_months`` after the last),
    a bilirubin ≥ ``sos_bilirubin_min_mg_dl`` with at least ``sos_other_findings_min`` of hepatomegaly,
    ascites (observation or adverse event) and weight gain ≥ ``sos_weight_gain_min_percent`` over the
    course-1 weight (or an adverse event of weight gain), within the protocol's findings window of the
    bilirubin (PROTOCOL.md §5, modified Seattle/Baltimore). One flag per date of bilirubin (the highest value
    of the day)."""
    dates = inotuzumab_dates(ctx)
    if not dates:
        return []
    start, end = sos_window(ctx, dates)
    bilirubin_min = ctx.param("sos_bilirubin_min_mg_dl")
    needed = int(ctx.param("sos_other_findings_min"))
    weight_gain_min = ctx.param("sos_weight_gain_min_percent")
    window_days = int(ctx.param(SOS_FINDINGS_WINDOW_PARAMETER))
    highest = {}
    for lab in ctx.labs:
        if lab.lab_term != BILIRUBIN_LAB_TERM or not start <= lab.collected_on <= end:
            continue
        mg_dl = bilirubin_mg_dl(lab)
        if lab.collected_on not in highest or mg_dl > highest[lab.collected_on][0]:
            highest[lab.collected_on] = (mg_dl, lab)
    baseline_kg = baseline_weight(ctx)
    found = []
    for day, (mg_dl, lab) in sorted(highest.items()):
        if mg_dl < bilirubin_min:
            continue
        findings = sos_findings(ctx, day, baseline_kg, weight_gain_min)
        if len(findings) < needed:
            continue
        shown = plain(mg_dl.quantize(Decimal("0.01")))
        as_recorded = f" ({plain(lab.value)} {lab.unit or lab.get_unit_system_display()})" if mg_dl != lab.value else ""
        found.append(
            finding(
                possible_sos,
                f"Possible SOS: bilirubin {shown} mg/dL{as_recorded} on {day} with "
                + ", ".join(finding_words(name, detail) for name, detail in findings.items())
                + f" (criteria: bilirubin ≥ {plain(bilirubin_min)} mg/dL and {needed} of hepatomegaly, ascites, "
                f"weight gain ≥ {plain(weight_gain_min)}%).",
                key=f"bilirubin{day.isoformat()}",
                window_start=day - timedelta(days=window_days),
                window_end=day + timedelta(days=window_days),
                evidence={
                    "bilirubin": {
                        "collected_on": str(day),
                        "value": plain(lab.value),
                        "unit": lab.unit,
                        "unit_system": lab.unit_system,
                        "mg_dl": shown,
                    },
                    "findings": findings,
                    "bilirubin_min_mg_dl": plain(bilirubin_min),
                    "findings_min": needed,
                    "weight_gain_min_percent": plain(weight_gain_min),
                    "findings_window_days": window_days,
                },
            )
        )
    return found
