"""The protocol as data: the YAML files, their loader and the regimen read helpers.

The expected regimens below are written by hand from PROTOCOL.md §3, not generated from the YAML.
"""

import io
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import CommandError, call_command

from trial.choices import Frequency
from trial.derivations import DoseLevelRequired, PatientValueRequired, planned_amount
from trial.models import (
    CourseSequenceStep,
    CourseType,
    Drug,
    DrugHoldRule,
    EligibilityCriterion,
    ProtocolAmendment,
    ProtocolParameter,
    ProtocolVersion,
    RegimenItem,
    ResponseRule,
    Trial,
)
from trial.protocol_loader import ProtocolDataError, protocol_load
from trial.selectors import ProtocolParameterMissing, parameter_value, planned_courses, regimen_items_for_course

DATA_DIR = Path(settings.PROTOCOL_DATA_DIR) / "NCT01371630"
PROTOCOL_MODELS = (
    Trial,
    Drug,
    ProtocolAmendment,
    ProtocolVersion,
    CourseType,
    CourseSequenceStep,
    ProtocolParameter,
    RegimenItem,
    DrugHoldRule,
    EligibilityCriterion,
    ResponseRule,
)
AFTER_URSODIOL = date(2016, 3, 1)  # a course start after the September 2015 amendment
NO_CNS_CD20_POSITIVE = {"cd20_percent": 30, "cns_disease_active": 0}


def row_counts():
    return {m.__name__: m.objects.count() for m in PROTOCOL_MODELS}


def history_count():
    return sum(m.history.count() for m in PROTOCOL_MODELS)


@pytest.fixture
def actor(django_user_model):
    return django_user_model.objects.create_user(username="data.manager", password="x" * 12)


@pytest.fixture
def loaded(db, actor):
    return protocol_load(actor=actor, directory=DATA_DIR)


@pytest.fixture
def data_copy(tmp_path):
    """A copy of the data directory (same directory name, so data_file values match)."""
    copy = tmp_path / "NCT01371630"
    shutil.copytree(DATA_DIR, copy)
    return copy


def edit(path: Path, old: str, new: str):
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} must occur exactly once in {path.name}"
    path.write_text(text.replace(old, new))


def version(code):
    return ProtocolVersion.objects.get(code=code)


def course_items(version_code, course_number, *, values=None, start=AFTER_URSODIOL, dose_level=None):
    v = version(version_code)
    course = next(c for c in planned_courses(v) if c.course_number == course_number)
    return regimen_items_for_course(
        v,
        course.course_type,
        course.course_number,
        course.type_ordinal,
        NO_CNS_CD20_POSITIVE if values is None else values,
        start,
        dose_level=dose_level,
    )


def schedule(items):
    """{"<drug> <dose> <unit> <route>[ xN a day]": [course days]} for planned doses, and the set of
    drugs given only as indicated."""
    planned, as_indicated = {}, set()
    for item in items:
        if item.frequency == Frequency.AS_INDICATED:
            as_indicated.add(item.drug.code)
            continue
        entry = f"{item.drug.code} {item.dose_amount.normalize():f} {item.dose_unit} {item.route}"
        if item.doses_per_day > 1:
            entry += f" x{item.doses_per_day}"
        planned.setdefault(entry, []).extend(item.days)
    return {k: sorted(v) for k, v in planned.items()}, as_indicated


def days(first, last):
    return list(range(first, last + 1))


# --- Expected regimen, by hand from PROTOCOL.md §3 -----------------------------------------

# §3.1 odd courses: cyclophosphamide 150 mg/m² q12h d1–3 (6 doses), dexamethasone 20 mg d1–4 and
# d11–14, vincristine 2 mg flat d1 and d8.
ODD_CHEMO = {
    "cyclophosphamide 150 mg/m2 IV x2": [1, 2, 3],
    "dexamethasone 20 mg IV": [1, 2, 3, 4, 11, 12, 13, 14],
    "vincristine 2 mg IV": [1, 8],
}
# §3.1 even courses: methotrexate 250 mg/m² d1, cytarabine 0.5 g/m² q12h d2–3 (4 doses).
EVEN_CHEMO = {
    "methotrexate 250 mg/m2 IV": [1],
    "cytarabine 0.5 g/m2 IV x2": [2, 3],
}
# §3.3 rituximab 375 mg/m² (CD20 ≥ 20%): d1 + d11 in courses 1 and 3, d1 + d8 in courses 2 and 4.
RITUXIMAB_ODD = {"rituximab 375 mg/m2 IV": [1, 11]}
RITUXIMAB_EVEN = {"rituximab 375 mg/m2 IV": [1, 8]}
# §3.4 IT: odd courses methotrexate d2 / cytarabine d7; even courses the other way round.
IT_ODD = {"methotrexate 12 mg IT": [2], "cytarabine 100 mg IT": [7]}
IT_EVEN = {"cytarabine 100 mg IT": [2], "methotrexate 12 mg IT": [7]}
# §3.7 pegfilgrastim 6 mg SC d4; ursodiol 300 mg PO three times daily during inotuzumab courses.
PEGFILGRASTIM = {"pegfilgrastim 6 mg SC": [4]}
URSODIOL = {"ursodiol 300 mg PO x3": days(1, 28)}
# §3.7 during neutropenia: levofloxacin (or cefpodoxime), an azole, valacyclovir (or acyclovir);
# course 1: tumour-lysis prophylaxis (allopurinol or rasburicase) and IV hydration.
NEUTROPENIA = {"levofloxacin", "voriconazole", "valacyclovir"}
TUMOUR_LYSIS = {"allopurinol", "iv-hydration"}


def ino(dose, *course_days):
    return {f"inotuzumab-ozogamicin {dose} mg/m2 IV": list(course_days)}


# §3.6 POMP: vincristine 2 mg d1 and prednisone 50 mg d1–5 monthly for the first 12 POMP courses;
# 6-MP 50 mg PO twice daily and methotrexate 10 mg/m² PO weekly throughout.
POMP_FIRST_YEAR = {
    "vincristine 2 mg IV": [1],
    "prednisone 50 mg PO": [1, 2, 3, 4, 5],
    "mercaptopurine 50 mg PO x2": days(1, 28),
    "methotrexate 10 mg/m2 PO": [1, 8, 15, 22],
}
POMP_LATER = {
    "mercaptopurine 50 mg PO x2": days(1, 28),
    "methotrexate 10 mg/m2 PO": [1, 8, 15, 22],
}
# §3.5 blinatumomab: first course 9 µg/day d1–4 then 28 µg/day d5–28; later courses 28 µg/day d1–28.
BLINATUMOMAB_FIRST = {"blinatumomab 9 ug/day CIV": days(1, 4), "blinatumomab 28 ug/day CIV": days(5, 28)}
BLINATUMOMAB_LATER = {"blinatumomab 28 ug/day CIV": days(1, 28)}

# (version, course number, dose level) → (planned doses, as-indicated drugs); CD20 30%, no CNS disease,
# courses started after the ursodiol amendment.
EXPECTED_COURSES = {
    # Original: inotuzumab day 3, 1.8/1.3 mg/m² in course 1 and 1.3/1.0 mg/m² in courses 2–4.
    ("original", 1, "higher"): (
        {**ODD_CHEMO, **ino("1.8", 3), **RITUXIMAB_ODD, **IT_ODD, **PEGFILGRASTIM, **URSODIOL},
        TUMOUR_LYSIS | NEUTROPENIA,
    ),
    ("original", 1, "lower"): (
        {**ODD_CHEMO, **ino("1.3", 3), **RITUXIMAB_ODD, **IT_ODD, **PEGFILGRASTIM, **URSODIOL},
        TUMOUR_LYSIS | NEUTROPENIA,
    ),
    ("original", 2, "higher"): (
        {**EVEN_CHEMO, **ino("1.3", 3), **RITUXIMAB_EVEN, **IT_EVEN, **PEGFILGRASTIM, **URSODIOL},
        NEUTROPENIA,
    ),
    ("original", 3, "lower"): (
        {**ODD_CHEMO, **ino("1", 3), **RITUXIMAB_ODD, **IT_ODD, **PEGFILGRASTIM, **URSODIOL},
        NEUTROPENIA,
    ),
    ("original", 4, "lower"): (
        {**EVEN_CHEMO, **ino("1", 3), **RITUXIMAB_EVEN, **IT_EVEN, **PEGFILGRASTIM, **URSODIOL},
        NEUTROPENIA,
    ),
    # Courses 5–8: chemotherapy only (no inotuzumab, rituximab, IT prophylaxis or ursodiol).
    ("original", 5, None): ({**ODD_CHEMO, **PEGFILGRASTIM}, NEUTROPENIA),
    ("original", 8, None): ({**EVEN_CHEMO, **PEGFILGRASTIM}, NEUTROPENIA),
    ("original", 9, None): (POMP_FIRST_YEAR, set()),
    ("original", 20, None): (POMP_FIRST_YEAR, set()),
    ("original", 21, None): (POMP_LATER, set()),
    ("original", 44, None): (POMP_LATER, set()),
    # Amended: inotuzumab 0.6 d2 + 0.3 d8 in course 1; 0.3 d2 + 0.3 d8 in courses 2–4.
    ("amended-2017", 1, None): (
        {**ODD_CHEMO, **ino("0.6", 2), **ino("0.3", 8), **RITUXIMAB_ODD, **IT_ODD, **PEGFILGRASTIM, **URSODIOL},
        TUMOUR_LYSIS | NEUTROPENIA,
    ),
    ("amended-2017", 2, None): (
        {**EVEN_CHEMO, **ino("0.3", 2, 8), **RITUXIMAB_EVEN, **IT_EVEN, **PEGFILGRASTIM, **URSODIOL},
        NEUTROPENIA,
    ),
    ("amended-2017", 3, None): (
        {**ODD_CHEMO, **ino("0.3", 2, 8), **RITUXIMAB_ODD, **IT_ODD, **PEGFILGRASTIM, **URSODIOL},
        NEUTROPENIA,
    ),
    ("amended-2017", 4, None): (
        {**EVEN_CHEMO, **ino("0.3", 2, 8), **RITUXIMAB_EVEN, **IT_EVEN, **PEGFILGRASTIM, **URSODIOL},
        NEUTROPENIA,
    ),
    ("amended-2017", 5, None): (BLINATUMOMAB_FIRST, set()),
    ("amended-2017", 6, None): (BLINATUMOMAB_LATER, set()),
    ("amended-2017", 8, None): (BLINATUMOMAB_LATER, set()),
    ("amended-2017", 9, None): (POMP_FIRST_YEAR, set()),
    ("amended-2017", 12, None): (BLINATUMOMAB_LATER, set()),
    ("amended-2017", 23, None): (POMP_FIRST_YEAR, set()),
    ("amended-2017", 24, None): (BLINATUMOMAB_LATER, set()),
}

ODD, EVEN, POMP, BLIN = "mini-hcvd-odd", "mini-hcvd-even", "pomp", "blinatumomab"
# §1, §3.1, §3.6: original 8 alternating courses then 36 monthly POMP courses (3 years).
EXPECTED_SEQUENCE_ORIGINAL = [ODD, EVEN] * 4 + [POMP] * 36
# §1, §3.5, §3.6: amended 4 chemo courses, 4 blinatumomab, then 12 POMP with blinatumomab after every 3rd.
EXPECTED_SEQUENCE_AMENDED = [ODD, EVEN, ODD, EVEN] + [BLIN] * 4 + ([POMP] * 3 + [BLIN]) * 4


# --- Loading ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_loading_twice_creates_no_duplicates_and_no_history(actor, data_copy):
    # Another trial's copy of the files, so the first load starts from nothing whatever the test
    # database already holds (the root conftest loads NCT01371630 once per test database).
    edit(data_copy / "trial.yaml", "  nct_id: NCT01371630\n", "  nct_id: NCT00000001\n")
    counts, history = row_counts(), history_count()

    first = protocol_load(actor=actor, directory=data_copy)
    created = {name: row_counts()[name] - counts[name] for name in counts}
    history_after_first = history_count()
    second = protocol_load(actor=actor, directory=data_copy)

    assert {name: c.created for name, c in first.counts.items()} == created
    assert created["Trial"] == 1 and created["ProtocolVersion"] == 2 and created["Drug"] == 22
    assert created["CourseSequenceStep"] == 44 + 24
    assert created["EligibilityCriterion"] == 2 * len(EXPECTED_CRITERIA)
    assert history_after_first == history + sum(created.values())
    assert not second.changed
    assert second.total("unchanged") == sum(created.values())
    assert row_counts() == {name: counts[name] + created[name] for name in counts}
    assert history_count() == history_after_first
    assert "Nothing changed." in second.as_text()


@pytest.mark.django_db
def test_reloading_the_shipped_files_changes_nothing(loaded, actor):
    counts, history = row_counts(), history_count()

    report = protocol_load(actor=actor, directory=DATA_DIR)

    assert not report.changed
    assert row_counts() == counts and history_count() == history


@pytest.mark.django_db
def test_versions_record_their_data_file_checksum_and_amendment(loaded):
    original, amended = version("original"), version("amended-2017")
    assert original.data_file == "NCT01371630/original.yaml"
    assert len(original.data_sha256) == 64
    assert original.applies_from_sequence_number is None and original.created_by_amendment is None
    assert amended.applies_from_sequence_number == 68
    assert amended.created_by_amendment.code == "blinatumomab-2017"
    assert amended.effective_date == date(2017, 2, 1)
    assert ProtocolAmendment.objects.get(code="ursodiol-2015").effective_date == date(2015, 9, 1)


@pytest.mark.django_db
def test_changed_dose_updates_the_row_with_an_audit_record(loaded, actor, data_copy):
    item = RegimenItem.objects.get(protocol_version__code="original", course_type__code=EVEN, code="methotrexate")
    before = history_count()
    edit(data_copy / "original.yaml", "      dose_amount: 250\n", "      dose_amount: 200\n")

    report = protocol_load(actor=actor, directory=data_copy)

    item.refresh_from_db()
    assert item.dose_amount == Decimal("200")
    assert report.counts["RegimenItem"].updated == 1
    assert report.counts["ProtocolVersion"].updated == 1  # its data_sha256
    assert report.total("updated") == 2 and report.total("created") == 0 and report.total("deleted") == 0
    assert history_count() == before + 2
    new_sha = version("original").data_sha256
    last, previous = item.history.order_by("-history_id")[:2]
    assert last.history_type == "~" and last.dose_amount == Decimal("200") and previous.dose_amount == Decimal("250")
    assert last.history_change_reason.startswith(f"Protocol data reload: NCT01371630/original.yaml sha256 {new_sha}")
    assert last.history_user == actor
    assert any("dose_amount 250 → 200" in line for line in report.changes)


@pytest.mark.django_db
def test_row_removed_from_the_file_is_deleted_with_an_audit_record(loaded, actor, data_copy):
    path = data_copy / "amended-2017.yaml"
    data = yaml.safe_load(path.read_text())
    data["parameters"] = [p for p in data["parameters"] if p["key"] != "landmark_sct_months"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    param = ProtocolParameter.objects.get(protocol_version__code="amended-2017", key="landmark_sct_months")

    report = protocol_load(actor=actor, directory=data_copy)

    assert report.counts["ProtocolParameter"].deleted == 1
    assert report.deletions == ["ProtocolParameter parameter amended-2017/landmark_sct_months"]
    assert not ProtocolParameter.objects.filter(pk=param.pk).exists()
    gone = ProtocolParameter.history.filter(id=param.pk).latest("history_id")
    assert gone.history_type == "-" and gone.history_change_reason.endswith("no longer in the file")
    assert ProtocolParameter.objects.filter(protocol_version__code="original", key="landmark_sct_months").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        (
            "original.yaml",
            "      drug: cyclophosphamide\n",
            "      drug: cyclophosphamid\n",
            "NCT01371630/original.yaml: regimen item mini-hcvd-odd/cyclophosphamide: "
            "unknown drug code 'cyclophosphamid' (not in the drugs of trial.yaml)",
        ),
        (
            "original.yaml",
            "      dose_amount: 250\n",
            "      dose_amount: -250\n",
            "NCT01371630/original.yaml: regimen item mini-hcvd-even/methotrexate: "
            "dose_amount: must be greater than 0, got -250",
        ),
        (
            "amended-2017.yaml",
            '      days: "5-28"\n',
            '      days: "5-48"\n',
            "NCT01371630/amended-2017.yaml: regimen item blinatumomab/blinatumomab-first-course-target: "
            "day 43 is outside the course (days 1–42)",
        ),
        (
            "trial.yaml",
            "  - code: ursodiol-2015\n",
            "  - code: ursodiol-2015\n    typo_field: 1\n",
            "NCT01371630/trial.yaml: amendment ursodiol-2015: unknown field 'typo_field'",
        ),
    ],
)
def test_invalid_file_is_refused_naming_file_and_item_and_nothing_is_written(actor, data_copy, file, old, new, message):
    edit(data_copy / "trial.yaml", "  nct_id: NCT01371630\n", "  nct_id: NCT00000001\n")  # a trial not yet loaded
    edit(data_copy / file, old, new)
    counts, history = row_counts(), history_count()

    with pytest.raises(ProtocolDataError) as exc:
        protocol_load(actor=actor, directory=data_copy)

    assert any(e.startswith(message) for e in exc.value.errors), exc.value.errors
    assert not Trial.objects.filter(nct_id="NCT00000001").exists()
    assert row_counts() == counts and history_count() == history


@pytest.mark.django_db
def test_invalid_reload_leaves_the_loaded_protocol_untouched(loaded, actor, data_copy):
    edit(data_copy / "amended-2017.yaml", "    value: 2.7\n", "    value: 2.8\n")  # valid change
    edit(data_copy / "original.yaml", "      dose_amount: 250\n", "      dose_amount: -250\n")  # invalid
    counts, history = row_counts(), history_count()

    with pytest.raises(ProtocolDataError):
        protocol_load(actor=actor, directory=data_copy)

    assert row_counts() == counts and history_count() == history
    assert parameter_value(version("amended-2017"), "inotuzumab_cumulative_max_mg_m2") == Decimal("2.7")


@pytest.mark.django_db
def test_duplicate_yaml_key_is_refused(actor, data_copy):
    edit(data_copy / "trial.yaml", "  nct_id: NCT01371630\n", "  nct_id: NCT01371630\n  nct_id: NCT99999999\n")

    with pytest.raises(ProtocolDataError) as exc:
        protocol_load(actor=actor, directory=data_copy)

    assert "NCT01371630/trial.yaml: not valid YAML" in str(exc.value) and "duplicate key 'nct_id'" in str(exc.value)


@pytest.mark.django_db
def test_management_command_prints_the_report(actor, data_copy):
    out = io.StringIO()
    call_command("load_protocol", "--dir", str(data_copy), "--user", actor.username, stdout=out)
    assert "RegimenItem" in out.getvalue() and "NCT01371630/original.yaml" in out.getvalue()

    out = io.StringIO()
    call_command("load_protocol", "--dir", str(data_copy), stdout=out)
    assert "Nothing changed." in out.getvalue()

    edit(data_copy / "original.yaml", "      dose_amount: 250\n", "      dose_amount: 0\n")
    with pytest.raises(CommandError, match="dose_amount: must be greater than 0"):
        call_command("load_protocol", "--dir", str(data_copy), stdout=io.StringIO())


# --- The protocol as loaded, against PROTOCOL.md --------------------------------------------


@pytest.mark.django_db
def test_course_sequences_match_the_protocol(loaded):
    original = [c.course_type.code for c in planned_courses(version("original"))]
    amended = [c.course_type.code for c in planned_courses(version("amended-2017"))]
    assert original == EXPECTED_SEQUENCE_ORIGINAL
    assert amended == EXPECTED_SEQUENCE_AMENDED
    lengths = {(ct.protocol_version.code, ct.code): (ct.length_days, ct.cycle_days) for ct in CourseType.objects.all()}
    assert lengths == {
        ("original", ODD): (28, 28),
        ("original", EVEN): (28, 28),
        ("original", POMP): (28, 28),
        ("amended-2017", ODD): (28, 28),
        ("amended-2017", EVEN): (28, 28),
        ("amended-2017", BLIN): (42, 42),  # 6-week courses, 4 weeks on
        ("amended-2017", POMP): (28, 28),
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("key", "expected"),
    list(EXPECTED_COURSES.items()),
    ids=["-".join(str(part) for part in key) for key in EXPECTED_COURSES],  # not the sets: their order varies
)
def test_each_course_drug_by_drug_and_day_by_day(loaded, key, expected):
    version_code, course_number, dose_level = key
    items = course_items(version_code, course_number, dose_level=dose_level)
    assert schedule(items) == expected


@pytest.mark.django_db
def test_every_course_type_of_both_versions_is_checked(loaded):
    checked = set()
    for version_code, course_number, _level in EXPECTED_COURSES:
        course = next(c for c in planned_courses(version(version_code)) if c.course_number == course_number)
        checked.add((version_code, course.course_type.code))
    assert checked == {(ct.protocol_version.code, ct.code) for ct in CourseType.objects.all()}


@pytest.mark.django_db
def test_planned_cumulative_inotuzumab(loaded):
    def cumulative(version_code, dose_level=None):
        total = Decimal(0)
        for course_number in (1, 2, 3, 4):
            for item in course_items(version_code, course_number, dose_level=dose_level):
                if item.drug.code == "inotuzumab-ozogamicin":
                    total += planned_amount(item)
        return total

    assert cumulative("amended-2017") == Decimal("2.7")
    assert cumulative("original", "higher") == Decimal("5.7")
    assert cumulative("original", "lower") == Decimal("4.3")
    assert parameter_value(version("amended-2017"), "inotuzumab_cumulative_max_mg_m2") == Decimal("2.7")
    assert parameter_value(version("original"), "inotuzumab_cumulative_max_mg_m2") == Decimal("5.7")


@pytest.mark.django_db
def test_original_inotuzumab_needs_the_patients_dose_level(loaded):
    with pytest.raises(DoseLevelRequired):
        course_items("original", 1)
    assert course_items("original", 5)  # no inotuzumab in course 5: no level needed


@pytest.mark.django_db
@pytest.mark.parametrize("version_code", ["original", "amended-2017"])
def test_rituximab_only_when_cd20_at_least_20_percent(loaded, version_code):
    def has_rituximab(cd20):
        values = {"cd20_percent": cd20, "cns_disease_active": 0}
        items = course_items(version_code, 1, values=values, dose_level="higher")
        return any(i.drug.code == "rituximab" for i in items)

    assert not has_rituximab(Decimal("19.9"))
    assert not has_rituximab(19.9)
    assert has_rituximab(20)
    assert has_rituximab(Decimal("85"))
    with pytest.raises(PatientValueRequired, match="cd20_percent"):
        course_items(version_code, 1, values={"cns_disease_active": 0}, dose_level="higher")


@pytest.mark.django_db
def test_blinatumomab_step_up_only_in_the_first_blinatumomab_course(loaded):
    doses = {}
    for course in planned_courses(version("amended-2017")):
        if course.course_type.code == BLIN:
            items = course_items("amended-2017", course.course_number)
            doses[course.course_number] = sorted({i.dose_amount for i in items if i.drug.code == "blinatumomab"})
    assert doses == {
        5: [Decimal("9"), Decimal("28")],
        6: [Decimal("28")],
        7: [Decimal("28")],
        8: [Decimal("28")],
        12: [Decimal("28")],
        16: [Decimal("28")],
        20: [Decimal("28")],
        24: [Decimal("28")],
    }


@pytest.mark.django_db
@pytest.mark.parametrize("version_code", ["original", "amended-2017"])
def test_intrathecal_order_odd_versus_even_courses(loaded, version_code):
    def intrathecal(course_number):
        items = course_items(version_code, course_number, dose_level="lower")
        return {(i.drug.code, i.days[0], i.day_window_before, i.day_window_after) for i in items if i.route == "IT"}

    assert intrathecal(1) == intrathecal(3) == {("methotrexate", 2, 3, 3), ("cytarabine", 7, 3, 3)}
    assert intrathecal(2) == intrathecal(4) == {("cytarabine", 2, 3, 3), ("methotrexate", 7, 3, 3)}
    it_methotrexate = next(
        i
        for i in course_items(version_code, 1, dose_level="lower")
        if i.route == "IT" and i.drug.code == "methotrexate"
    )
    assert {"drug": "methotrexate", "dose_amount": "6", "dose_unit": "mg", "route": "OMMAYA"}.items() <= (
        it_methotrexate.alternatives[0].items()
    )


@pytest.mark.django_db
def test_active_cns_disease_gets_triple_intrathecal_therapy_in_course_1_then_prophylaxis(loaded):
    values = {"cd20_percent": 0, "cns_disease_active": 1}

    def intrathecal(course_number):
        items = course_items("amended-2017", course_number, values=values)
        return {(i.drug.code, i.dose_amount.normalize(), i.frequency) for i in items if i.route == "IT"}

    assert intrathecal(1) == {
        ("cytarabine", Decimal("40"), Frequency.AS_INDICATED),
        ("methotrexate", Decimal("12"), Frequency.AS_INDICATED),
        ("hydrocortisone", Decimal("50"), Frequency.AS_INDICATED),
    }
    assert intrathecal(2) == {
        ("cytarabine", Decimal("100"), Frequency.ONCE_DAILY),
        ("methotrexate", Decimal("12"), Frequency.ONCE_DAILY),
    }


@pytest.mark.django_db
def test_ursodiol_only_for_courses_started_on_or_after_the_2015_amendment(loaded):
    def has_ursodiol(start):
        items = course_items("original", 2, start=start, dose_level="higher")
        return any(i.drug.code == "ursodiol" for i in items)

    assert not has_ursodiol(date(2015, 8, 31))
    assert has_ursodiol(date(2015, 9, 1))
    ursodiol = RegimenItem.objects.filter(drug__code="ursodiol")
    assert {i.introduced_by.code for i in ursodiol} == {"ursodiol-2015"}


@pytest.mark.django_db
def test_azoles_are_held_around_vincristine_in_both_versions(loaded):
    rules = {
        (r.protocol_version.code, r.held_drug_class, r.anchor_drug.code, r.days_before, r.days_after)
        for r in DrugHoldRule.objects.select_related("protocol_version", "anchor_drug")
    }
    assert rules == {
        ("original", "azole", "vincristine", 1, 1),
        ("amended-2017", "azole", "vincristine", 1, 1),
    }
    assert set(Drug.objects.filter(drug_class="azole").values_list("code", flat=True)) == {
        "voriconazole",
        "posaconazole",
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("ae_reporting_window_months", "2"),
        ("sos_reporting_window_months", "24"),
        ("early_death_days", "28"),
        ("rituximab_cd20_min_percent", "20"),
        ("dose_deviation_tolerance_percent", "10"),
        ("sos_bilirubin_min_mg_dl", "2"),
        ("sos_weight_gain_min_percent", "5"),
    ],
)
def test_parameters_of_both_versions(loaded, key, value):
    for version_code in ("original", "amended-2017"):
        assert parameter_value(version(version_code), key) == Decimal(value)


@pytest.mark.django_db
def test_missing_parameter_is_a_clear_error(loaded):
    with pytest.raises(ProtocolParameterMissing, match="original has no parameter 'blinatumomab_reduced_dose_ug_day'"):
        parameter_value(version("original"), "blinatumomab_reduced_dose_ug_day")
    assert parameter_value(version("amended-2017"), "blinatumomab_reduced_dose_ug_day") == Decimal("9")


@pytest.mark.django_db
def test_defaults_not_in_the_paper_are_marked(loaded):
    not_in_paper = set(RegimenItem.objects.filter(source="not_in_paper").values_list("drug__code", "route").distinct())
    assert not_in_paper == {("rituximab", "IV"), ("cytarabine", "IT")}
    assert ProtocolParameter.objects.get(protocol_version__code="original", key="sos_bilirubin_min_mg_dl").source == (
        "not_in_paper"
    )


# --- Eligibility (PROTOCOL.md §2) and version assignment (§1), by hand -----------------------

# code → (kind, variable, comparator, threshold, allowed values, unit): what must hold to be eligible.
EXPECTED_CRITERIA = {
    # Inclusion: R-R pre-B ALL, Ph-negative, CD22-positive; ECOG ≤ 3; EF > 50%; bilirubin ≤ 1.95 mg/dL;
    # creatinine ≤ 2.0 mg/dL; signed informed consent before any study procedure.
    "pre-b-all": ("inclusion", "diagnosis", "==", None, ["pre_b_all"], ""),
    "relapsed-refractory": ("inclusion", "disease_status", "in", None, ["relapsed", "refractory"], ""),
    "ph-negative": ("inclusion", "ph_status", "==", None, ["negative"], ""),
    "cd22-positive": ("inclusion", "cd22_status", "==", None, ["positive"], ""),
    "ecog": ("inclusion", "ecog", "<=", Decimal("3"), [], ""),
    "ejection-fraction": ("inclusion", "ejection_fraction_percent", ">", Decimal("50"), [], "%"),
    "bilirubin": ("inclusion", "bilirubin_mg_dl", "<=", Decimal("1.95"), [], "mg/dL"),
    "creatinine": ("inclusion", "creatinine_mg_dl", "<=", Decimal("2.0"), [], "mg/dL"),
    "informed-consent": ("inclusion", "consent_date", "present", None, [], ""),
    # Exclusion: active infection not controlled by antibiotics; NYHA 3–4; second active malignancy.
    "uncontrolled-infection": ("exclusion", "uncontrolled_infection", "==", None, [False], ""),
    "nyha-heart-failure": ("exclusion", "nyha_class", "<=", Decimal("2"), [], ""),
    "second-malignancy": ("exclusion", "second_active_malignancy", "==", None, [False], ""),
}


def criteria_of(version_code):
    return {
        c.code: (c.kind, c.variable, c.comparator, c.threshold, c.allowed_values, c.unit)
        for c in EligibilityCriterion.objects.filter(protocol_version__code=version_code)
    }


@pytest.mark.django_db
@pytest.mark.parametrize("version_code", ["original", "amended-2017"])
def test_eligibility_criteria_match_the_protocol(loaded, version_code):
    assert criteria_of(version_code) == EXPECTED_CRITERIA
    ordered = EligibilityCriterion.objects.filter(protocol_version__code=version_code)
    kinds = [c.kind for c in ordered]
    assert kinds == sorted(kinds, key=lambda k: k != "inclusion"), "inclusion criteria are listed first"
    assert all(c.source == "paper" and c.text for c in ordered)


@pytest.mark.django_db
def test_eligibility_boundaries_as_loaded(loaded):
    from patients.derivations.eligibility import MET, NOT_MET, CriterionSpec, evaluate_criterion

    def status(code, value):
        criterion = EligibilityCriterion.objects.get(protocol_version__code="original", code=code)
        return evaluate_criterion(CriterionSpec.from_model(criterion), value).status

    assert (status("bilirubin", Decimal("1.95")), status("bilirubin", Decimal("1.96"))) == (MET, NOT_MET)
    assert (status("ejection-fraction", Decimal("50")), status("ejection-fraction", Decimal("50.1"))) == (NOT_MET, MET)
    assert (status("creatinine", Decimal("2.0")), status("creatinine", Decimal("2.01"))) == (MET, NOT_MET)
    assert (status("ecog", 3), status("ecog", 4)) == (MET, NOT_MET)
    assert (status("nyha-heart-failure", 2), status("nyha-heart-failure", 3)) == (MET, NOT_MET)


@pytest.mark.django_db
def test_versions_carry_their_assignment_rule(loaded):
    assert version("original").assignment_rule == "base"
    assert version("amended-2017").assignment_rule == "sequence_or_date"


@pytest.mark.django_db
def test_changed_threshold_is_updated_and_removed_criterion_deleted_with_audit(loaded, actor, data_copy):
    path = data_copy / "amended-2017.yaml"
    edit(path, "    threshold: 1.95\n", "    threshold: 1.5\n")
    data = yaml.safe_load(path.read_text())
    data["eligibility_criteria"] = [c for c in data["eligibility_criteria"] if c["code"] != "second-malignancy"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    gone = EligibilityCriterion.objects.get(protocol_version__code="amended-2017", code="second-malignancy")

    report = protocol_load(actor=actor, directory=data_copy)

    counts = report.counts["EligibilityCriterion"]
    assert (counts.created, counts.updated, counts.deleted) == (0, 1, 1)
    bilirubin = EligibilityCriterion.objects.get(protocol_version__code="amended-2017", code="bilirubin")
    assert bilirubin.threshold == Decimal("1.5")
    assert bilirubin.history.latest("history_id").history_change_reason.startswith("Protocol data reload:")
    assert not EligibilityCriterion.objects.filter(pk=gone.pk).exists()
    assert EligibilityCriterion.history.filter(id=gone.pk).latest("history_id").history_type == "-"
    assert criteria_of("original") == EXPECTED_CRITERIA  # the other version is untouched
    assert not protocol_load(actor=actor, directory=data_copy).changed  # and a second load changes nothing


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "    variable: bilirubin_mg_dl\n",
            "    variable: bilirubin\n",
            "eligibility criterion bilirubin: unknown variable 'bilirubin'",
        ),
        (
            "    allowed_values: [negative]\n",
            "    allowed_values: [negativ]\n",
            "eligibility criterion ph-negative: 'negativ' is not a value of 'ph_status'",
        ),
        (
            "    threshold: 1.95\n",
            "",
            "eligibility criterion bilirubin: comparator <= needs a threshold",
        ),
        (
            '    variable: ph_status\n    comparator: "=="\n',
            '    variable: ph_status\n    comparator: "<="\n',
            "eligibility criterion ph-negative: variable 'ph_status' is not a number",
        ),
        (
            "    allowed_values: [relapsed, refractory]\n",
            "    allowed_values: []\n",
            "eligibility criterion relapsed-refractory: comparator in needs allowed_values",
        ),
        (
            "  assignment_rule: sequence_or_date\n",
            "  assignment_rule: by_moon_phase\n",
            "version: assignment_rule: must be one of",
        ),
        (
            "  applies_from_sequence_number: 68\n",
            "  applies_from_sequence_number: null\n",
            "version: assignment_rule sequence_or_date needs applies_from_sequence_number",
        ),
    ],
)
def test_invalid_criterion_or_assignment_rule_is_refused(loaded, actor, data_copy, old, new, message):
    edit(data_copy / "amended-2017.yaml", old, new)
    counts, history = row_counts(), history_count()

    with pytest.raises(ProtocolDataError) as exc:
        protocol_load(actor=actor, directory=data_copy)

    assert any(e.startswith(f"NCT01371630/amended-2017.yaml: {message}") for e in exc.value.errors), exc.value.errors
    assert row_counts() == counts and history_count() == history


@pytest.mark.django_db
def test_two_base_versions_are_refused(actor, data_copy):
    edit(data_copy / "amended-2017.yaml", "  assignment_rule: sequence_or_date\n", "  assignment_rule: base\n")
    with pytest.raises(ProtocolDataError) as exc:
        protocol_load(actor=actor, directory=data_copy)
    assert "NCT01371630/trial.yaml: versions: exactly one protocol version must have assignment_rule base, got 2" in (
        str(exc.value)
    )


@pytest.mark.django_db
@pytest.mark.parametrize("version_code", ["original", "amended-2017"])
def test_response_rules_match_protocol_section_4(version_code):
    """CR: blasts ≤ 5%, neutrophils > 1, platelets > 100; CRp: platelets below; CRi: both below;
    neutrophils < 1 with platelets recovered is the paper's gap, read as CRi and marked not in paper."""
    rules = [
        (
            r.category,
            r.marrow_blasts_max_percent.normalize(),
            r.neutrophils_comparator,
            r.neutrophils_threshold.normalize(),
            r.platelets_comparator,
            r.platelets_threshold.normalize(),
            r.extramedullary_disease_allowed,
            r.source,
        )
        for r in ResponseRule.objects.filter(protocol_version__code=version_code).order_by("order")
    ]
    assert rules == [
        ("cr", Decimal(5), ">", Decimal(1), ">", Decimal(100), False, "paper"),
        ("crp", Decimal(5), ">", Decimal(1), "<=", Decimal(100), False, "paper"),
        ("cri", Decimal(5), "<=", Decimal(1), "<=", Decimal(100), False, "paper"),
        ("cri", Decimal(5), "<=", Decimal(1), ">", Decimal(100), False, "not_in_paper"),
    ]
