"""The SOS risk rules SOS-02 … SOS-07 (PROTOCOL.md §5), each raised and not raised at its boundary.

Everything goes through the services (course_start, dose_record, transplant_record, lab_result_record,
clinical_observation_record, adverse_event_report), then ``safety.services.patient_evaluate``; the tests read
the Flag rows. Courses use height 144 cm and weight 100 kg: a BSA of exactly 2.00 m² (Mosteller) and a
baseline weight of 100 kg, so per-m² totals and weight gains are exact.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail

from adverse_events.models import CTCAETerm
from adverse_events.services import adverse_event_report, clinical_observation_record, lab_result_record
from core.audit.trail import record_history
from dosing.services import course_start, dose_override_authorise, dose_record
from patients.services.outcomes import transplant_record, transplant_update
from safety.models import Flag
from safety.rules.sos import BILIRUBIN_LAB_TERM
from safety.services import patient_evaluate
from safety.tests.helpers import START, at

SOS_FINDINGS_WINDOW_DAYS = 7  # the protocol data's sos_findings_window_days
INO = "inotuzumab-ozogamicin"
HEIGHT, WEIGHT = Decimal(144), Decimal(100)  # BSA 2.00 m²
# Amended course 1: inotuzumab on day 2 (0.6 mg/m²) and day 8 (0.3 mg/m²); the last dose is on day 8.
LAST_DOSE = START + timedelta(days=7)
BILIRUBIN_DAY = date(2024, 2, 1)


def begin(nurse, patient, when=START, weight=WEIGHT, **kw):
    return course_start(actor=nurse, patient=patient, start_date=when, height_cm=HEIGHT, weight_kg=weight, **kw)


def planned(course, code=INO):
    return list(course.administrations.filter(drug__code=code).order_by("planned_date", "dose_number"))


def give(nurse, administration, dose=None, **kw):
    return dose_record(
        actor=nurse,
        administration=administration,
        status="given",
        given_at=at(administration.planned_date),
        dose_given=administration.planned_dose if dose is None else dose,
        **kw,
    )


def give_inotuzumab(nurse, course):
    for administration in planned(course):
        give(nurse, administration)
    return course


def evaluate(patient):
    return patient_evaluate(patient_id=patient.pk)


def open_flags(patient, code):
    return list(Flag.objects.filter(patient=patient, rule_code=code, status="open"))


@pytest.fixture
def treated(nurse_a, make_patient):
    """An amended patient whose course 1 inotuzumab (day 2 and day 8) has been given."""
    patient = make_patient()
    give_inotuzumab(nurse_a, begin(nurse_a, patient))
    return patient


def sct(nurse, patient, when, status="done", agents=()):
    return transplant_record(
        actor=nurse,
        patient=patient,
        status=status,
        transplant_date=when,
        donor_type="matched_unrelated",
        conditioning_agents=list(agents),
    )


# SOS-02: SCT too close to inotuzumab (sct_min_days_after_inotuzumab = 98 days).


def test_sct_exactly_at_the_minimum_interval_is_not_flagged(nurse_a, treated):
    sct(nurse_a, treated, LAST_DOSE + timedelta(days=98), status="planned")
    evaluate(treated)
    assert open_flags(treated, "SOS-02") == []


def test_sct_one_day_short_of_the_minimum_interval_is_flagged_and_moving_it_resolves_the_flag(nurse_a, treated):
    transplant = sct(nurse_a, treated, LAST_DOSE + timedelta(days=97), status="planned")
    evaluate(treated)
    (flag,) = open_flags(treated, "SOS-02")
    assert flag.severity == "warning"
    assert flag.evidence == {
        "transplant": transplant.pk,
        "transplant_date": str(LAST_DOSE + timedelta(days=97)),
        "transplant_status": "planned",
        "last_inotuzumab": str(LAST_DOSE),
        "interval_days": 97,
        "minimum_days": 98,
    }
    assert "97 days after the last inotuzumab dose" in flag.message
    transplant_update(
        actor=nurse_a, transplant=transplant, reason="Date moved", transplant_date=LAST_DOSE + timedelta(days=98)
    )
    counts = evaluate(treated)
    flag.refresh_from_db()
    assert counts["resolved"] >= 1
    assert flag.status == "resolved" and "no longer holds" in flag.resolution


# SOS-03: cumulative inotuzumab above the maximum (amended: 2.7 mg/m²).


def four_amended_courses(nurse, patient):
    """Courses 1–4 of the amended version, the inotuzumab of courses 1–3 given as planned (2.1 mg/m²)."""
    courses = [begin(nurse, patient, when=START + timedelta(days=28 * i)) for i in range(4)]
    for course in courses[:3]:
        give_inotuzumab(nurse, course)
    return courses


def test_cumulative_exactly_at_the_maximum_is_not_flagged(nurse_a, make_patient):
    patient = make_patient()
    courses = four_amended_courses(nurse_a, patient)
    give_inotuzumab(nurse_a, courses[-1])
    evaluate(patient)
    assert open_flags(patient, "SOS-03") == []


def test_cumulative_above_the_maximum_is_an_urgent_flag(nurse_a, investigator_a, password, make_patient):
    patient = make_patient()
    courses = four_amended_courses(nurse_a, patient)
    day2, day8 = planned(courses[-1])
    give(nurse_a, day2)
    dose_override_authorise(
        actor=investigator_a, administration=day8, dose_given=Decimal("0.8"), reason="Clinical need", password=password
    )
    give(nurse_a, day8, dose=Decimal("0.8"), reason="Override authorised")  # 0.4 mg/m² instead of 0.3
    evaluate(patient)
    (flag,) = open_flags(patient, "SOS-03")
    assert flag.severity == "urgent"
    assert (flag.evidence["cumulative_mg_m2"], flag.evidence["maximum_mg_m2"]) == ("2.8", "2.7")


# SOS-04: cumulative inotuzumab above the SCT risk level (3.0 mg/m²) before SCT — original version, higher level.


@pytest.mark.parametrize(("course_2_dose", "flagged"), [(Decimal("2.4"), False), (Decimal("2.6"), True)])
def test_cumulative_before_sct_at_and_above_the_risk_level(nurse_a, make_patient, course_2_dose, flagged):
    """1.8 mg/m² in course 1, then 1.2 (reduced) or 1.3 mg/m² in course 2: 3.0 (at the level) or 3.1 (above)."""
    patient = make_patient(version="original")
    give_inotuzumab(nurse_a, begin(nurse_a, patient, inotuzumab_dose_level="higher"))
    (course_2_dose_row,) = planned(begin(nurse_a, patient, when=START + timedelta(days=28)))
    give(nurse_a, course_2_dose_row, dose=course_2_dose, reason="Dose reduced for toxicity")
    transplant = sct(nurse_a, patient, START + timedelta(days=200))
    evaluate(patient)
    flags = open_flags(patient, "SOS-04")
    assert len(flags) == int(flagged)
    if flagged:
        assert flags[0].evidence["cumulative_before_sct_mg_m2"] == "3.1"
        assert flags[0].evidence["risk_level_mg_m2"] == "3"
        assert flags[0].dedup_key == f"SOS-04:{patient.pk}:sct{transplant.pk}"


def test_doses_after_the_sct_do_not_count_towards_the_cumulative_before_it(nurse_a, make_patient):
    patient = make_patient(version="original")
    give_inotuzumab(nurse_a, begin(nurse_a, patient, inotuzumab_dose_level="higher"))
    sct(nurse_a, patient, START + timedelta(days=20))  # 1.8 mg/m² before it
    give_inotuzumab(nurse_a, begin(nurse_a, patient, when=START + timedelta(days=28)))  # 3.1 in all
    evaluate(patient)
    assert open_flags(patient, "SOS-04") == []


# SOS-05: dual-alkylator conditioning (clofarabine + busulfan) after inotuzumab.


@pytest.mark.parametrize(
    ("agents", "flagged"),
    [
        (("busulfan", "fludarabine"), False),
        (("clofarabine", "fludarabine"), False),
        (("busulfan", "clofarabine"), True),
    ],
)
def test_dual_alkylator_conditioning_after_inotuzumab(nurse_a, treated, agents, flagged):
    sct(nurse_a, treated, LAST_DOSE + timedelta(days=120), agents=agents)
    evaluate(treated)
    flags = open_flags(treated, "SOS-05")
    assert len(flags) == int(flagged)
    if flagged:
        assert flags[0].evidence["conditioning_agents"] == ["busulfan", "clofarabine"]


def test_dual_alkylator_conditioning_without_inotuzumab_is_not_flagged(nurse_a, make_patient):
    patient = make_patient()
    begin(nurse_a, patient)  # no inotuzumab given
    sct(nurse_a, patient, START + timedelta(days=120), agents=("busulfan", "clofarabine"))
    evaluate(patient)
    assert open_flags(patient, "SOS-05") == []


def test_changing_the_conditioning_resolves_the_flag(nurse_a, treated):
    transplant = sct(
        nurse_a, treated, LAST_DOSE + timedelta(days=120), status="planned", agents=("busulfan", "clofarabine")
    )
    evaluate(treated)
    assert len(open_flags(treated, "SOS-05")) == 1
    transplant_update(
        actor=nurse_a, transplant=transplant, reason="Regimen changed", conditioning_agents=["fludarabine", "melphalan"]
    )
    evaluate(treated)
    assert open_flags(treated, "SOS-05") == []
    assert Flag.objects.get(patient=treated, rule_code="SOS-05").status == "resolved"


# SOS-06: no ursodiol while on inotuzumab.


def test_ursodiol_given_is_not_flagged(nurse_a, make_patient):
    patient = make_patient()
    course = give_inotuzumab(nurse_a, begin(nurse_a, patient))
    (ursodiol,) = planned(course, "ursodiol")
    give(nurse_a, ursodiol)
    evaluate(patient)
    assert open_flags(patient, "SOS-06") == []


def test_ursodiol_not_given_is_flagged_per_course_and_recording_it_later_resolves_the_flag(nurse_a, treated):
    course = treated.courses.get()
    evaluate(treated)
    (flag,) = open_flags(treated, "SOS-06")
    assert flag.dedup_key == f"SOS-06:{treated.pk}:course{course.pk}"
    assert flag.evidence == {
        "course": course.pk,
        "course_number": 1,
        "inotuzumab_given": [str(START + timedelta(days=1)), str(LAST_DOSE)],
        "ursodiol_status": ["pending"],
    }
    (ursodiol,) = planned(course, "ursodiol")
    give(nurse_a, ursodiol)
    evaluate(treated)
    flag.refresh_from_db()
    assert flag.status == "resolved"


def test_ursodiol_is_not_flagged_before_the_last_inotuzumab_dose_of_the_course(nurse_a, make_patient):
    patient = make_patient()
    day2, _day8 = planned(begin(nurse_a, patient))
    give(nurse_a, day2)
    evaluate(patient)
    assert open_flags(patient, "SOS-06") == []


def test_course_before_the_ursodiol_amendment_is_not_flagged(nurse_a, make_patient):
    """Courses before September 2015 have no ursodiol in their plan: nothing to flag."""
    patient = make_patient(version="original", registered=date(2015, 6, 1))
    course = give_inotuzumab(nurse_a, begin(nurse_a, patient, when=date(2015, 6, 3), inotuzumab_dose_level="higher"))
    assert planned(course, "ursodiol") == []
    evaluate(patient)
    assert open_flags(patient, "SOS-06") == []


# SOS-07: possible SOS (bilirubin ≥ 2 mg/dL with 2 of hepatomegaly, ascites, weight gain ≥ 5%).


def bilirubin(nurse, patient, value, day=BILIRUBIN_DAY, unit_system="US_conventional", unit="mg/dL"):
    uln = Decimal("1.2") if unit == "mg/dL" else Decimal(20)
    return lab_result_record(
        actor=nurse,
        patient=patient,
        lab_term=BILIRUBIN_LAB_TERM,
        collected_on=day,
        value=Decimal(value),
        unit_system=unit_system,
        unit=unit,
        upper_limit_normal=uln,
    )


def observe(nurse, patient, day=BILIRUBIN_DAY, **values):
    return clinical_observation_record(actor=nurse, patient=patient, observed_on=day, **values)


def hepatomegaly_and_weight_gain(nurse, patient):
    observe(nurse, patient, BILIRUBIN_DAY - timedelta(days=2), hepatomegaly=True)
    observe(nurse, patient, BILIRUBIN_DAY + timedelta(days=1), weight_kg=Decimal("105.0"))


@pytest.mark.parametrize(
    ("value", "unit_system", "unit", "flagged"),
    [
        ("1.99", "US_conventional", "mg/dL", False),
        ("2.0", "US_conventional", "mg/dL", True),
        ("34.1", "SI", "umol/L", False),  # 1.994 mg/dL
        ("34.2", "SI", "umol/L", True),  # 34.2 / 17.1 = 2.0 mg/dL
    ],
)
def test_bilirubin_at_the_threshold(nurse_a, treated, value, unit_system, unit, flagged):
    hepatomegaly_and_weight_gain(nurse_a, treated)
    bilirubin(nurse_a, treated, value, unit_system=unit_system, unit=unit)
    evaluate(treated)
    flags = open_flags(treated, "SOS-07")
    assert len(flags) == int(flagged)
    if flagged:
        (flag,) = flags
        assert flag.severity == "urgent"
        assert flag.dedup_key == f"SOS-07:{treated.pk}:bilirubin{BILIRUBIN_DAY.isoformat()}"
        assert flag.evidence["bilirubin"]["mg_dl"] == "2"
        assert flag.evidence["findings"] == {
            "hepatomegaly": {"observed_on": [str(BILIRUBIN_DAY - timedelta(days=2))]},
            "weight_gain": {
                "percent": "5",
                "weight_kg": "105",
                "baseline_kg": "100",
                "on": str(BILIRUBIN_DAY + timedelta(days=1)),
                "source": "observation",
            },
        }


def test_one_finding_is_not_enough_and_a_second_one_raises_the_flag(nurse_a, treated):
    bilirubin(nurse_a, treated, "3.1")
    observe(nurse_a, treated, hepatomegaly=True)
    evaluate(treated)
    assert open_flags(treated, "SOS-07") == []
    adverse_event_report(
        actor=nurse_a,
        patient=treated,
        term=CTCAETerm.objects.get(term="Ascites"),
        grade=2,
        onset_date=BILIRUBIN_DAY + timedelta(days=3),
        attributions={INO: "possible"},
    )
    evaluate(treated)
    (flag,) = open_flags(treated, "SOS-07")
    assert set(flag.evidence["findings"]) == {"hepatomegaly", "ascites"}
    assert flag.evidence["findings"]["ascites"] == {
        "seen": [f"adverse event {BILIRUBIN_DAY + timedelta(days=3)} grade 2"]
    }


@pytest.mark.parametrize(("weight", "flagged"), [("104.9", False), ("105.0", True)])
def test_weight_gain_at_the_threshold(nurse_a, treated, weight, flagged):
    bilirubin(nurse_a, treated, "2.5")
    observe(nurse_a, treated, ascites=True)
    observe(nurse_a, treated, BILIRUBIN_DAY + timedelta(days=2), weight_kg=Decimal(weight))
    evaluate(treated)
    assert len(open_flags(treated, "SOS-07")) == int(flagged)


def test_weight_of_a_later_course_counts_as_weight_gain(nurse_a, treated):
    begin(nurse_a, treated, when=START + timedelta(days=28), weight=Decimal(106))  # 31 Jan 2024
    bilirubin(nurse_a, treated, "2.5")
    observe(nurse_a, treated, hepatomegaly=True)
    evaluate(treated)
    (flag,) = open_flags(treated, "SOS-07")
    assert flag.evidence["findings"]["weight_gain"]["source"] == "course 2"
    assert flag.evidence["findings"]["weight_gain"]["percent"] == "6"


def test_findings_outside_the_window_do_not_count(nurse_a, treated):
    bilirubin(nurse_a, treated, "2.5")
    observe(nurse_a, treated, BILIRUBIN_DAY - timedelta(days=SOS_FINDINGS_WINDOW_DAYS + 1), hepatomegaly=True)
    observe(nurse_a, treated, BILIRUBIN_DAY + timedelta(days=SOS_FINDINGS_WINDOW_DAYS), ascites=True)
    evaluate(treated)
    assert open_flags(treated, "SOS-07") == []
    observe(nurse_a, treated, BILIRUBIN_DAY - timedelta(days=SOS_FINDINGS_WINDOW_DAYS), hepatomegaly=True)
    evaluate(treated)
    assert len(open_flags(treated, "SOS-07")) == 1


def test_bilirubin_before_the_first_inotuzumab_dose_is_outside_the_risk_window(nurse_a, make_patient):
    patient = make_patient()
    course = begin(nurse_a, patient)
    bilirubin(nurse_a, patient, "3.0", day=START)
    observe(nurse_a, patient, START, hepatomegaly=True, ascites=True)
    give_inotuzumab(nurse_a, course)  # first dose the day after
    evaluate(patient)
    assert open_flags(patient, "SOS-07") == []


def test_possible_sos_evaluated_three_times_gives_one_flag(nurse_a, treated):
    hepatomegaly_and_weight_gain(nurse_a, treated)
    bilirubin(nurse_a, treated, "2.4")
    for _ in range(3):
        evaluate(treated)
    flags = Flag.objects.filter(patient=treated, rule_code="SOS-07")
    assert flags.count() == 1
    assert len(record_history(flags.get())) == 1


def test_each_date_of_bilirubin_is_its_own_flag(nurse_a, treated):
    hepatomegaly_and_weight_gain(nurse_a, treated)
    bilirubin(nurse_a, treated, "2.4")
    bilirubin(nurse_a, treated, "2.9", day=BILIRUBIN_DAY + timedelta(days=3))
    evaluate(treated)
    keys = sorted(f.dedup_key.rsplit(":", 1)[1] for f in open_flags(treated, "SOS-07"))
    assert keys == ["bilirubin2024-02-01", "bilirubin2024-02-04"]


def test_urgent_flag_emails_the_sites_investigators(
    nurse_a, investigator_a, investigator_b, treated, django_capture_on_commit_callbacks
):
    for investigator, address in ((investigator_a, "pi-a@example.org"), (investigator_b, "pi-b@example.org")):
        investigator.email = address
        investigator.save()
    hepatomegaly_and_weight_gain(nurse_a, treated)
    bilirubin(nurse_a, treated, "2.4")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        evaluate(treated)
    urgent = [m for m in mail.outbox if "Possible SOS" in m.subject]
    assert len(urgent) == 1
    assert urgent[0].to == ["pi-a@example.org"]
    assert treated.subject_id in urgent[0].subject
    assert Flag.objects.get(patient=treated, rule_code="SOS-07").notified_at is not None
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        evaluate(treated)  # the same condition again: no second e-mail
    assert [m for m in mail.outbox if "Possible SOS" in m.subject] == []


def test_sos_rules_read_only_the_context(nurse_a, treated):
    """Every SOS rule works from the loaded PatientContext alone: no query while the rules run."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from safety.context import load_context
    from safety.rules import all_rules

    hepatomegaly_and_weight_gain(nurse_a, treated)
    bilirubin(nurse_a, treated, "2.4")
    adverse_event_report(
        actor=nurse_a,
        patient=treated,
        term=CTCAETerm.objects.get(term="Ascites"),
        grade=1,
        onset_date=BILIRUBIN_DAY,
        attributions={INO: "possible"},
    )
    sct(nurse_a, treated, LAST_DOSE + timedelta(days=30), agents=("busulfan", "clofarabine"))
    ctx = load_context(treated.pk)
    sos_rules = [r for r in all_rules() if r.code.startswith("SOS-")]
    with CaptureQueriesContext(connection) as queries:
        codes = {f.rule.code for r in sos_rules for f in r.check(ctx)}
    assert len(queries) == 0
    assert codes == {"SOS-02", "SOS-05", "SOS-06", "SOS-07"}  # SOS-01: the 2024 window closed in 2026
