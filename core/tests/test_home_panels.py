"""The framework's home panels: records awaiting a signature (and what voids one), and the audited changes of the
last days, each linking to its record, scoped to the user's sites and shown by permission."""

from django.urls import reverse

from core.choices import SignatureMeaning
from core.services import signature_sign
from patients.services.patient import patient_update
from trial.choices import Role


def home(client, user):
    client.force_login(user)
    return client.get(reverse("trial:home")).content.decode()


def test_a_change_after_signing_puts_the_record_back_among_those_awaiting_a_signature(
    client, investigator_a, make_patient, password
):
    patient = make_patient()
    link = f'href="{reverse("patients:detail", args=[patient.pk])}" data-testid="home-awaiting-signature-row"'
    signature_sign(record=patient, actor=investigator_a, password=password, meaning=SignatureMeaning.APPROVAL)
    assert link not in home(client, investigator_a)

    patient_update(actor=investigator_a, patient=patient, reason="Family name from the chart", family_name="Smyth")

    assert link in home(client, investigator_a)


def test_monitor_sees_unsigned_records_and_the_last_weeks_changes_of_their_sites_only(
    client, monitor_a, make_patient, make_user, site_b
):
    mine = make_patient()
    theirs = make_patient(nurse=make_user(Role.RESEARCH_NURSE, site_b), site=site_b)

    page = home(client, monitor_a)

    assert "Not yet signed by an investigator" in page and mine.subject_id in page
    assert theirs.subject_id not in page
    changes = page[page.index('data-testid="home-recent-changes"') :]
    assert f'href="{reverse("core:record-history", args=["patients.patient", mine.pk])}"' in changes
    assert reverse("core:record-history", args=["patients.patient", theirs.pk]) not in changes
    assert "Patient: 1" in changes and "Baseline: 1" in changes


def test_statistician_sees_neither_panel(client, make_user, site_a, make_patient):
    make_patient()
    page = home(client, make_user(Role.STATISTICIAN, site_a))
    assert 'data-testid="home-awaiting-signature"' not in page and 'data-testid="home-recent-changes"' not in page
