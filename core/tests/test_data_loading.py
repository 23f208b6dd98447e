"""The shared data-loading mechanism: schema errors in plain words, all at once, and the audited table upsert.

The tables here load a made-up trial (its own NCT id, so the shipped protocol in the test database is not
touched) and its drugs through the real protocol models.
"""

from decimal import Decimal

import pytest

from core.data_loading import (
    Code,
    DataFile,
    DataLoadError,
    DataLoadReport,
    Errors,
    Number,
    RequiredText,
    Schema,
    Source,
    Table,
    Text,
    WholeNumber,
    load_tables,
    read_csv,
    read_yaml,
    validate,
    validate_items,
)
from trial.choices import Route
from trial.models import Drug, Trial

NCT = "NCT09999999"
TRIAL_KEY = (NCT,)
FILE = DataFile("demo/trial.yaml", "a" * 64, "1")
SOURCE = Source("Demo data", (FILE,))


class Alternative(Schema):
    drug: Code
    route: Route | None = None


class Item(Schema):
    code: Code
    name: RequiredText
    dose: Number(2, gt=0)
    days: WholeNumber(1) = 1
    notes: Text = ""
    alternatives: list[Alternative] = []


@pytest.fixture
def actor(django_user_model):
    return django_user_model.objects.create_user(username="loader", password="x" * 12)


def history_count():
    return Trial.history.filter(nct_id=NCT).count() + Drug.history.filter(trial_id__in=trial_ids()).count()


def trial_ids():
    return list(Trial.objects.filter(nct_id=NCT).values_list("id", flat=True))


def tables(drugs, *, title="Demo trial", source=SOURCE):
    """The made-up trial and its drugs (code → name, class) as tables."""
    return [
        Table(
            Trial,
            ("nct_id",),
            [{"nct_id": NCT, "title": title, "short_title": "Demo", "sponsor": ""}],
            Trial.objects.filter(nct_id=NCT),
            lambda key, _values: f"trial {key[0]}",
            source,
        ),
        Table(
            Drug,
            ("trial", "code"),
            [
                {"trial": TRIAL_KEY, "code": code, "name": name, "drug_class": drug_class}
                for code, (name, drug_class) in drugs.items()
            ],
            Drug.objects.filter(trial__nct_id=NCT),
            lambda key, _values: f"drug {key[1]}",
            source,
        ),
    ]


def load(actor, drugs, **kwargs):
    report = DataLoadReport.for_models((Trial, Drug), directory="demo")
    load_tables(tables(drugs, **kwargs), actor=actor, report=report)
    return report


DRUGS = {"vincristine": ("Vincristine", "vinca alkaloid"), "voriconazole": ("Voriconazole", "azole")}


# --------------------------------------------------------------------------------------------
# Schema errors
# --------------------------------------------------------------------------------------------


def test_every_problem_of_every_item_is_reported_at_once_naming_file_item_and_field():
    errors = Errors()
    items = [
        {"code": "ok", "name": "Fine", "dose": "1.25"},
        {"code": "bad code", "name": " ", "dose": -1, "days": True},
        {"code": "typo", "name": "X", "dose": 1.234, "dosse": 2},
        {"name": "no code", "dose": 1},
        "not a mapping",
        {"code": "ok", "name": "Again", "dose": 1},
    ]

    parsed = validate_items(errors, "demo/items.yaml", items, Item, "item")

    assert [p["code"] for p in parsed] == ["ok"]
    assert parsed[0]["dose"] == Decimal("1.25") and parsed[0]["days"] == 1 and parsed[0]["notes"] == ""
    assert errors.messages == [
        "demo/items.yaml: item bad code: code: must be a code of letters, digits, '-' and '_', got 'bad code'",
        "demo/items.yaml: item bad code: name: must not be empty",
        "demo/items.yaml: item bad code: dose: must be greater than 0, got -1",
        "demo/items.yaml: item bad code: days: must be a whole number, got True",
        "demo/items.yaml: item typo: dose: has more than 2 decimal places: 1.234",
        "demo/items.yaml: item typo: unknown field 'dosse' (expected one of: code, name, dose, days, notes, "
        "alternatives)",
        "demo/items.yaml: item #4: code is required",
        "demo/items.yaml: item #5: must be a mapping of field: value",
        "demo/items.yaml: item ok: duplicate item 'ok'",
    ]


def test_nested_errors_say_where_in_the_item_and_empty_optional_fields_take_their_default():
    errors = Errors()
    item = {"code": "x", "name": "X", "dose": 1, "notes": None, "alternatives": [{"drug": "a"}, {"route": "iv"}]}

    assert validate(errors, "f.yaml", "item x", Item, item) is None

    assert errors.messages == [
        "f.yaml: item x: alternatives #2: drug is required",
        "f.yaml: item x: alternatives #2: route: must be one of 'IV', 'CIV', 'PO', 'SC', 'IT' or 'OMMAYA', got 'iv'",
    ]
    values = validate(Errors(), "f.yaml", "item x", Item, item | {"alternatives": [{"drug": "a", "route": "IV"}]})
    assert values["notes"] == "" and values["alternatives"] == [{"drug": "a", "route": "IV"}]


def test_files_that_cannot_be_read_are_reported_by_name(tmp_path):
    errors = Errors()
    (tmp_path / "twice.yaml").write_text("code: a\ncode: b\n")
    (tmp_path / "date.yaml").write_text("effective_date: 2015-13-01\n")
    (tmp_path / "rows.csv").write_text("code,nam\nx,y\n")

    assert read_yaml(tmp_path / "missing.yaml", "demo/missing.yaml", errors) == (None, None)
    assert read_yaml(tmp_path / "twice.yaml", "demo/twice.yaml", errors) == (None, None)
    assert read_yaml(tmp_path / "date.yaml", "demo/date.yaml", errors) == (None, None)
    assert read_csv(tmp_path / "rows.csv", "demo/rows.csv", ("code", "name"), errors) == (None, None)

    assert errors.messages[0] == "demo/missing.yaml: file not found"
    assert (
        errors.messages[1].startswith("demo/twice.yaml: not valid YAML")
        and "duplicate key 'code'" in errors.messages[1]
    )
    assert errors.messages[2] == "demo/date.yaml: not valid YAML: month must be in 1..12"
    assert errors.messages[3] == "demo/rows.csv: line 1: the header must be code,name, got code,nam"


# --------------------------------------------------------------------------------------------
# The audited table upsert
# --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_first_load_creates_every_row_and_an_unchanged_reload_writes_nothing(actor):
    first = load(actor, DRUGS)

    assert {name: c.created for name, c in first.counts.items()} == {"Trial": 1, "Drug": 2}
    trial = Trial.objects.get(nct_id=NCT)
    assert set(trial.drugs.values_list("code", flat=True)) == {"vincristine", "voriconazole"}
    created = Drug.history.get(trial_id=trial.pk, code="vincristine")
    assert created.history_change_reason == f"Demo data load: demo/trial.yaml sha256 {'a' * 64} (data version 1)"
    assert created.history_user == actor
    history = history_count()

    again = load(actor, DRUGS)

    assert not again.changed and again.total("unchanged") == 3
    assert history_count() == history
    assert "Nothing changed." in again.as_text()


@pytest.mark.django_db
def test_a_changed_value_is_updated_with_the_file_and_checksum_as_reason(actor):
    load(actor, DRUGS)
    changed = DataFile("demo/trial.yaml", "b" * 64, "2")

    report = load(
        actor,
        DRUGS | {"voriconazole": ("Voriconazole", "triazole")},
        source=Source("Demo data", (changed,)),
    )

    assert (report.counts["Drug"].updated, report.counts["Drug"].unchanged) == (1, 1)
    assert report.changes == ["Drug drug voriconazole: drug_class 'azole' → 'triazole'"]
    drug = Drug.objects.get(trial__nct_id=NCT, code="voriconazole")
    assert drug.drug_class == "triazole"
    last = drug.history.latest("history_id")
    assert last.history_type == "~" and last.prev_record.drug_class == "azole"
    assert last.history_change_reason == f"Demo data reload: demo/trial.yaml sha256 {'b' * 64} (data version 2)"


@pytest.mark.django_db
def test_a_row_no_longer_in_the_files_is_deleted_and_one_still_referred_to_is_refused(actor):
    load(actor, DRUGS | {"ursodiol": ("Ursodiol", "bile acid")})

    report = load(actor, DRUGS)

    assert report.deletions == ["Drug drug ursodiol"]
    assert not Drug.objects.filter(trial__nct_id=NCT, code="ursodiol").exists()
    gone = Drug.history.filter(code="ursodiol", trial_id__in=trial_ids()).latest("history_id")
    assert gone.history_type == "-" and gone.history_change_reason.endswith(": no longer in the file")


@pytest.mark.django_db
def test_deleting_a_row_still_referred_to_is_refused_and_the_whole_load_rolled_back(actor):
    # The shipped protocol's regimen items and hold rules refer to its drug vincristine.
    shipped = Trial.objects.get(nct_id="NCT01371630")
    trial_row = {f: getattr(shipped, f) for f in ("nct_id", "title", "short_title", "sponsor")}
    drug_rows = [
        {"trial": (shipped.nct_id,), "code": d.code, "name": d.name, "drug_class": d.drug_class}
        for d in shipped.drugs.exclude(code="vincristine")
    ]
    drug_rows[0]["name"] += " (renamed)"
    shipped_tables = [
        Table(Trial, ("nct_id",), [trial_row], Trial.objects.filter(pk=shipped.pk), lambda k, _v: k[0], SOURCE),
        Table(Drug, ("trial", "code"), drug_rows, shipped.drugs.all(), lambda k, _v: f"drug {k[1]}", SOURCE),
    ]
    names = dict(shipped.drugs.values_list("code", "name"))

    with pytest.raises(DataLoadError) as exc:
        load_tables(shipped_tables, actor=actor, report=DataLoadReport(directory="demo"))

    assert len(exc.value.errors) == 1
    assert exc.value.errors[0].startswith(
        "demo/trial.yaml: drug vincristine: is no longer in the data files but cannot be removed: other records "
        "still refer to it ("
    )
    assert "RegimenItem" in exc.value.errors[0]
    assert dict(shipped.drugs.values_list("code", "name")) == names  # the rename in the same load is undone


@pytest.mark.django_db
def test_rows_breaking_the_models_fields_are_all_refused_before_anything_is_written(actor):
    drugs = {"vincristine": ("V" * 101, ""), "voriconazole": ("Voriconazole", "a" * 51)}

    with pytest.raises(DataLoadError) as exc:
        load(actor, drugs, title="")

    assert exc.value.errors == [
        "demo/trial.yaml: trial NCT09999999: title: This field cannot be blank.",
        "demo/trial.yaml: drug vincristine: name: Ensure this value has at most 100 characters (it has 101).",
        "demo/trial.yaml: drug voriconazole: drug_class: Ensure this value has at most 50 characters (it has 51).",
    ]
    assert not Trial.objects.filter(nct_id=NCT).exists()
