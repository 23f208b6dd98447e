"""The CTCAE v5.0 dictionary: the shipped files, their loader and the audit trail of what it writes.

The counts below are those the data's README states for NCI's spreadsheet; the session fixture has already loaded
the shipped files into the test database (as production does after migrate).
"""

import hashlib
import io
import shutil
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from adverse_events.dictionary import DEFAULT_DIRECTORY, CTCAEDataError, ctcae_load
from adverse_events.models import CTCAETerm, CTCAEVersion, LabAnalyte, LabGradingRule, LabPlausibleRange
from adverse_events.selectors import grade_result

MODELS = (CTCAEVersion, CTCAETerm, LabGradingRule)
TERMS_FILE = "ctcae_v5.csv"
NOTES_FILE = "ctcae_v5_navigational_notes.csv"
LAB_FILE = "ctcae_v5_lab_grading.csv"
HEPATIC_FAILURE_GRADE_3 = "Asterixis; mild encephalopathy; drug-induced liver injury (DILI); limiting self care ADL"


def row_counts():
    return {m.__name__: m.objects.count() for m in MODELS}


def history_count():
    return sum(m.history.count() for m in MODELS)


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def edit(path, old, new, count=1):
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= count, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


@pytest.fixture
def actor(django_user_model):
    return django_user_model.objects.create_user(username="data.manager", password="x" * 12)


@pytest.fixture
def version(db):
    return CTCAEVersion.objects.get(code="5.0")


@pytest.fixture
def data_copy(tmp_path):
    """A copy of the shipped folder under the same folder name (so file names in reasons match)."""
    return shutil.copytree(DEFAULT_DIRECTORY, tmp_path / DEFAULT_DIRECTORY.name)


# --------------------------------------------------------------------------------------------
# What is loaded
# --------------------------------------------------------------------------------------------


def test_the_shipped_version_has_837_terms_in_26_socs(version):
    assert (version.name, version.published) == (
        "Common Terminology Criteria for Adverse Events (CTCAE) v5.0",
        date(2017, 11, 27),
    )
    assert version.terms.count() == 837
    per_soc = dict(version.terms.values_list("soc").annotate(n=Count("id")))
    assert len(per_soc) == 26
    assert per_soc["Blood and lymphatic system disorders"] == 12
    assert per_soc["Gastrointestinal disorders"] == 122
    assert per_soc["Social circumstances"] == 1
    assert version.lab_rules.count() == 569
    assert version.lab_rules.values("lab_term").distinct().count() == 40


def test_the_version_records_its_files_checksums_and_provenance(version):
    assert version.terms_sha256 == sha256(DEFAULT_DIRECTORY / TERMS_FILE)
    assert version.lab_rules_sha256 == sha256(DEFAULT_DIRECTORY / LAB_FILE)
    assert "public domain" in version.provenance and "Apache License 2.0" in version.provenance
    assert f"ctcae_v5.0/{NOTES_FILE} {sha256(DEFAULT_DIRECTORY / NOTES_FILE)}" in version.provenance
    first = CTCAETerm.history.filter(meddra_code="10019663").earliest("history_id")
    assert first.history_change_reason.startswith(f"CTCAE v5.0 data load: ctcae_v5.0/{TERMS_FILE} sha256 ")


def test_hepatic_failure_has_no_grade_1_or_2(version):
    term = version.terms.get(term="Hepatic failure")
    assert (term.meddra_code, term.soc) == ("10019663", "Hepatobiliary disorders")
    assert term.grade_1 == "" and term.grade_2 == ""  # "-" in NCI's sheet
    assert term.grade_3 == HEPATIC_FAILURE_GRADE_3
    assert term.grade_5 == "Death"
    assert term.defined_grades == [3, 4, 5]


def test_undefined_grades_are_empty_as_often_as_nci_writes_a_dash(version):
    undefined = {f"grade_{g}": version.terms.filter(**{f"grade_{g}": ""}).count() for g in range(1, 6)}
    assert undefined == {"grade_1": 192, "grade_2": 92, "grade_3": 87, "grade_4": 286, "grade_5": 343}


def test_other_specify_terms_are_flagged_one_per_soc(version):
    other = [t for t in version.terms.all() if t.is_other_specify]
    assert len(other) == 26
    assert len({t.soc for t in other}) == 26
    assert all(t.definition == "" for t in other)
    assert "Musculoskeletal and connective tissue disorder - Other, specify" in {t.term for t in other}
    assert not version.terms.get(term="Anemia").is_other_specify


def test_navigational_notes_are_merged_by_meddra_code(version):
    assert version.terms.exclude(navigational_note="").count() == 74
    heart_failure = version.terms.get(meddra_code="10019279")
    assert heart_failure.navigational_note.startswith("If left sided use Cardiac disorders:")


def test_nci_line_breaks_and_symbols_are_kept(version):
    hypertension = version.terms.get(term="Hypertension")
    assert "Adult:" in hypertension.grade_1 and "\n" in hypertension.grade_1
    columns = ("grade_1", "grade_2", "grade_3", "grade_4", "grade_5", "definition")
    cells = [text for row in version.terms.values_list(*columns) for text in row]
    assert sum("≥" in text for text in cells) == 3
    assert sum("\n" in text for text in cells) == 14


def test_lab_rules_link_to_their_ctcae_term(version):
    rule = version.lab_rules.select_related("ctcae_term").get(
        lab_term="Hypocalcemia (Ionized)", unit_system="SI", rule_order=2
    )
    assert (rule.ctcae_term.term, rule.grade, rule.threshold_value) == ("Hypocalcemia", 4, Decimal("0.8"))
    not_gradable = version.lab_rules.get(lab_term="Anemia", unit_system="SI", rule_order=1)
    assert not_gradable.grade is None and not_gradable.condition == "result is missing"
    factor = version.lab_rules.get(lab_term="Blood bilirubin increased", unit_system="SI", rule_order=2)
    assert (factor.threshold_ref, factor.threshold_factor, factor.threshold_value) == ("ULN", Decimal("10"), None)


# --------------------------------------------------------------------------------------------
# Loading again, changes, deletions
# --------------------------------------------------------------------------------------------


def test_loading_the_shipped_files_again_writes_nothing(version, actor, django_assert_max_num_queries):
    counts, history = row_counts(), history_count()
    with django_assert_max_num_queries(10):
        report = ctcae_load(actor=actor, directory=DEFAULT_DIRECTORY)
    assert not report.changed
    lab_tests = LabAnalyte.objects.count() + LabPlausibleRange.objects.count()  # 31 lab tests, 70 ranges
    assert report.total("unchanged") == 1 + 837 + 569 + lab_tests and lab_tests == 31 + 70
    assert "Nothing changed." in report.as_text()
    assert row_counts() == counts and history_count() == history


def test_a_first_load_creates_every_row_with_one_history_row_each(version, actor, data_copy):
    edit(data_copy / "version.yaml", 'code: "5.0"', 'code: "5.0-copy"')
    edit(data_copy / "version.yaml", "published: 2017-11-27", "published: 2000-01-01")
    counts, history = row_counts(), history_count()

    report = ctcae_load(actor=actor, directory=data_copy)

    created = {name: c.created for name, c in report.counts.items()}
    # The lab tests are not per CTCAE version: loaded already, they are unchanged.
    assert created == {
        "CTCAEVersion": 1,
        "CTCAETerm": 837,
        "LabGradingRule": 569,
        "LabAnalyte": 0,
        "LabPlausibleRange": 0,
    }
    assert row_counts() == {name: counts[name] + created[name] for name in counts}
    assert history_count() == history + 1 + 837 + 569
    copy = CTCAEVersion.objects.get(code="5.0-copy")
    entry = CTCAETerm.history.filter(version_id=copy.pk, meddra_code="10019663").get()
    assert entry.history_type == "+" and entry.history_user == actor
    assert entry.history_change_reason.startswith(f"CTCAE v5.0-copy data load: ctcae_v5.0/{TERMS_FILE} sha256 ")
    rule = LabGradingRule.objects.get(version=copy, lab_term="Anemia", unit_system="SI", rule_order=2)
    assert rule.ctcae_term.version_id == copy.pk

    after_first = history_count()
    assert not ctcae_load(actor=actor, directory=data_copy).changed
    assert history_count() == after_first


def test_changed_grade_text_updates_the_term_with_an_audit_record(version, actor, data_copy):
    edit(data_copy / TERMS_FILE, HEPATIC_FAILURE_GRADE_3, HEPATIC_FAILURE_GRADE_3.replace("self care", "self-care"))
    new_sha = sha256(data_copy / TERMS_FILE)
    history = history_count()

    report = ctcae_load(actor=actor, directory=data_copy)

    assert report.counts["CTCAETerm"].updated == 1 and report.counts["CTCAETerm"].unchanged == 836
    assert report.counts["CTCAEVersion"].updated == 1  # its terms checksum
    assert report.counts["LabGradingRule"].updated == 0
    assert history_count() == history + 2
    term = CTCAETerm.objects.get(version=version, term="Hepatic failure")
    assert term.grade_3.endswith("limiting self-care ADL")
    last, previous = term.history.order_by("-history_id")[:2]
    assert last.history_type == "~" and last.history_user == actor
    assert previous.grade_3 == HEPATIC_FAILURE_GRADE_3
    assert last.history_change_reason.startswith(f"CTCAE v5.0 data reload: ctcae_v5.0/{TERMS_FILE} sha256 {new_sha}")
    assert any(line.startswith("CTCAETerm 10019663 Hepatic failure (line 267): grade_3") for line in report.changes)
    version.refresh_from_db()
    assert version.terms_sha256 == new_sha


def test_changed_lab_threshold_updates_the_rule_and_the_grades(version, actor, data_copy):
    anemia = {"lab_term": "Anemia", "unit": "g/L", "value": Decimal("80.5"), "lln": Decimal("120")}
    assert grade_result(anemia) == 2  # <100 - 80 g/L
    edit(data_copy / LAB_FILE, "result < 80,<,absolute,,,80,", "result < 81,<,absolute,,,81,")

    report = ctcae_load(actor=actor, directory=data_copy)

    assert report.counts["LabGradingRule"].updated == 1
    rule = version.lab_rules.get(lab_term="Anemia", unit_system="SI", rule_order=2)
    assert rule.threshold_value == Decimal("81") and rule.condition == "result < 81"
    assert rule.history.latest("history_id").history_change_reason.startswith(
        f"CTCAE v5.0 data reload: ctcae_v5.0/{LAB_FILE} sha256 {sha256(data_copy / LAB_FILE)}"
    )
    assert grade_result(anemia) == 3  # the loader forgot the rules it had read


def test_rule_removed_from_the_file_is_deleted_with_an_audit_record(version, actor, data_copy):
    lines = (data_copy / LAB_FILE).read_text(encoding="utf-8").splitlines(keepends=True)
    removed = [line for line in lines if line.startswith("Anemia,Anemia,10002272,") and ",SI,g/L,L," in line][1]
    assert ",2,3,result < 80," in removed
    (data_copy / LAB_FILE).write_text("".join(line for line in lines if line != removed), encoding="utf-8")
    edit(data_copy / "version.yaml", "lab_rules: 569", "lab_rules: 568")
    rule = version.lab_rules.get(lab_term="Anemia", unit_system="SI", rule_order=2)

    report = ctcae_load(actor=actor, directory=data_copy)

    assert report.counts["LabGradingRule"].deleted == 1
    assert report.deletions == ["LabGradingRule Anemia [SI g/L] #2"]
    assert not LabGradingRule.objects.filter(pk=rule.pk).exists()
    gone = LabGradingRule.history.filter(id=rule.pk).latest("history_id")
    assert gone.history_type == "-" and gone.history_change_reason.endswith("no longer in the file")


# --------------------------------------------------------------------------------------------
# Bad files are refused, naming file and row, and nothing is written
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "file, old, new, message",
    [
        (
            TERMS_FILE,
            "10019663,Hepatobiliary disorders,Hepatic failure,",
            "10002272,Hepatobiliary disorders,Hepatic failure,",
            "ctcae_v5.0/ctcae_v5.csv: line 267 (Hepatic failure): duplicate MedDRA code '10002272' (first on line 2)",
        ),
        (
            TERMS_FILE,
            "Hepatic failure,-,-,Asterixis",
            "Hepatic failure,,-,Asterixis",
            "ctcae_v5.0/ctcae_v5.csv: line 267 (Hepatic failure): grade_1: must not be empty (write '-' for a grade "
            "that is not defined)",
        ),
        (
            TERMS_FILE,
            "10019663,Hepatobiliary disorders,Hepatic failure,",
            "1001966,Hepatobiliary disorders,Hepatic failure,",
            "ctcae_v5.0/ctcae_v5.csv: line 267 (Hepatic failure): meddra_code: must be 8 digits, got '1001966'",
        ),
        (
            LAB_FILE,
            "Anemia,Anemia,10002272,",
            "Anemia,Anemia,10099999,",
            "ctcae_v5.0/ctcae_v5_lab_grading.csv: line 2 (Anemia #1): MedDRA code '10099999' is not a term of "
            "ctcae_v5.0/ctcae_v5.csv",
        ),
        (
            LAB_FILE,
            "Anemia,Anemia,10002272,",
            "Anemia,Anaemia,10002272,",
            "ctcae_v5.0/ctcae_v5_lab_grading.csv: line 2 (Anemia #1): ctcae_term 'Anaemia' does not match "
            "ctcae_v5.0/ctcae_v5.csv, where MedDRA code 10002272 is 'Anemia'",
        ),
        (
            LAB_FILE,
            "result < 80,<,absolute,,,80,",
            "result ≤ 80,<,absolute,,,80,",
            "ctcae_v5.0/ctcae_v5_lab_grading.csv: line 3 (Anemia #2): clause 'result ≤ 80' not understood",
        ),
        (
            LAB_FILE,
            "result < 80,<,absolute,,,80,",
            "result < 80,<,absolute,,,8O,",
            "ctcae_v5.0/ctcae_v5_lab_grading.csv: line 3 (Anemia #2): threshold_value: must be a number, got '8O'",
        ),
        (
            NOTES_FILE,
            "10019279,Cardiac disorders,Heart failure,",
            "10019279,Cardiac disorders,Heart failures,",
            "ctcae_v5.0/ctcae_v5_navigational_notes.csv: line 3 (Heart failures): term 'Heart failures' does not "
            "match ctcae_v5.0/ctcae_v5.csv, where MedDRA code 10019279 is 'Heart failure'",
        ),
        (
            "version.yaml",
            "terms: 837",
            "terms: 838",
            "ctcae_v5.0/version.yaml: expected: version.yaml expects 838 terms in ctcae_v5.0/ctcae_v5.csv, the files "
            "have 837",
        ),
    ],
)
def test_invalid_file_is_refused_naming_file_and_row_and_nothing_is_written(
    version, actor, data_copy, file, old, new, message
):
    edit(data_copy / file, old, new)
    counts, history = row_counts(), history_count()
    with pytest.raises(CTCAEDataError) as excinfo:
        ctcae_load(actor=actor, directory=data_copy)
    assert any(error.startswith(message) for error in excinfo.value.errors), excinfo.value.errors
    assert row_counts() == counts and history_count() == history


def test_a_missing_file_is_refused(db, actor, data_copy):
    (data_copy / NOTES_FILE).unlink()
    with pytest.raises(CTCAEDataError, match="ctcae_v5.0/ctcae_v5_navigational_notes.csv: file not found"):
        ctcae_load(actor=actor, directory=data_copy)


def test_a_lab_test_must_end_with_otherwise(db, actor, data_copy):
    edit(data_copy / LAB_FILE, ',SI,g/L,L,"result, LLN",6,0,otherwise,', ',SI,g/L,L,"result, LLN",6,NA,LLN is missing,')
    with pytest.raises(CTCAEDataError) as excinfo:
        ctcae_load(actor=actor, directory=data_copy)
    assert excinfo.value.errors == [
        "ctcae_v5.0/ctcae_v5_lab_grading.csv: line 7: the last rule of ('Anemia', 'SI', 'g/L') (rule_order 6) must be "
        "'otherwise', got 'LLN is missing'"
    ]


# --------------------------------------------------------------------------------------------
# The management command
# --------------------------------------------------------------------------------------------


def test_management_command_reports_and_refuses(version, actor, data_copy):
    out = io.StringIO()
    call_command("load_ctcae", dir=data_copy, user=actor.username, stdout=out)
    assert "CTCAE v5.0 from" in out.getvalue() and "Nothing changed." in out.getvalue()

    edit(data_copy / TERMS_FILE, "Hepatic failure,-,-,", "Hepatic failure,,-,")
    with pytest.raises(CommandError, match=r"ctcae_v5.0/ctcae_v5.csv: line 267 \(Hepatic failure\)"):
        call_command("load_ctcae", dir=data_copy, stdout=io.StringIO())
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("load_ctcae", user="nobody", stdout=io.StringIO())
