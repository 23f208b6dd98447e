"""The home page's dosing panel: the doses a nurse has to record today and those overdue, at their sites only."""

from datetime import timedelta
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from dosing.services import course_start, dose_record
from trial.choices import Role

INO = "inotuzumab-ozogamicin"


def start(nurse, patient, when):
    return course_start(actor=nurse, patient=patient, start_date=when, height_cm=Decimal(170), weight_kg=Decimal(70))


def first(course, drug, *, day):
    return course.administrations.filter(drug__code=drug, day=day).order_by("dose_number").first()


def record_url(dose):
    return reverse("dosing:administration-record", args=[dose.pk])


def home(client, user):
    client.force_login(user)
    return client.get(reverse("trial:home")).content.decode()


def test_nurse_sees_a_dose_due_today_and_an_overdue_one_with_links_and_not_another_sites(
    client, nurse_a, nurse_b, site_b, make_patient
):
    today = timezone.localdate()
    mine = make_patient()
    theirs = make_patient(nurse=nurse_b, site=site_b)
    course = start(nurse_a, mine, today - timedelta(days=1))
    start(nurse_b, theirs, today - timedelta(days=1))
    for dose in course.administrations.filter(planned_date__lte=today).exclude(drug__code__in=["vincristine", INO]):
        dose_record(actor=nurse_a, administration=dose, status="held", reason="Not given today")
    overdue = first(course, "vincristine", day=1)
    due_today = first(course, INO, day=2)

    page = home(client, nurse_a)

    assert 'data-testid="home-doses"' in page
    assert '<strong>1</strong> due today · <strong class="text-danger">1</strong> overdue' in page
    assert f"{record_url(overdue)}?next=/" in page and f"{record_url(due_today)}?next=/" in page
    assert page.index(record_url(overdue)) < page.index(record_url(due_today))  # overdue first
    assert reverse("dosing:worklist") in page
    assert reverse("patients:detail", args=[mine.pk]) in page
    assert theirs.subject_id not in page


def test_panel_shows_five_doses_and_links_to_the_whole_worklist(client, nurse_a, make_patient):
    today = timezone.localdate()
    start(nurse_a, make_patient(), today - timedelta(days=3))

    page = home(client, nurse_a)

    assert page.count('data-testid="home-dose-row"') == 5
    assert 'data-testid="home-doses-all"' in page


def test_nothing_to_record_is_said_and_a_statistician_has_no_dosing_panel(client, nurse_a, make_user, site_a):
    assert "every dose due up to today is recorded" in home(client, nurse_a)
    assert 'data-testid="home-doses"' not in home(client, make_user(Role.STATISTICIAN, site_a))
