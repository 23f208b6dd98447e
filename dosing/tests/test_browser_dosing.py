"""Browser flow: a nurse opens the worklist, records a dose given at a different amount — refused without a
reason, with the typed values kept and the error next to the reason — then with a reason, and sees it on the
course calendar as a reduced dose.

Drives Debian's Chromium (/usr/bin/chromium) through Playwright against a live server.
"""

from decimal import Decimal

import pytest
from django.utils import timezone

pytestmark = pytest.mark.browser


def _registered_patient(nurse, site):
    from core.audit.writes import audited_create
    from patients.choices import PatientStatus
    from patients.models import Patient
    from patients.services.baseline import baseline_record
    from trial.models import ProtocolVersion

    patient = audited_create(
        Patient(
            site=site,
            subject_id="SA-0001",
            sequence_number=1,
            status=PatientStatus.REGISTERED,
            registration_date=timezone.localdate() - timezone.timedelta(days=30),
            protocol_version=ProtocolVersion.objects.get(code="amended-2017"),
        ),
        actor=nurse,
    )
    baseline_record(actor=nurse, patient=patient, cd20_percent=Decimal(10), cns_disease_at_start=False)
    return patient


@pytest.mark.django_db(transaction=True)
def test_nurse_records_a_reduced_dose_from_the_worklist_and_sees_it_on_the_calendar(
    protocol_reloaded, page, make_user, site_a, password
):
    from playwright.sync_api import expect

    from dosing.services import course_start
    from trial.choices import Role

    site = site_a
    nurse = make_user(Role.RESEARCH_NURSE, site)
    patient = _registered_patient(nurse, site)
    course = course_start(
        actor=nurse,
        patient=patient,
        start_date=timezone.localdate(),
        height_cm=Decimal(170),
        weight_kg=Decimal(70),
    )
    cyclophosphamide = course.administrations.get(drug__code="cyclophosphamide", day=1, dose_number=1)

    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(nurse.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Worklist", exact=True).click()
    assert "Today," in page.get_by_test_id("worklist-day").first.inner_text()
    page.get_by_role("link", name="Record Cyclophosphamide day 1 dose 1 for SA-0001").click()

    assert page.get_by_label("Dose given (mg)").input_value() == "273"
    assert "0 of max 2.7 mg/m²" in page.get_by_test_id("cumulative-line").inner_text()
    page.get_by_label("Dose given (mg)").fill("136.5")
    page.get_by_label("Apply this reduction to the rest of the course").check()
    page.get_by_role("button", name="Record dose").click()

    # Refused without a reason: the typed values are kept and the error sits by the reason field.
    assert page.get_by_label("Dose given (mg)").input_value() == "136.5"
    assert page.get_by_label("Apply this reduction to the rest of the course").is_checked()
    assert "Give the reason this differs from the plan" in page.locator("#id_reason_errors").inner_text()
    assert page.get_by_label("Reason").get_attribute("aria-invalid") == "true"

    page.get_by_label("Reason").fill("Mucositis grade 3")
    page.get_by_role("button", name="Record dose").click()
    # Wait for the worklist the save redirects to (an immediate look can still see the form being submitted).
    expect(page.get_by_text("later doses of this course reduced by 50%")).to_be_visible()
    expect(page.get_by_role("heading", name="Worklist")).to_be_visible()

    page.get_by_role("link", name="Course 1").first.click()
    calendar = page.get_by_test_id("course-calendar")
    given = calendar.locator(f'a[href="/dosing/administrations/{cyclophosphamide.pk}/record/"]')
    assert "cal-reduced" in given.get_attribute("class")
    assert given.inner_text().split()[:2] == ["136.5", "−50%"]
    assert "reduced by 50%" in given.get_attribute("title")
    assert "Mucositis grade 3" in page.get_by_test_id("course-deviations").inner_text()
    assert page.script_errors == []
