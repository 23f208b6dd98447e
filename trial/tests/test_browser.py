"""Browser flow: a nurse signs in, corrects a value with a reason, and sees it in the audit trail.

Drives Debian's Chromium (/usr/bin/chromium) through Playwright against a live server.
"""

import pytest

from patients.services import patient_screen

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_nurse_corrects_a_value_with_reason_and_sees_audit_trail(protocol_reloaded, page, make_user, site_a, password):
    from trial.choices import Role

    site = site_a
    nurse = make_user(Role.RESEARCH_NURSE, site)
    patient = patient_screen(actor=nurse, site=site, family_name="Doe")

    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(nurse.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Patients").click()
    page.get_by_role("link", name=patient.subject_id).click()
    page.get_by_role("link", name="Correct data").click()

    page.get_by_label("Family name").fill("Dough")
    page.get_by_role("button", name="Save changes").click()
    # Refused without a reason; the typed value is still there and the error sits by the field.
    assert page.get_by_label("Family name").input_value() == "Dough"
    assert "A reason for change is required" in page.locator("#id_reason_errors").inner_text()

    page.get_by_label("Reason for change").fill("Misspelt at screening")
    page.get_by_role("button", name="Save changes").click()
    assert page.get_by_text("Changes saved.").is_visible()

    page.get_by_role("link", name="Audit trail").click()
    trail = page.get_by_test_id("audit-trail").inner_text()
    assert "Misspelt at screening" in trail
    assert "Doe" in trail and "Dough" in trail
    assert page.script_errors == []


@pytest.mark.django_db(transaction=True)
def test_the_navigation_stays_usable_at_800_px(protocol_reloaded, page, nurse_a, password):
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 800, "height": 900})
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(nurse_a.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    patients = page.get_by_role("link", name="Patients")
    expect(patients).to_be_hidden()  # folded away behind the toggle, not squeezed or cut off
    page.get_by_role("button", name="Toggle navigation").click()
    expect(patients).to_be_visible()
    patients.click()
    page.wait_for_url("**/patients/")
    assert not page.script_errors
