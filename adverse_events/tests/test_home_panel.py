"""The home page's adverse-events panel: SAE reports due with their clock, and lab values proposing an AE that
await confirmation, at the nurse's sites."""

from datetime import timedelta
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from adverse_events.models import CTCAETerm
from adverse_events.services import adverse_event_report, lab_result_record, sae_report_submit
from trial.choices import Role


def home(client, user):
    client.force_login(user)
    return client.get(reverse("trial:home")).content.decode()


def serious_ae(nurse, patient, aware_hours_ago, reported=False):
    aware = timezone.now() - timedelta(hours=aware_hours_ago)
    ae = adverse_event_report(
        actor=nurse, patient=patient, term=CTCAETerm.objects.get(term="Febrile neutropenia"), grade=3,
        onset_date=timezone.localdate() - timedelta(days=3), serious=True, sae_criteria=["hospitalisation"],
        sae_aware_at=aware,
    )  # fmt: skip
    if reported:
        ae = sae_report_submit(actor=nurse, ae=ae, reported_at=aware + timedelta(hours=1))
    return ae


def bilirubin(nurse, patient):
    return lab_result_record(
        actor=nurse, patient=patient, lab_term="Blood bilirubin increased", collected_on=timezone.localdate(),
        value=Decimal(70), unit="umol/L", upper_limit_normal=Decimal(20),
    )  # fmt: skip


def test_nurse_sees_sae_reports_due_and_overdue_and_lab_proposals_of_their_sites_only(
    client, nurse_a, nurse_b, site_b, make_patient
):
    patient = make_patient()
    overdue = serious_ae(nurse_a, patient, aware_hours_ago=30)
    due = serious_ae(nurse_a, patient, aware_hours_ago=2)
    serious_ae(nurse_a, patient, aware_hours_ago=50, reported=True)
    lab = bilirubin(nurse_a, patient)
    other = make_patient(nurse=nurse_b, site=site_b)
    theirs = serious_ae(nurse_b, other, aware_hours_ago=30)
    bilirubin(nurse_b, other)

    page = home(client, nurse_a)

    assert 'data-testid="home-sae-count">2<' in page
    overdue_link = reverse("adverse_events:ae-detail", args=[overdue.pk])
    due_link = reverse("adverse_events:ae-detail", args=[due.pk])
    assert page.index(overdue_link) < page.index(due_link)  # the earliest clock first
    rows = page[page.index(overdue_link) - 300 : page.index(due_link)]
    assert "SAE report overdue" in rows
    assert "SAE report due" in page[page.index(due_link) - 300 : page.index(due_link)]
    assert 'data-testid="home-proposal-count">1<' in page
    assert reverse("adverse_events:lab-confirm", args=[lab.pk]) in page
    assert reverse("adverse_events:patient-labs", args=[patient.pk]) in page
    assert reverse("adverse_events:ae-detail", args=[theirs.pk]) not in page and other.subject_id not in page


def test_statistician_has_no_adverse_events_panel(client, make_user, site_a):
    assert 'data-testid="home-adverse-events"' not in home(client, make_user(Role.STATISTICIAN, site_a))
