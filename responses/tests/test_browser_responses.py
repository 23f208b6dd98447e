"""Browser flow: a nurse opens the patient's page, starts a marrow evaluation, types the values and sees the
derived response change live (No response → CR) without submitting, then saves it and sees it on the
evaluation's page and the patient's timeline.

Drives Debian's Chromium (/usr/bin/chromium) through Playwright against a live server.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_nurse_sees_the_derived_response_change_as_she_types_then_saves(
    protocol_reloaded, page, make_patient, nurse_a, password
):
    from playwright.sync_api import expect

    from dosing.services import course_start
    from responses.models import MarrowAssessment

    today = timezone.localdate()
    patient = make_patient(registered=today - timedelta(days=40))
    course_start(
        actor=nurse_a,
        patient=patient,
        start_date=today - timedelta(days=35),
        height_cm=Decimal(170),
        weight_kg=Decimal(70),
    )

    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(nurse_a.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Marrow due", exact=True).click()
    page.get_by_role("link", name=f"Record marrow evaluation for {patient.subject_id}").click()

    form_url = page.url
    response = page.get_by_test_id("derived-response")
    expect(response).to_contain_text("Type the marrow blasts")
    assert "Course 1" in page.get_by_label("After course").locator("option:checked").inner_text()

    page.get_by_label("Bone-marrow blasts").fill("12")
    page.get_by_label("Neutrophils").fill("1.5")
    page.get_by_label("Platelets").fill("150")
    expect(response).to_have_text("No response")
    expect(page.get_by_test_id("relapse-reason")).to_contain_text("Not a relapse")

    page.get_by_label("Bone-marrow blasts").fill("3")
    expect(response).to_have_text("CR")
    expect(page.get_by_test_id("response-rule")).to_contain_text("marrow blasts ≤ 5%")

    page.get_by_label("Neutrophils").fill("0.8")
    expect(response).to_have_text("CRi")
    expect(page.get_by_test_id("not-in-paper")).to_be_visible()
    page.get_by_label("Neutrophils").fill("1.5")
    expect(response).to_have_text("CR")

    # Nothing was submitted while typing.
    assert page.url == form_url
    assert not MarrowAssessment.objects.exists()

    for field in ("mrd_flow", "mrd_ngs", "cytogenetics"):  # required choices start unselected
        page.locator(f'select[name="{field}"]').select_option("not_done")
    page.get_by_role("button", name="Save evaluation").click()
    expect(page.get_by_role("status").filter(has_text="recorded")).to_be_visible()
    expect(page.get_by_test_id("derived-response")).to_have_text("CR")
    assessment = MarrowAssessment.objects.get()
    assert (assessment.marrow_blast_percent, assessment.neutrophils_1e9_per_l) == (Decimal(3), Decimal("1.5"))

    page.get_by_role("link", name=patient.subject_id).first.click()
    expect(page.get_by_test_id("responses-panel")).to_contain_text("Best response: CR")
    expect(page.get_by_test_id("timeline-evaluation")).to_contain_text("Marrow: CR")
    assert page.script_errors == []
