"""Regimen conditions in clinical words ("CD20 on blasts ≥ 20%"), from the one mapping of condition variables to
labels in the protocol data (trial.yaml ``condition_variables``), which the loader requires for every condition."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse


def test_the_protocol_page_shows_regimen_conditions_in_clinical_words(client, nurse_a):
    client.force_login(nurse_a)
    page = client.get(reverse("trial:protocol")).content.decode()
    conditions = set(re.findall(r'data-testid="regimen-condition">([^<]+)<', page))
    assert conditions == {
        "if CD20 on blasts ≥ 20%",
        "if CNS disease is active",
        "if CNS disease is not active",
    }


def test_condition_words_come_from_the_one_mapping_of_the_protocol_data():
    from trial.derivations import condition_text
    from trial.protocol_loader import condition_variables

    variables = condition_variables("NCT01371630")
    assert condition_text("cd20_percent", ">=", Decimal(20), variables) == "CD20 on blasts ≥ 20%"
    assert condition_text("cd20_percent", "<", Decimal("19.5"), variables) == "CD20 on blasts < 19.5%"
    assert condition_text("cns_disease_active", "==", Decimal(0), variables) == "CNS disease is not active"
    assert condition_text("blast_count", ">", Decimal(5), {}) == "Blast count > 5"  # no label: words, not a name


@pytest.mark.django_db
def test_a_condition_on_a_value_without_a_label_is_refused_by_the_loader(tmp_path, django_user_model):
    import shutil

    from trial.protocol_loader import ProtocolDataError, protocol_load
    from trial.tests.test_protocol_data import DATA_DIR, edit

    copy = tmp_path / "NCT01371630"
    shutil.copytree(DATA_DIR, copy)
    edit(copy / "trial.yaml", '  cd20_percent: {label: CD20 on blasts, unit: "%"}\n', "")
    with pytest.raises(ProtocolDataError) as exc:
        protocol_load(actor=django_user_model.objects.create_user(username="dm", password="x" * 12), directory=copy)
    assert any(
        "regimen item" in e and "condition on 'cd20_percent', which has no label" in e for e in exc.value.errors
    ), exc.value.errors
