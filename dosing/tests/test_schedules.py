"""The schedules course_start generates, compared drug by drug and day by day with PROTOCOL.md §3.

Every expected table below is written by hand from /work/shared/protocol/PROTOCOL.md, not from the
regimen data files. The patient is 170 cm / 70 kg throughout:

    BSA (Mosteller) = √(170 × 70 / 3600) = √3.3056 = 1.818… → 1.82 m²

and every body-surface-area dose is worked out next to its row (mg to 0.01 mg, g to 0.001 g).
A table row is (drug, course day or "first-last" for a period, dose number of the day, planned
absolute dose, unit, route). Routes the paper does not state (dexamethasone, methotrexate and
cytarabine IV, inotuzumab IV, prednisone PO) are the usual ones.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from core.audit.writes import audited_create
from dosing.selectors import cumulative_doses
from dosing.services import course_start, dose_record
from patients.choices import PatientStatus
from patients.models import Patient
from patients.services.baseline import baseline_record
from trial.models import ProtocolVersion

# ---------------------------------------------------------------------------------------------
# Expected schedules, by hand from PROTOCOL.md (study drugs only).
# ---------------------------------------------------------------------------------------------

# §3.1 odd courses (1, 3, 5, 7): cyclophosphamide 150 mg/m² × 1.82 = 273.00 mg every 12 h days 1–3
# (6 doses); dexamethasone 20 mg/day days 1–4 and 11–14; vincristine 2 mg flat days 1 and 8.
MINI_HCVD_ODD = [
    ("cyclophosphamide", "1", 1, "273.00", "mg", "IV"),
    ("cyclophosphamide", "1", 2, "273.00", "mg", "IV"),
    ("cyclophosphamide", "2", 1, "273.00", "mg", "IV"),
    ("cyclophosphamide", "2", 2, "273.00", "mg", "IV"),
    ("cyclophosphamide", "3", 1, "273.00", "mg", "IV"),
    ("cyclophosphamide", "3", 2, "273.00", "mg", "IV"),
    ("dexamethasone", "1", 1, "20", "mg", "IV"),
    ("dexamethasone", "2", 1, "20", "mg", "IV"),
    ("dexamethasone", "3", 1, "20", "mg", "IV"),
    ("dexamethasone", "4", 1, "20", "mg", "IV"),
    ("dexamethasone", "11", 1, "20", "mg", "IV"),
    ("dexamethasone", "12", 1, "20", "mg", "IV"),
    ("dexamethasone", "13", 1, "20", "mg", "IV"),
    ("dexamethasone", "14", 1, "20", "mg", "IV"),
    ("vincristine", "1", 1, "2", "mg", "IV"),
    ("vincristine", "8", 1, "2", "mg", "IV"),
]

# §3.1 even courses (2, 4, 6, 8): methotrexate 250 mg/m² × 1.82 = 455.00 mg day 1;
# cytarabine 0.5 g/m² × 1.82 = 0.910 g every 12 h days 2 and 3 (4 doses).
MINI_HCVD_EVEN = [
    ("methotrexate", "1", 1, "455.00", "mg", "IV"),
    ("cytarabine", "2", 1, "0.910", "g", "IV"),
    ("cytarabine", "2", 2, "0.910", "g", "IV"),
    ("cytarabine", "3", 1, "0.910", "g", "IV"),
    ("cytarabine", "3", 2, "0.910", "g", "IV"),
]

# §3.4 prophylactic intrathecal therapy (courses 1–4: 2 doses × 4 courses = "8 doses in all"):
# odd courses methotrexate 12 mg day 2, cytarabine 100 mg day 7; even courses the reverse.
IT_ODD = [
    ("methotrexate", "2", 1, "12", "mg", "IT"),
    ("cytarabine", "7", 1, "100", "mg", "IT"),
]
IT_EVEN = [
    ("cytarabine", "2", 1, "100", "mg", "IT"),
    ("methotrexate", "7", 1, "12", "mg", "IT"),
]

# §3.4 active CNS disease: triple intrathecal therapy (cytarabine 40 mg, methotrexate 12 mg IT,
# hydrocortisone 50 mg) as indicated (twice weekly, then weekly) instead of the prophylactic doses.
TRIPLE_IT = [
    ("cytarabine", "1-28", 1, "40", "mg", "IT"),
    ("methotrexate", "1-28", 1, "12", "mg", "IT"),
    ("hydrocortisone", "1-28", 1, "50", "mg", "IT"),
]

# §3.3 rituximab 375 mg/m² × 1.82 = 682.50 mg, only if CD20 ≥ 20%:
# days 1 and 11 of courses 1 and 3, days 1 and 8 of courses 2 and 4.
RITUXIMAB_ODD = [
    ("rituximab", "1", 1, "682.50", "mg", "IV"),
    ("rituximab", "11", 1, "682.50", "mg", "IV"),
]
RITUXIMAB_EVEN = [
    ("rituximab", "1", 1, "682.50", "mg", "IV"),
    ("rituximab", "8", 1, "682.50", "mg", "IV"),
]

# §3.2 original: inotuzumab day 3 of courses 1–4.
# Higher level: course 1 1.8 mg/m² × 1.82 = 3.276 → 3.28 mg; courses 2–4 1.3 × 1.82 = 2.366 → 2.37 mg.
# Lower level:  course 1 1.3 mg/m² → 2.37 mg;               courses 2–4 1.0 × 1.82 = 1.82 mg.
INO = "inotuzumab-ozogamicin"
ORIGINAL_INO_COURSE_1 = {"higher": [(INO, "3", 1, "3.28", "mg", "IV")], "lower": [(INO, "3", 1, "2.37", "mg", "IV")]}
ORIGINAL_INO_COURSES_2_4 = {
    "higher": [(INO, "3", 1, "2.37", "mg", "IV")],
    "lower": [(INO, "3", 1, "1.82", "mg", "IV")],
}

# §3.2 amended: course 1 0.6 mg/m² × 1.82 = 1.092 → 1.09 mg day 2 + 0.3 × 1.82 = 0.546 → 0.55 mg day 8;
# courses 2–4 0.55 mg day 2 + 0.55 mg day 8.
AMENDED_INO_COURSE_1 = [(INO, "2", 1, "1.09", "mg", "IV"), (INO, "8", 1, "0.55", "mg", "IV")]
AMENDED_INO_COURSES_2_4 = [(INO, "2", 1, "0.55", "mg", "IV"), (INO, "8", 1, "0.55", "mg", "IV")]

# §3.5 blinatumomab, continuous infusion (flat µg/day): first course 9 µg/day days 1–4, then
# 28 µg/day days 5–28; every later course (consolidation and maintenance) 28 µg/day days 1–28.
BLINATUMOMAB_FIRST = [
    ("blinatumomab", "1-4", 1, "9", "ug/day", "CIV"),
    ("blinatumomab", "5-28", 1, "28", "ug/day", "CIV"),
]
BLINATUMOMAB_LATER = [("blinatumomab", "1-28", 1, "28", "ug/day", "CIV")]

# §3.6 POMP, "monthly" = every 28 days: vincristine 2 mg day 1 and prednisone 50 mg/day days 1–5
# in the first year (the first 12 POMP courses); 6-mercaptopurine 50 mg PO twice daily throughout;
# methotrexate 10 mg/m² × 1.82 = 18.20 mg PO weekly (days 1, 8, 15, 22).
POMP_FIRST_YEAR = [
    ("vincristine", "1", 1, "2", "mg", "IV"),
    ("prednisone", "1-5", 1, "50", "mg", "PO"),
]
POMP_THROUGHOUT = [
    ("mercaptopurine", "1-28", 1, "50", "mg", "PO"),
    ("methotrexate", "1", 1, "18.20", "mg", "PO"),
    ("methotrexate", "8", 1, "18.20", "mg", "PO"),
    ("methotrexate", "15", 1, "18.20", "mg", "PO"),
    ("methotrexate", "22", 1, "18.20", "mg", "PO"),
]

# ---------------------------------------------------------------------------------------------
# Patients and courses.
# ---------------------------------------------------------------------------------------------

HEIGHT, WEIGHT = Decimal(170), Decimal(70)
# §3: mini-Hyper-CVD and POMP every 4 weeks, blinatumomab every 6 weeks.
SPACING_DAYS = {"blinatumomab": 42}


@pytest.fixture
def make_patient(nurse_a, site_a):
    """A registered patient: original version from #1 registered before February 2017, amended from #68."""
    numbers = {"original": iter(range(1, 68)), "amended-2017": iter(range(68, 200))}

    def make(version, registered, cd20="10", cns=False):
        number = next(numbers[version])
        patient = audited_create(
            Patient(
                site=site_a,
                subject_id=f"SA-S{number}",
                sequence_number=number,
                status=PatientStatus.REGISTERED,
                registration_date=registered,
                protocol_version=ProtocolVersion.objects.get(code=version),
            ),
            actor=nurse_a,
        )
        baseline_record(actor=nurse_a, patient=patient, cd20_percent=Decimal(cd20), cns_disease_at_start=cns)
        return patient

    return make


def start_courses(nurse, patient, first, count, level=""):
    """Start ``count`` successive courses from ``first``, each when the previous one's cycle ends."""
    courses, when = [], first
    for _ in range(count):
        course = course_start(
            actor=nurse,
            patient=patient,
            start_date=when,
            height_cm=HEIGHT,
            weight_kg=WEIGHT,
            inotuzumab_dose_level=level,
        )
        assert course.bsa_m2 == Decimal("1.82")
        courses.append(course)
        when += timedelta(days=SPACING_DAYS.get(course.course_type.code, 28))
    return courses


def give_as_planned(nurse, administrations):
    for a in administrations:
        given_at = timezone.make_aware(datetime.combine(a.planned_date, time(10)))
        dose_record(actor=nurse, administration=a, status="given", given_at=given_at, dose_given=a.planned_dose)


def _days(a):
    return f"{a.day}-{a.last_day}" if a.last_day else f"{a.day}"


def study_schedule(course):
    """The course's planned study-drug rows as table rows, in day order."""
    rows = course.administrations.filter(drug__is_study_drug=True).select_related("drug")
    return sorted(
        ((a.drug.code, _days(a), a.dose_number, a.planned_dose, a.dose_unit, a.route) for a in rows),
        key=_order,
    )


def expected(*tables):
    rows = [
        (drug, days, n, Decimal(dose), unit, route) for table in tables for drug, days, n, dose, unit, route in table
    ]
    return sorted(rows, key=_order)


def _order(row):
    first, _, last = row[1].partition("-")
    return (int(first), int(last or first), row[0], row[2], row[5])


def supportive(course):
    """The course's supportive-care rows by drug: (days, planned dose, unit, route, window after, hold days)."""
    rows = course.administrations.filter(drug__is_study_drug=False).select_related("drug")
    result = {}
    for a in rows:
        assert a.drug.code not in result, f"{a.drug.code} planned twice"
        result[a.drug.code] = (_days(a), a.planned_dose, a.dose_unit, a.route, a.window_after_days, a.hold_days)
    return result


# §3.7 supportive care, planned as periods over the course (no dose: per institutional standard):
# antibacterial, azole and antiviral prophylaxis; tumour-lysis prophylaxis and hydration in course 1.
AS_INDICATED = ("1-28", None, "", "PO", 0, [])
# Pegfilgrastim 6 mg SC day 4 (+2 days) of each induction/consolidation course.
PEGFILGRASTIM = ("4", Decimal(6), "mg", "SC", 2, [])
# Ursodiol 300 mg PO three times daily, from the September 2015 amendment.
URSODIOL = ("1-28", Decimal(300), "mg", "PO", 0, [])
# Azoles held on day −1, 0 and +1 of each vincristine dose: vincristine days 1 and 8 → days (0,) 1, 2, 7, 8, 9.
AZOLE_ODD = ("1-28", None, "", "PO", 0, [1, 2, 7, 8, 9])
ANTIMICROBIALS_ODD = {"levofloxacin": AS_INDICATED, "voriconazole": AZOLE_ODD, "valacyclovir": AS_INDICATED}
ANTIMICROBIALS_EVEN = {"levofloxacin": AS_INDICATED, "voriconazole": AS_INDICATED, "valacyclovir": AS_INDICATED}
TUMOUR_LYSIS = {"allopurinol": AS_INDICATED, "iv-hydration": ("1-28", None, "", "IV", 0, [])}


# ---------------------------------------------------------------------------------------------
# Original version (patients #1–#67).
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("level", ["higher", "lower"])
def test_original_course_1_odd(nurse_a, make_patient, level):
    patient = make_patient("original", date(2016, 1, 4), cd20="35")
    (course,) = start_courses(nurse_a, patient, date(2016, 1, 5), 1, level=level)
    assert (course.course_type.code, course.inotuzumab_dose_level) == ("mini-hcvd-odd", level)
    assert study_schedule(course) == expected(MINI_HCVD_ODD, IT_ODD, RITUXIMAB_ODD, ORIGINAL_INO_COURSE_1[level])
    assert supportive(course) == {
        **TUMOUR_LYSIS,
        **ANTIMICROBIALS_ODD,
        "pegfilgrastim": PEGFILGRASTIM,
        "ursodiol": URSODIOL,
    }
    assert course.administrations.get(drug__code="ursodiol").doses_per_day == 3


@pytest.mark.parametrize("level", ["higher", "lower"])
def test_original_courses_2_to_4(nurse_a, make_patient, level):
    patient = make_patient("original", date(2016, 1, 4), cd20="35")
    _, second, third, fourth = start_courses(nurse_a, patient, date(2016, 1, 5), 4, level=level)
    ino = ORIGINAL_INO_COURSES_2_4[level]
    for even in (second, fourth):
        assert even.course_type.code == "mini-hcvd-even"
        assert study_schedule(even) == expected(MINI_HCVD_EVEN, IT_EVEN, RITUXIMAB_EVEN, ino)
        assert supportive(even) == {**ANTIMICROBIALS_EVEN, "pegfilgrastim": PEGFILGRASTIM, "ursodiol": URSODIOL}
    assert study_schedule(third) == expected(MINI_HCVD_ODD, IT_ODD, RITUXIMAB_ODD, ino)
    # Tumour-lysis prophylaxis is course 1 only.
    assert supportive(third) == {**ANTIMICROBIALS_ODD, "pegfilgrastim": PEGFILGRASTIM, "ursodiol": URSODIOL}


def test_original_later_courses_and_pomp(nurse_a, make_patient):
    patient = make_patient("original", date(2016, 1, 4), cd20="35")
    courses = start_courses(nurse_a, patient, date(2016, 1, 5), 21, level="higher")
    fifth, sixth, pomp_1, pomp_12, pomp_13 = (courses[n - 1] for n in (5, 6, 9, 20, 21))
    # Courses 5–8: mini-Hyper-CVD only (no inotuzumab, rituximab or intrathecal prophylaxis after course 4).
    assert study_schedule(fifth) == expected(MINI_HCVD_ODD)
    assert study_schedule(sixth) == expected(MINI_HCVD_EVEN)
    # PROTOCOL.md does not say whether ursodiol goes on after the inotuzumab courses: not compared here.
    support = supportive(fifth)
    support.pop("ursodiol", None)
    assert support == {**ANTIMICROBIALS_ODD, "pegfilgrastim": PEGFILGRASTIM}
    # POMP: vincristine and prednisone monthly for 1 year (12 courses), 6-MP and methotrexate 3 years.
    assert [c.course_type.code for c in (pomp_1, pomp_12, pomp_13)] == ["pomp"] * 3
    assert (pomp_1.course_number, pomp_12.type_ordinal, pomp_13.type_ordinal) == (9, 12, 13)
    assert study_schedule(pomp_1) == expected(POMP_FIRST_YEAR, POMP_THROUGHOUT)
    assert study_schedule(pomp_12) == expected(POMP_FIRST_YEAR, POMP_THROUGHOUT)
    assert study_schedule(pomp_13) == expected(POMP_THROUGHOUT)
    assert pomp_1.administrations.get(drug__code="mercaptopurine").doses_per_day == 2
    assert pomp_1.administrations.get(drug__code="prednisone").doses_per_day == 1


def test_ursodiol_only_from_the_september_2015_amendment(nurse_a, make_patient):
    patient = make_patient("original", date(2015, 7, 6))
    first, second, third = start_courses(nurse_a, patient, date(2015, 7, 7), 3, level="lower")
    assert (first.start_date, second.start_date, third.start_date) == (
        date(2015, 7, 7),
        date(2015, 8, 4),
        date(2015, 9, 1),
    )
    assert "ursodiol" not in supportive(first)
    assert "ursodiol" not in supportive(second)
    assert supportive(third)["ursodiol"] == URSODIOL


# ---------------------------------------------------------------------------------------------
# Amended version (February 2017, from patient #68).
# ---------------------------------------------------------------------------------------------


def test_amended_courses_1_to_4(nurse_a, make_patient):
    patient = make_patient("amended-2017", date(2019, 1, 2), cd20="35")
    first, second, third, fourth = start_courses(nurse_a, patient, date(2019, 1, 3), 4)
    assert [c.course_type.code for c in (first, second, third, fourth)] == ["mini-hcvd-odd", "mini-hcvd-even"] * 2
    assert first.inotuzumab_dose_level == ""
    assert study_schedule(first) == expected(MINI_HCVD_ODD, IT_ODD, RITUXIMAB_ODD, AMENDED_INO_COURSE_1)
    assert study_schedule(second) == expected(MINI_HCVD_EVEN, IT_EVEN, RITUXIMAB_EVEN, AMENDED_INO_COURSES_2_4)
    assert study_schedule(third) == expected(MINI_HCVD_ODD, IT_ODD, RITUXIMAB_ODD, AMENDED_INO_COURSES_2_4)
    assert study_schedule(fourth) == expected(MINI_HCVD_EVEN, IT_EVEN, RITUXIMAB_EVEN, AMENDED_INO_COURSES_2_4)
    assert supportive(first) == {
        **TUMOUR_LYSIS,
        **ANTIMICROBIALS_ODD,
        "pegfilgrastim": PEGFILGRASTIM,
        "ursodiol": URSODIOL,
    }
    assert supportive(second) == {**ANTIMICROBIALS_EVEN, "pegfilgrastim": PEGFILGRASTIM, "ursodiol": URSODIOL}
    assert supportive(third) == {**ANTIMICROBIALS_ODD, "pegfilgrastim": PEGFILGRASTIM, "ursodiol": URSODIOL}


def test_amended_blinatumomab_and_maintenance(nurse_a, make_patient):
    patient = make_patient("amended-2017", date(2019, 1, 2), cd20="35")
    courses = start_courses(nurse_a, patient, date(2019, 1, 3), 12)
    assert [c.course_type.code for c in courses] == (
        ["mini-hcvd-odd", "mini-hcvd-even"] * 2 + ["blinatumomab"] * 4 + ["pomp"] * 3 + ["blinatumomab"]
    )
    fifth, sixth, pomp_1, maintenance_blina = (courses[n - 1] for n in (5, 6, 9, 12))
    # §3.5: 6-week courses; the first one steps up from 9 to 28 µg/day on day 5.
    assert fifth.start_date + timedelta(days=42) == sixth.start_date
    assert study_schedule(fifth) == expected(BLINATUMOMAB_FIRST)
    assert study_schedule(sixth) == expected(BLINATUMOMAB_LATER)
    assert study_schedule(courses[7]) == expected(BLINATUMOMAB_LATER)
    # §3.6 amended: POMP as in the original (12 POMP courses, all within the first year's content).
    assert study_schedule(pomp_1) == expected(POMP_FIRST_YEAR, POMP_THROUGHOUT)
    assert study_schedule(maintenance_blina) == expected(BLINATUMOMAB_LATER)
    assert maintenance_blina.type_ordinal == 5


def test_amended_schedule_given_as_planned_reaches_2_7_mg_m2_inotuzumab(nurse_a, make_patient):
    patient = make_patient("amended-2017", date(2019, 1, 2), cd20="35")
    for course in start_courses(nurse_a, patient, date(2019, 1, 3), 4):
        give_as_planned(nurse_a, course.administrations.order_by("day", "dose_number"))
    (ino,) = cumulative_doses(patient)
    # 0.6 + 0.3 + 3 × (0.3 + 0.3) = 2.7 mg/m², the amended version's maximum.
    assert (ino["drug"].code, ino["total_per_m2"], ino["maximum_per_m2"]) == (INO, Decimal("2.7"), Decimal("2.7"))
    assert ino["remaining_per_m2"] == 0


@pytest.mark.parametrize(("level", "total"), [("higher", "5.7"), ("lower", "4.3")])
def test_original_schedule_given_as_planned_reaches_planned_cumulative(nurse_a, make_patient, level, total):
    patient = make_patient("original", date(2016, 1, 4))
    for course in start_courses(nurse_a, patient, date(2016, 1, 5), 4, level=level):
        give_as_planned(nurse_a, course.administrations.filter(drug__code=INO))
    # Higher: 1.8 + 3 × 1.3 = 5.7 mg/m²; lower: 1.3 + 3 × 1.0 = 4.3 mg/m².
    assert cumulative_doses(patient)[0]["total_per_m2"] == Decimal(total)


# ---------------------------------------------------------------------------------------------
# Rituximab, intrathecal order and CNS disease (both versions).
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "registered"), [("original", date(2016, 1, 4)), ("amended-2017", date(2019, 1, 2))]
)
@pytest.mark.parametrize(("cd20", "doses"), [("19.9", 0), ("20", 8)])
def test_rituximab_only_for_cd20_at_least_20_percent(nurse_a, make_patient, version, registered, cd20, doses):
    patient = make_patient(version, registered, cd20=cd20)
    courses = start_courses(nurse_a, patient, registered + timedelta(days=1), 5, level="lower")
    given = [(c.course_number, a.day) for c in courses for a in c.administrations.filter(drug__code="rituximab")]
    assert len(given) == doses
    if doses:
        assert sorted(given) == [(1, 1), (1, 11), (2, 1), (2, 8), (3, 1), (3, 11), (4, 1), (4, 8)]


@pytest.mark.parametrize(
    ("version", "registered"), [("original", date(2016, 1, 4)), ("amended-2017", date(2019, 1, 2))]
)
def test_intrathecal_order_odd_and_even_courses(nurse_a, make_patient, version, registered):
    patient = make_patient(version, registered)
    courses = start_courses(nurse_a, patient, registered + timedelta(days=1), 9, level="higher")
    intrathecal = []
    for course in courses:
        it = course.administrations.filter(route="IT")
        by_drug = {a.drug.code: a.day for a in it.select_related("drug")}
        if course.course_number <= 4:
            odd = course.course_number % 2 == 1
            assert by_drug == ({"methotrexate": 2, "cytarabine": 7} if odd else {"cytarabine": 2, "methotrexate": 7})
            assert {(a.window_before_days, a.window_after_days) for a in it} == {(3, 3)}
        intrathecal += list(it)
        systemic_mtx = set(
            course.administrations.filter(drug__code="methotrexate").exclude(route="IT").values_list("day", flat=True)
        )
        assert not systemic_mtx & set(it.filter(drug__code="methotrexate").values_list("day", flat=True))
    # §3.4: 8 prophylactic intrathecal doses in all.
    assert len(intrathecal) == 8


def test_cns_disease_at_start_gives_triple_intrathecal_instead_of_prophylaxis(nurse_a, make_patient):
    patient = make_patient("amended-2017", date(2019, 1, 2), cns=True)
    (course,) = start_courses(nurse_a, patient, date(2019, 1, 3), 1)
    assert study_schedule(course) == expected(MINI_HCVD_ODD, TRIPLE_IT, AMENDED_INO_COURSE_1)
    methotrexate = course.administrations.get(drug__code="methotrexate")
    assert methotrexate.regimen_item.alternatives[0]["route"] == "OMMAYA"
    assert Decimal(methotrexate.regimen_item.alternatives[0]["dose_amount"]) == 6


def test_cns_disease_prophylaxis_resumes_with_the_next_course(nurse_a, make_patient):
    # §3.4: TIT twice weekly until the CSF is clear, then weekly for 4 weeks or until the next course
    # (the paper: "when the regimen was resumed"); never IT methotrexate with systemic methotrexate.
    patient = make_patient("amended-2017", date(2019, 1, 2), cns=True)
    _, second = start_courses(nurse_a, patient, date(2019, 1, 3), 2)
    assert study_schedule(second) == expected(MINI_HCVD_EVEN, IT_EVEN, AMENDED_INO_COURSES_2_4)
