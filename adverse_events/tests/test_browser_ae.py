"""Browser flow: a nurse opens the patient's page, starts reporting an adverse event, types "neutro" in the term
search, picks Febrile neutropenia, is offered grades 3–5 only (each with the term's own CTCAE text), gives the
attribution to each study drug the patient received, saves, and finds the event in the patient's AE list.

Drives Debian's Chromium (/usr/bin/chromium) through Playwright against a live server.
"""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_nurse_finds_the_term_by_typing_sees_only_its_grades_and_reports_the_event(
    protocol_reloaded, page, make_patient, nurse_a, password
):
    from playwright.sync_api import expect

    from adverse_events.models import AdverseEvent, CTCAETerm
    from dosing.services import course_start, dose_record

    today = timezone.localdate()
    patient = make_patient(registered=today - timedelta(days=20))
    course = course_start(
        actor=nurse_a, patient=patient, start_date=today - timedelta(days=14), height_cm=Decimal(170),
        weight_kg=Decimal(70),
    )  # fmt: skip
    for code in ("vincristine", "inotuzumab-ozogamicin"):
        a = course.administrations.filter(drug__code=code).order_by("day").first()
        given_at = timezone.make_aware(datetime.combine(a.planned_date, datetime.min.time()).replace(hour=10))
        dose_record(actor=nurse_a, administration=a, status="given", given_at=given_at, dose_given=a.planned_dose)
    febrile = CTCAETerm.objects.get(term="Febrile neutropenia")

    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(nurse_a.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"/patients/{patient.pk}/")
    page.get_by_test_id("aes-panel").get_by_role("link", name="Report adverse event").click()
    form_url = page.url

    expect(page.get_by_test_id("grade-hint")).to_be_visible()
    page.get_by_label("Find the term").press_sequentially("neutro", delay=30)
    options = page.get_by_test_id("term-option")
    expect(options.filter(has_text="Febrile neutropenia")).to_be_visible()
    expect(options.filter(has_text="Neutrophil count decreased")).to_be_visible()
    options.filter(has_text="Febrile neutropenia").click()

    expect(page.get_by_test_id("chosen-term")).to_have_text("Febrile neutropenia")
    choices = page.get_by_test_id("grade-choice")
    expect(choices).to_have_count(3)
    for index, grade in enumerate((3, 4, 5)):
        expect(choices.nth(index)).to_contain_text(f"Grade {grade}")
        expect(choices.nth(index)).to_contain_text(febrile.grade_text(grade))
    expect(page.get_by_label("Grade 1")).to_have_count(0)
    assert page.url == form_url  # picking the term submitted nothing

    page.get_by_label("Grade 3").check()
    page.get_by_label("Onset").fill((today - timedelta(days=7)).isoformat())
    page.get_by_label("Vincristine").select_option("unlikely")
    page.get_by_label("Inotuzumab ozogamicin").select_option("possible")
    page.get_by_label("Outcome").select_option("recovering")
    page.get_by_role("button", name="Save adverse event").click()

    expect(page.get_by_role("status").filter(has_text="Adverse event reported")).to_be_visible()
    row = page.get_by_test_id("ae-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Febrile neutropenia")
    expect(row).to_contain_text("Inotuzumab ozogamicin (possible)")
    expect(row.get_by_test_id("window-badge")).to_have_text("in window")
    ae = AdverseEvent.objects.get()
    assert (ae.term_id, ae.grade, ae.course_id) == (febrile.pk, 3, course.pk)
    assert page.script_errors == []
