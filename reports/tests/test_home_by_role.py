"""The home page by role: what each finds on arrival is decided by the permissions they hold (the investigator's
summary and records to sign, the statistician's ways to the data and none of the nurse's work), and the page's
queries do not grow with the patients."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from adverse_events.models import CTCAETerm
from adverse_events.services import adverse_event_report, lab_result_record
from core.choices import SignatureMeaning
from core.services import signature_sign
from dosing.services import course_start
from trial.choices import Role
from trial.services import user_create


def home(client, user):
    client.force_login(user)
    return client.get(reverse("trial:home")).content.decode()


def text_of(page, name):
    """The text of the element carrying ``data-testid=name``."""
    start = page.index(f'data-testid="{name}"')
    return page[page.index(">", start) + 1 : page.index("<", start)]


def test_investigator_sees_the_trial_summary_with_the_response_rate_and_its_interval(
    client, investigator_a, small_cohort
):
    page = home(client, investigator_a)

    assert text_of(page, "home-patients") == "4"  # site A only (B1 is another site's)
    assert text_of(page, "home-orr") == "2/4 (50%)"
    assert text_of(page, "home-orr-ci") == "95% CI 7%–93%"
    assert text_of(page, "home-median-os") == "3.3"
    assert reverse("reports:index") in page and reverse("reports:table2") in page


def test_investigator_sees_a_record_awaiting_signature_until_they_sign_it(
    client, investigator_a, make_patient, make_user, site_b, password
):
    mine = make_patient()
    theirs = make_patient(nurse=make_user(Role.RESEARCH_NURSE, site_b), site=site_b)
    link = f'href="{reverse("patients:detail", args=[mine.pk])}" data-testid="home-awaiting-signature-row"'

    page = home(client, investigator_a)
    assert "Awaiting your signature" in page and link in page
    assert theirs.subject_id not in page

    signature_sign(record=mine, actor=investigator_a, password=password, meaning=SignatureMeaning.REVIEW)

    page = home(client, investigator_a)
    assert link not in page
    assert 'data-testid="home-awaiting-signature-none"' in page


def test_statistician_sees_the_reports_and_api_links_and_none_of_the_nurses_work(
    client, statistician_a, nurse_a, make_patient
):
    course_start(
        actor=nurse_a, patient=make_patient(), start_date=timezone.localdate(), height_cm=Decimal(170),
        weight_kg=Decimal(70),
    )  # fmt: skip

    page = home(client, statistician_a)

    for url in (reverse("reports:table1"), reverse("reports:survival", args=["os"]), reverse("reports:swimmer")):
        assert f'href="{url}"' in page
    assert f'href="{reverse("api-schema")}"' in page and f'href="{reverse("api-docs")}"' in page
    assert f'href="{reverse("exports:index")}"' in page and "(CSV, de-identified)" in page
    for nurse_panel in ("home-doses", "home-marrow-due", "home-adverse-events"):
        assert f'data-testid="{nurse_panel}"' not in page
    assert 'data-testid="home-doses"' in home(client, nurse_a)


def test_a_nurse_sees_no_trial_summary(client, nurse_a):
    page = home(client, nurse_a)
    assert 'data-testid="home-reports-summary"' not in page and 'data-testid="home-data-access"' not in page


def add_patients(nurse, make_patient, count):
    """Patients on treatment with a dose overdue, a serious AE awaiting its report and a lab value proposing an AE."""
    today = timezone.localdate()
    for _ in range(count):
        patient = make_patient()
        course_start(
            actor=nurse, patient=patient, start_date=today - timedelta(days=2), height_cm=Decimal(170),
            weight_kg=Decimal(70),
        )  # fmt: skip
        adverse_event_report(
            actor=nurse, patient=patient, term=CTCAETerm.objects.get(term="Nausea"), grade=3,
            onset_date=today - timedelta(days=1), serious=True, sae_criteria=["hospitalisation"],
            sae_aware_at=timezone.now() - timedelta(hours=2),
        )  # fmt: skip
        lab_result_record(
            actor=nurse, patient=patient, lab_term="Blood bilirubin increased", collected_on=today,
            value=Decimal(70), unit="umol/L", upper_limit_normal=Decimal(20),
        )  # fmt: skip


@pytest.mark.parametrize("role", [Role.INVESTIGATOR, Role.DATA_MANAGER])
def test_home_page_queries_do_not_grow_from_3_to_10_patients(client, make_user, site_a, nurse_a, make_patient, role):
    user = make_user(role, site_a)
    add_patients(nurse_a, make_patient, 3)
    home(client, user)
    cache.clear()  # the trial summary computed afresh both times, not read from the cache of finished reports
    with CaptureQueriesContext(connection) as few:
        page = home(client, user)
    assert page.count('data-testid="home-sae-row"') == 3
    add_patients(nurse_a, make_patient, 7)
    cache.clear()
    with CaptureQueriesContext(connection) as many:
        page = home(client, user)
    assert page.count('data-testid="home-sae-row"') == 5 and text_of(page, "home-sae-count") == "10"
    assert text_of(page, "home-proposal-count") == "10"
    assert len(many) == len(few), len(few)


def test_a_user_holding_two_roles_sees_both_sets_of_panels(client, site_a, password):
    both = user_create(
        actor=None, username="nurse_and_statistician", password=password,
        roles=[Role.RESEARCH_NURSE, Role.STATISTICIAN], sites=[site_a], first_name="Both", last_name="Roles",
    )  # fmt: skip

    page = home(client, both)

    assert 'data-testid="home-doses"' in page and 'data-testid="home-data-access"' in page
