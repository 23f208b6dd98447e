"""The protocol-deviation rules DEV-01 … DEV-13 (PROTOCOL.md §2–§5), each raised and not raised at its boundary.

Every case records its data through the services (registration, eligibility, course_start, dose_record,
baseline_record, assessment_record, adverse_event_report, …), then runs ``safety.services.patient_evaluate``
and reads the Flag rows. Courses use height 144 cm and weight 100 kg: a BSA of exactly 2.00 m² (Mosteller),
so per-m² totals are exact.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from adverse_events.models import CTCAETerm
from adverse_events.services import adverse_event_report, sae_report_submit
from core.audit.writes import audited_create
from dosing.services import course_start, dose_override_authorise, dose_record
from patients.choices import PatientStatus
from patients.models import Patient
from patients.services.baseline import baseline_record
from patients.services.eligibility import eligibility_assess, eligibility_update, eligibility_waive
from patients.services.registration import consent_record, patient_protocol_version_correct, patient_register
from responses.services import assessment_record
from safety.choices import ACTIVE_STATUSES
from safety.models import Flag
from safety.services import findings_for, patient_evaluate
from safety.tests.helpers import START, at
from trial.models import ProtocolVersion

REGISTERED = date(2024, 1, 2)
HEIGHT, WEIGHT = Decimal(144), Decimal(100)  # BSA 2.00 m²
ELIGIBLE = {
    "diagnosis": "pre_b_all",
    "disease_status": "relapsed",
    "ph_status": "negative",
    "cd22_status": "positive",
    "ecog": 3,
    "ejection_fraction_percent": Decimal("51"),
    "bilirubin_mg_dl": Decimal("1.95"),
    "creatinine_mg_dl": Decimal("2.0"),
    "uncontrolled_infection": False,
    "nyha_class": 2,
    "second_active_malignancy": False,
}


def begin(nurse, patient, when=START, **kw):
    return course_start(actor=nurse, patient=patient, start_date=when, height_cm=HEIGHT, weight_kg=WEIGHT, **kw)


def dose(course, drug, day=None, **filters):
    qs = course.administrations.filter(drug__code=drug, **filters)
    if day is not None:
        qs = qs.filter(day=day)
    return qs.order_by("day", "dose_number").first()


def give(nurse, administration, amount=None, on=None, reason="", **kw):
    on = on or administration.planned_date
    if on != administration.planned_date and not reason:
        reason = "Given on another day"
    amount = administration.planned_dose if amount is None else amount
    if amount != administration.planned_dose and not reason:
        reason = "Different amount"
    return dose_record(
        actor=nurse,
        administration=administration,
        status="given",
        given_at=at(on),
        dose_given=amount,
        reason=reason,
        **kw,
    )


def flags(patient, code, *, now=None):
    """Evaluate, then the patient's active flags of one rule."""
    patient_evaluate(patient_id=patient.pk, now=now)
    return list(Flag.objects.filter(patient=patient, rule_code=code, status__in=ACTIVE_STATUSES))


def consent(nurse, patient, on=REGISTERED - timedelta(days=2)):
    return consent_record(actor=nurse, patient=patient, consent_date=on, form_version="v1")


# --- DEV-01 registered without meeting eligibility ----------------------------------------------------


@pytest.mark.parametrize(("bilirubin", "raised"), [("1.95", False), ("1.96", True)])
def test_dev01_latest_assessment_before_registration_must_meet_every_criterion(
    nurse_a, make_patient, bilirubin, raised
):
    patient = make_patient()
    consent(nurse_a, patient)
    eligibility_assess(
        actor=nurse_a, patient=patient, assessed_on=REGISTERED, **(ELIGIBLE | {"bilirubin_mg_dl": Decimal(bilirubin)})
    )
    found = flags(patient, "DEV-01")
    assert bool(found) is raised
    if raised:
        assert found[0].evidence["criteria_not_met"] == ["bilirubin"]
        assert "bilirubin" in found[0].message.lower()


def test_dev01_no_assessment_on_or_before_registration(nurse_a, make_patient):
    patient = make_patient()
    consent(nurse_a, patient)
    eligibility_assess(actor=nurse_a, patient=patient, assessed_on=REGISTERED + timedelta(days=1), **ELIGIBLE)
    [flag] = flags(patient, "DEV-01")
    assert "no eligibility assessment" in flag.message


def test_dev01_registered_under_a_signed_waiver(nurse_a, investigator_a, site_a, password):
    patient = audited_create(Patient(site=site_a, subject_id="SA-W1", status=PatientStatus.SCREENING), actor=nurse_a)
    consent(nurse_a, patient)
    assessment = eligibility_assess(actor=nurse_a, patient=patient, assessed_on=REGISTERED, **(ELIGIBLE | {"ecog": 4}))
    eligibility_waive(actor=investigator_a, assessment=assessment, reason="ECOG 4 from the disease", password=password)
    patient = patient_register(actor=nurse_a, patient=patient, registration_date=REGISTERED)
    assert patient.registered_with_waiver
    [flag] = flags(patient, "DEV-01")
    assert flag.evidence["registered_with_waiver"] is True
    assert flag.evidence["criteria_not_met"] == ["ecog"]


def test_dev01_corrected_assessment_resolves_the_flag(nurse_a, make_patient):
    patient = make_patient()
    consent(nurse_a, patient)
    assessment = eligibility_assess(
        actor=nurse_a, patient=patient, assessed_on=REGISTERED, **(ELIGIBLE | {"bilirubin_mg_dl": Decimal("1.96")})
    )
    [flag] = flags(patient, "DEV-01")
    eligibility_update(
        actor=nurse_a, assessment=assessment, reason="Transcription error", bilirubin_mg_dl=Decimal("1.95")
    )
    assert flags(patient, "DEV-01") == []
    flag.refresh_from_db()
    assert flag.status == "resolved" and "no longer holds" in flag.resolution


# --- DEV-02 dose off plan without a recorded reduction --------------------------------------------------


@pytest.mark.parametrize(("amount", "raised"), [("2.2", False), ("1.8", False), ("2.202", True), ("1.798", True)])
def test_dev02_dose_more_than_tolerance_off_plan(nurse_a, make_patient, amount, raised):
    patient = make_patient()
    course = begin(nurse_a, patient)
    vincristine = dose(course, "vincristine", day=1)
    assert vincristine.planned_dose == 2  # 10% off = 0.2 mg
    give(nurse_a, vincristine, Decimal(amount))
    found = flags(patient, "DEV-02")
    assert bool(found) is raised
    if raised:
        assert found[0].evidence["administration"] == vincristine.pk


def test_dev02_recorded_reduction_is_not_a_deviation(nurse_a, make_patient):
    patient = make_patient()
    course = begin(nurse_a, patient)
    give(nurse_a, dose(course, "vincristine", day=1), Decimal("1"), reason="Neuropathy", reduce_rest_of_course=True)
    assert flags(patient, "DEV-02") == []


def test_dev02_dose_corrected_with_a_reason_for_change_resolves_the_flag(nurse_a, make_patient):
    patient = make_patient()
    course = begin(nurse_a, patient)
    vincristine = give(nurse_a, dose(course, "vincristine", day=1), Decimal("2.5"), reason="Typed in error")
    [flag] = flags(patient, "DEV-02")
    give(nurse_a, vincristine, Decimal("2"), reason="Correction: 2 mg was given (chart checked)")
    assert flags(patient, "DEV-02") == []
    flag.refresh_from_db()
    assert flag.status == "resolved" and flag.resolved_at is not None


# --- DEV-03 cumulative inotuzumab above the maximum ------------------------------------------------------


def test_dev03_cumulative_at_the_maximum_is_not_a_deviation_above_it_is(
    nurse_a, investigator_a, make_patient, password
):
    patient = make_patient()
    course = begin(nurse_a, patient)
    day2, day8 = dose(course, "inotuzumab-ozogamicin", day=2), dose(course, "inotuzumab-ozogamicin", day=8)
    assert (day2.dose_per_m2, day8.dose_per_m2) == (Decimal("0.6"), Decimal("0.3"))
    give(
        nurse_a, day2, (day2.planned_dose * Decimal("4.5")).quantize(Decimal("0.0001")), reason="Dosing error"
    )  # 2.7 mg/m²: the maximum
    assert flags(patient, "DEV-03") == []
    dose_override_authorise(
        actor=investigator_a, administration=day8, dose_given=day8.planned_dose, reason="Clinical need",
        password=password,
    )  # fmt: skip
    give(nurse_a, day8)  # 3.0 mg/m²
    [flag] = flags(patient, "DEV-03")
    assert Decimal(flag.evidence["cumulative_per_m2"]) == Decimal("3.0")
    assert Decimal(flag.evidence["maximum_per_m2"]) == Decimal("2.7")
    assert flag.evidence["administration_exceeding"] == day8.pk


# --- DEV-04 course started too early -------------------------------------------------------------------


@pytest.mark.parametrize(("days", "raised"), [(21, False), (20, True)])
def test_dev04_course_before_the_minimum_interval(nurse_a, make_patient, days, raised):
    patient = make_patient()
    first = begin(nurse_a, patient)
    assert first.course_type.min_interval_days == 21
    begin(nurse_a, patient, when=START + timedelta(days=days))
    found = flags(patient, "DEV-04")
    assert bool(found) is raised
    if raised:
        assert found[0].evidence["interval_days"] == 20


# --- DEV-05 dose outside its day window ----------------------------------------------------------------


@pytest.mark.parametrize(("late", "raised"), [(3, False), (4, True)])
def test_dev05_intrathecal_day_2_plus_minus_3(nurse_a, make_patient, late, raised):
    patient = make_patient()
    course = begin(nurse_a, patient)
    it = dose(course, "methotrexate", day=2, route="IT")
    assert (it.window_before_days, it.window_after_days) == (3, 3)
    give(nurse_a, it, on=it.planned_date + timedelta(days=late))
    assert bool(flags(patient, "DEV-05")) is raised


@pytest.mark.parametrize(("day", "raised"), [(6, False), (7, True), (3, True)])
def test_dev05_pegfilgrastim_day_4_plus_2(nurse_a, make_patient, day, raised):
    patient = make_patient()
    course = begin(nurse_a, patient)
    peg = dose(course, "pegfilgrastim", day=4)
    give(nurse_a, peg, on=START + timedelta(days=day - 1))
    found = flags(patient, "DEV-05")
    assert bool(found) is raised
    if raised:
        assert (found[0].window_start, found[0].window_end) == (START + timedelta(days=3), START + timedelta(days=5))


@pytest.mark.parametrize(("late", "raised"), [(0, False), (1, True), (-1, True)])
def test_dev05_dose_without_a_window_must_be_given_on_its_planned_day(nurse_a, make_patient, late, raised):
    patient = make_patient()
    course = begin(nurse_a, patient)
    vcr = dose(course, "vincristine", day__gt=1)
    assert (vcr.window_before_days, vcr.window_after_days) == (0, 0)
    give(nurse_a, vcr, on=vcr.planned_date + timedelta(days=late))
    found = flags(patient, "DEV-05")
    assert bool(found) is raised
    if raised:
        assert (found[0].window_start, found[0].window_end) == (vcr.planned_date, vcr.planned_date)


# --- DEV-06 regimen of another protocol version ------------------------------------------------------


def test_dev06_course_of_the_other_version_after_a_version_correction(nurse_a, investigator_a, make_patient, password):
    patient = make_patient()
    begin(nurse_a, patient)
    assert flags(patient, "DEV-06") == []
    patient_protocol_version_correct(
        actor=investigator_a, patient=patient, protocol_version=ProtocolVersion.objects.get(code="original"),
        reason="Registered before the amendment", password=password,
    )  # fmt: skip
    [flag] = flags(patient, "DEV-06")
    assert (flag.evidence["course_version"], flag.evidence["patient_version"]) == ("amended-2017", "original")


# --- DEV-07 rituximab against the CD20 rule ----------------------------------------------------------


@pytest.mark.parametrize(("corrected", "raised"), [(None, False), ("20", True)])
def test_dev07_course_without_rituximab_although_cd20_reaches_the_threshold(nurse_a, make_patient, corrected, raised):
    patient = make_patient(cd20="19.9")
    course = begin(nurse_a, patient)
    assert dose(course, "rituximab") is None
    if corrected:
        baseline_record(actor=nurse_a, patient=patient, cd20_percent=Decimal(corrected), reason="Flow report re-read")
    found = flags(patient, "DEV-07")
    assert bool(found) is raised
    if raised:
        assert found[0].evidence == {
            "course": course.pk, "drug": "rituximab", "cd20_percent": "20.00", "threshold": "20.0000"
        }  # fmt: skip


@pytest.mark.parametrize(("corrected", "raised"), [(None, False), ("19.9", True)])
def test_dev07_rituximab_given_with_cd20_below_the_threshold(nurse_a, make_patient, corrected, raised):
    patient = make_patient(cd20="20")
    course = begin(nurse_a, patient)
    rituximab = give(nurse_a, dose(course, "rituximab", day=1))
    if corrected:
        baseline_record(actor=nurse_a, patient=patient, cd20_percent=Decimal(corrected), reason="Flow report re-read")
    found = flags(patient, "DEV-07")
    assert bool(found) is raised
    if raised:
        assert [f.evidence["administration"] for f in found] == [rituximab.pk]


# --- DEV-08 azole on a hold day around vincristine -------------------------------------------------


@pytest.mark.parametrize(("after", "raised"), [(1, True), (2, False), (-1, True), (-2, False)])
def test_dev08_azole_within_a_day_of_vincristine(nurse_a, make_patient, after, raised):
    patient = make_patient()
    course = begin(nurse_a, patient)
    vincristine = give(nurse_a, dose(course, "vincristine", day=8))
    azole = dose(course, "voriconazole")
    assert azole.drug.drug_class == "azole"
    give(nurse_a, azole, on=vincristine.planned_date + timedelta(days=after))
    found = flags(patient, "DEV-08")
    assert bool(found) is raised
    if raised:
        assert found[0].evidence["anchor_given_on"] == str(vincristine.planned_date)


def test_dev08_azole_held_but_vincristine_not_given_is_no_deviation(nurse_a, make_patient):
    patient = make_patient()
    course = begin(nurse_a, patient)
    give(nurse_a, dose(course, "voriconazole"), on=START + timedelta(days=8))  # day 9, vincristine day 8 pending
    assert flags(patient, "DEV-08") == []


# --- DEV-09 intrathecal methotrexate with systemic methotrexate -------------------------------------


@pytest.mark.parametrize(("it_day", "route", "raised"), [(1, "IT", True), (1, "OMMAYA", True), (2, "IT", False)])
def test_dev09_intrathecal_methotrexate_on_the_day_of_iv_methotrexate(nurse_a, make_patient, it_day, route, raised):
    patient = make_patient()
    begin(nurse_a, patient)
    even = begin(nurse_a, patient, when=START + timedelta(days=28))
    iv = give(nurse_a, dose(even, "methotrexate", day=1, route="IV"))
    it = dose(even, "methotrexate", day=7, route="IT")
    amount = Decimal(6) if route == "OMMAYA" else None
    give(nurse_a, it, amount, on=iv.planned_date + timedelta(days=it_day - 1), route_given=route, reason="Moved")
    found = flags(patient, "DEV-09")
    assert bool(found) is raised
    if raised:
        assert found[0].evidence == {"administration": it.pk, "given_on": str(iv.planned_date), "route": route}


# --- DEV-10 first blinatumomab course without the step-up dose ---------------------------------------


@pytest.mark.parametrize(("amount", "raised"), [("9", False), ("28", True)])
def test_dev10_first_blinatumomab_course_starts_at_the_planned_day_1_dose(nurse_a, make_patient, amount, raised):
    patient = make_patient()
    for number in range(4):
        begin(nurse_a, patient, when=START + timedelta(days=28 * number))
    blinatumomab = begin(nurse_a, patient, when=START + timedelta(days=28 * 4))
    assert blinatumomab.course_type.phase == "blinatumomab"
    first_day = dose(blinatumomab, "blinatumomab", day=1)
    assert first_day.planned_dose == 9
    give(nurse_a, first_day, Decimal(amount))
    found = flags(patient, "DEV-10")
    assert bool(found) is raised
    if raised:
        assert found[0].evidence["planned_dose"] == "9.0000"


# --- DEV-11 no marrow after course 1 ------------------------------------------------------------------

DUE = START + timedelta(days=28 + 14)


def marrow(nurse, patient, on):
    return assessment_record(
        actor=nurse, patient=patient, assessed_on=on, marrow_blast_percent=2, neutrophils_1e9_per_l=2,
        platelets_1e9_per_l=150,
    )  # fmt: skip


@pytest.mark.parametrize(("today", "raised"), [(DUE, False), (DUE + timedelta(days=1), True)])
def test_dev11_first_marrow_due_with_grace(nurse_a, make_patient, today, raised):
    patient = make_patient()
    begin(nurse_a, patient)
    found = flags(patient, "DEV-11", now=at(today))
    assert bool(found) is raised
    if raised:
        assert found[0].evidence == {
            "course_1_start": str(START), "due_on": str(START + timedelta(days=28)), "due_by": str(DUE), "done_on": None
        }  # fmt: skip


def test_dev11_marrow_on_the_due_date_is_in_time(nurse_a, make_patient):
    patient = make_patient()
    begin(nurse_a, patient)
    marrow(nurse_a, patient, DUE)
    assert flags(patient, "DEV-11", now=at(DUE + timedelta(days=30))) == []


def test_dev11_marrow_one_day_late_is_still_a_deviation(nurse_a, make_patient):
    patient = make_patient()
    begin(nurse_a, patient)
    marrow(nurse_a, patient, DUE + timedelta(days=1))
    assert len(flags(patient, "DEV-11", now=at(DUE + timedelta(days=30)))) == 1


# --- DEV-12 SAE report overdue ----------------------------------------------------------------------


@pytest.mark.parametrize(("hours", "raised"), [(24, False), (25, True)])
def test_dev12_sae_report_due_24_hours_after_awareness(nurse_a, make_patient, hours, raised):
    patient = make_patient()
    aware = at(START)
    ae = adverse_event_report(
        actor=nurse_a, patient=patient, term=CTCAETerm.objects.filter(term="Febrile neutropenia").first(),
        grade=3, onset_date=START, serious=True, sae_criteria=["hospitalisation"], sae_aware_at=aware,
    )  # fmt: skip
    found = flags(patient, "DEV-12", now=aware + timedelta(hours=hours))
    assert bool(found) is raised
    if raised:
        sae_report_submit(actor=nurse_a, ae=ae, reported_at=aware + timedelta(hours=26))
        assert flags(patient, "DEV-12", now=aware + timedelta(hours=27)) == []


# --- DEV-13 study procedure before consent -----------------------------------------------------------


@pytest.mark.parametrize(("consented", "raised"), [(START, False), (START + timedelta(days=1), True)])
def test_dev13_course_before_consent(nurse_a, make_patient, consented, raised):
    patient = make_patient()
    consent(nurse_a, patient, on=consented)
    course = begin(nurse_a, patient)
    found = flags(patient, "DEV-13")
    assert bool(found) is raised
    if raised:
        assert found[0].dedup_key.endswith(f"course{course.pk}")


# --- The engine reads every patient in the same number of queries ----------------------------------


def treated(nurse, make_patient, courses):
    patient = make_patient(cd20="25")
    consent(nurse, patient)
    eligibility_assess(actor=nurse, patient=patient, assessed_on=REGISTERED, **ELIGIBLE)
    for number in range(courses):
        course = begin(nurse, patient, when=START + timedelta(days=28 * number))
        for drug in ("voriconazole", "rituximab", "inotuzumab-ozogamicin"):
            give(nurse, dose(course, drug))
        give(nurse, dose(course, "pegfilgrastim"), Decimal(7))  # a DEV-02 finding per course
    marrow(nurse, patient, START + timedelta(days=27))
    return patient


def test_evaluation_query_count_does_not_grow_with_courses(nurse_a, make_patient):
    one, three = treated(nurse_a, make_patient, 1), treated(nurse_a, make_patient, 3)
    counts = []
    for patient in (one, three):
        with CaptureQueriesContext(connection) as queries:
            _ctx, found = findings_for(patient.pk, now=at(START + timedelta(days=120)))
        counts.append(len(queries))
        assert sum(f.rule.code == "DEV-02" for f in found) == len(patient.courses.all())
    assert counts[0] == counts[1]
