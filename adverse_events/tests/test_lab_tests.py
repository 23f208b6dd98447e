"""Lab tests one per analyte (Potassium, not "Potassium, low/high"): the picker, the CTCAE term derived from the
value, the plausible range of every graded lab term, and the migration of values recorded per direction."""

import csv
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from adverse_events.derivations.grading import grade_by_direction
from adverse_events.models import LabResult
from adverse_events.plausibility import UNIT_NOT_OFFERED, lab_test_catalogue, lab_test_of_term
from adverse_events.selectors import rules_for
from adverse_events.tests import test_api
from adverse_events.tests.test_api import LABS, START, errors_of
from core.audit.integrity import audit_integrity_report
from core.audit.trail import record_history

# The fixtures of the API tests: a treated patient, and the lab rules cache forgotten after each test.
make_treated = test_api.make_treated
treated = test_api.treated

GRADING_FILE = "adverse_events/data/ctcae_v5.0/ctcae_v5_lab_grading.csv"
ALT_PER_ML = "ALT (alanine aminotransferase): 250000 U/L is outside the plausible range 0–20000 U/L; check the unit."
FURLONGS = UNIT_NOT_OFFERED.format(test="Potassium", units="mmol/L", unit="furlongs")


def graded_units() -> dict[tuple[str, str], set[str]]:
    """(lab term, unit system) → the units its rules grade (empty string: any unit), from the shipped file."""
    units = {}
    with open(GRADING_FILE, encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            units.setdefault((row["term"], row["unit_system"]), set()).add(row["unit"].casefold())
    return units


def test_every_graded_lab_term_has_a_lab_test_with_a_plausible_range_in_a_graded_unit(db):
    missing, ungraded_units = [], []
    for (lab_term, system), units in sorted(graded_units().items()):
        test = lab_test_of_term(lab_term)
        offered = test.units(system) if test else []
        if not offered:
            missing.append(f"{lab_term} ({system})")
            continue
        for unit in offered:
            low, high = test.plausible_range(system, unit)
            assert low < high, (test.code, system, unit)
            if "" not in units and unit.casefold() not in units:
                ungraded_units.append(f"{test.name} in {unit} ({system}): the rules grade {sorted(units)}")
    assert not missing, f"graded lab terms without a lab test and plausible range: {missing}"
    assert not ungraded_units, ungraded_units


def test_each_lab_test_names_real_lab_terms_and_says_the_basis_of_its_ranges(db):
    graded_terms = {term for term, _system in graded_units()}
    for test in lab_test_catalogue().values():
        assert set(test.lab_terms) <= graded_terms, test.code
        assert test.basis in {"judgement", "definition"} and test.note, test.code


def test_the_migration_maps_each_lab_term_to_the_lab_test_of_the_data_file(db):
    from importlib import import_module

    migration = import_module("adverse_events.migrations.0004_lab_result_lab_test")
    data = {term: test.code for test in lab_test_catalogue().values() for term in test.lab_terms}
    assert data == migration.LAB_TEST_OF_TERM


def test_the_picker_offers_one_potassium_with_its_unit(client, nurse_a, treated):
    client.force_login(nurse_a)
    url = reverse("adverse_events:lab-new", args=[treated.pk])
    page = client.get(url).content.decode()
    assert page.count(">Potassium (mmol/L)</option>") == 1
    assert "Potassium, low" not in page and "Hypokalemia" not in page and "Hyperkalemia" not in page
    assert (
        ">White blood cell count (10^9/L)</option>" in page
        and ">ALT (alanine aminotransferase) (U/L or ukat/L)<" in page
    )
    us = client.get(url, {"units": "US_conventional"}).content.decode()
    assert us.count(">Potassium (mmol/L)</option>") == 1 and ">Calcium (total, corrected) (mg/dL)<" in us


@pytest.mark.parametrize(
    ("value", "lab_term", "grade"),
    [("2.8", "Hypokalemia", 3), ("6.5", "Hyperkalemia", 3), ("5.3", "Hyperkalemia", 1), ("4.2", "Hypokalemia", 0)],
)
def test_a_potassium_is_graded_as_hypo_or_hyperkalemia_by_its_value(
    api_client, nurse_a, treated, value, lab_term, grade
):
    api_client.force_authenticate(nurse_a)
    payload = {
        "patient": treated.pk, "lab_test": "potassium", "collected_on": START.isoformat(), "value": value,
        "lower_limit_normal": "3.5", "upper_limit_normal": "5.1",
    }  # fmt: skip
    response = api_client.post(LABS, payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["lab_test"], body["lab_test_name"], body["unit"]) == ("potassium", "Potassium", "mmol/L")
    assert (body["lab_term"], body["grade"]) == (lab_term, grade)
    assert body["proposal_status"] == ("proposed" if grade >= 3 else "")


def test_a_high_potassium_confirmed_as_an_ae_is_hyperkalemia_in_the_form(client, nurse_a, treated):
    client.force_login(nurse_a)
    values = {"lab_test": "potassium", "unit_system": "SI", "collected_on": START.isoformat(), "value": "6.5",
              "lower_limit_normal": "3.5", "upper_limit_normal": "5.1"}  # fmt: skip
    page = client.post(reverse("adverse_events:lab-new", args=[treated.pk]), values, follow=True).content.decode()
    assert "Potassium 6.5 mmol/L: CTCAE grade 3 (Hyperkalemia). An adverse event is proposed" in page
    result = LabResult.objects.get()
    prefilled = client.get(reverse("adverse_events:lab-confirm", args=[result.pk])).content.decode()
    assert 'data-testid="chosen-term">Hyperkalemia<' in prefilled


@pytest.mark.django_db
def test_a_potassium_without_the_upper_limit_is_not_called_normal():
    directions = {"Hypokalemia": "L", "Hyperkalemia": "H"}
    rules = {term: rules_for(term, "SI", "mmol/L") for term in directions}
    # Within the normal range: grade 0. Above the LLN with no ULN: the high direction cannot be graded.
    assert grade_by_direction(rules, directions=directions, value="4.2", lln="3.5", uln="5.1") == ("Hypokalemia", 0)
    assert grade_by_direction(rules, directions=directions, value="5.3", lln="3.5") == ("Hyperkalemia", None)


def test_implausible_value_is_refused_with_the_same_message_by_form_and_api(client, api_client, nurse_a, treated):
    payload = {"patient": treated.pk, "lab_test": "alt", "collected_on": START.isoformat(), "value": "250000",
               "unit": "U/L", "upper_limit_normal": "40"}  # fmt: skip
    api_client.force_authenticate(nurse_a)
    refused = api_client.post(LABS, payload, format="json")
    assert refused.status_code == 400 and errors_of(refused) == {"value": ALT_PER_ML}
    client.force_login(nurse_a)
    form = {**payload, "unit_system": "SI"}
    del form["patient"]
    response = client.post(reverse("adverse_events:lab-new", args=[treated.pk]), form)
    assert response.status_code == 400 and ALT_PER_ML in response.content.decode()
    assert 'value="250000"' in response.content.decode()  # what was typed is kept
    assert not LabResult.objects.exists()


def test_a_unit_the_test_is_not_recorded_in_is_refused_naming_the_units(api_client, nurse_a, treated):
    api_client.force_authenticate(nurse_a)
    payload = {"patient": treated.pk, "lab_test": "potassium", "collected_on": START.isoformat(), "value": "4",
               "unit": "furlongs"}  # fmt: skip
    refused = api_client.post(LABS, payload, format="json")
    assert errors_of(refused) == {"unit": FURLONGS}
    unknown = api_client.post(LABS, {**payload, "lab_test": "unobtainium", "unit": ""}, format="json")
    assert set(errors_of(unknown)) == {"lab_test"}


# --- The lab tests and ranges are loaded by load_ctcae, audited ---


def test_a_graded_lab_term_without_a_plausible_range_is_refused_by_the_loader(tmp_path, django_user_model):
    from adverse_events.dictionary import LAB_TESTS_FILE, CTCAEDataError, ctcae_load

    copy = tmp_path / LAB_TESTS_FILE.name
    text = LAB_TESTS_FILE.read_text(encoding="utf-8")
    copy.write_text(
        text.replace("    SI: {mmol/L: [0, 15]}\n    US_conventional: {mmol/L: [0, 15]}\n", "    SI: {}\n", 1)
    )
    actor = django_user_model.objects.create_user(username="dm", password="x" * 12)
    with pytest.raises(CTCAEDataError) as exc:
        ctcae_load(actor=actor, lab_tests_file=copy)
    assert any(
        "lab term 'Hyperkalemia' is graded in US_conventional units" in e and "has no plausible range" in e
        for e in exc.value.errors
    ), exc.value.errors


def test_a_changed_range_is_loaded_with_an_audit_record_and_used_at_once(
    tmp_path, django_user_model, api_client, nurse_a, treated
):
    from adverse_events.dictionary import LAB_TESTS_FILE, ctcae_load
    from adverse_events.models import LabPlausibleRange

    copy = tmp_path / LAB_TESTS_FILE.name
    text = LAB_TESTS_FILE.read_text(encoding="utf-8")
    copy.write_text(text.replace("    SI: {10^9/L: [0, 5000]}\n", "    SI: {10^9/L: [0, 4000]}\n", 1))
    actor = django_user_model.objects.create_user(username="dm", password="x" * 12)
    report = ctcae_load(actor=actor, lab_tests_file=copy)
    assert report.counts["LabPlausibleRange"].updated == 1
    changed = LabPlausibleRange.objects.get(analyte__code="platelets", unit_system="SI")
    entry = changed.history.order_by("-history_date").first()
    assert entry.history_user == actor and LAB_TESTS_FILE.name in entry.history_change_reason
    api_client.force_authenticate(nurse_a)
    payload = {"patient": treated.pk, "lab_test": "platelets", "collected_on": START.isoformat(), "value": "4500"}
    refused = api_client.post(LABS, payload, format="json")
    assert errors_of(refused)["value"] == (
        "Platelet count: 4500 10^9/L is outside the plausible range 0–4000 10^9/L; check the unit."
    )


# --- The migration keeps the values recorded per direction ---

BEFORE = [("adverse_events", "0003_sae_clock_help")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    executor = MigrationExecutor(connection)
    return executor._create_project_state(with_applied_migrations=True).apps


@pytest.mark.django_db(transaction=True)
def test_values_recorded_per_direction_migrate_to_their_lab_test(protocol_reloaded, nurse_a, site_a):
    from django.utils import timezone

    from patients.services import patient_screen

    patient = patient_screen(actor=nurse_a, site=site_a, family_name="Migrated")
    old = _migrate(BEFORE)
    OldLabResult = old.get_model("adverse_events", "LabResult")
    OldHistory = old.get_model("adverse_events", "HistoricalLabResult")
    rows = {}
    for lab_term, value in (("Hyperkalemia", "6.5"), ("Hypokalemia", "2.8"), ("Blood bilirubin increased", "70")):
        row = OldLabResult.objects.create(
            patient_id=patient.pk, lab_term=lab_term, unit="MMOL/L", collected_on=START, value=Decimal(value),
            grade=3, proposal_status="proposed", recorded_by_id=nurse_a.pk,
        )  # fmt: skip
        fields = {f.attname: getattr(row, f.attname) for f in OldLabResult._meta.concrete_fields}
        OldHistory.objects.create(**fields, history_date=timezone.now(), history_type="+", history_change_reason="x")
        rows[lab_term] = row

    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    migrated = {r.lab_term: r for r in LabResult.objects.filter(patient=patient)}
    assert {term: r.lab_test for term, r in migrated.items()} == {
        "Hyperkalemia": "potassium",
        "Hypokalemia": "potassium",
        "Blood bilirubin increased": "bilirubin",
    }
    for lab_term, old_row in rows.items():
        new = migrated[lab_term]
        assert (new.pk, new.value, new.unit, new.grade, new.proposal_status, new.updated_at) == (
            old_row.pk, old_row.value, old_row.unit, old_row.grade, old_row.proposal_status, old_row.updated_at,
        )  # fmt: skip
    assert not [p for p in audit_integrity_report([LabResult]) if p.pk in {r.pk for r in rows.values()}]
    assert "migration" in record_history(migrated["Hyperkalemia"])[-1].reason
