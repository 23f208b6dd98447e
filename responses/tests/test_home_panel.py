"""The home page's responses panel: the patients of the nurse's sites due or overdue for a marrow evaluation."""

from datetime import timedelta
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from dosing.services import course_start
from trial.choices import Role


def treat(nurse, patient, start):
    return course_start(actor=nurse, patient=patient, start_date=start, height_cm=Decimal(170), weight_kg=Decimal(70))


def home(client, user):
    client.force_login(user)
    return client.get(reverse("trial:home")).content.decode()


def test_nurse_sees_marrow_evaluations_overdue_first_then_due_of_their_sites_only(
    client, nurse_a, nurse_b, site_b, make_patient
):
    today = timezone.localdate()
    due = make_patient()
    treat(nurse_a, due, today - timedelta(days=28))
    overdue = make_patient()
    treat(nurse_a, overdue, today - timedelta(days=60))
    not_yet = make_patient()
    treat(nurse_a, not_yet, today - timedelta(days=3))
    theirs = make_patient(nurse=nurse_b, site=site_b)
    treat(nurse_b, theirs, today - timedelta(days=60))

    page = home(client, nurse_a)

    start = page.index('data-testid="home-marrow-due"')
    panel = page[start : page.index("</section>", start)]
    assert '<strong>1</strong> due · <strong class="text-danger">1</strong> overdue' in panel
    new_overdue = reverse("responses:assessment-new", args=[overdue.pk])
    new_due = reverse("responses:assessment-new", args=[due.pk])
    assert new_overdue in panel and new_due in panel and panel.index(new_overdue) < panel.index(new_due)
    assert reverse("responses:due") in panel
    assert not_yet.subject_id not in panel and theirs.subject_id not in page


def test_monitor_has_no_marrow_panel(client, make_user, site_a):
    assert 'data-testid="home-marrow-due"' not in home(client, make_user(Role.MONITOR, site_a))
