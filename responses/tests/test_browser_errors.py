"""Browser: every problem at once (issue 11, point 2). A nurse fills the marrow evaluation with three problems — a
required choice left unchosen (the form's own rule), an MRD level with MRD "not detected" (a rule between fields)
and tomorrow's date — and submits once: the summary at the top lists all three, each also beside its field, each
summary link moves the focus to its field, and every value she typed is still there.

Drives Debian's Chromium (/usr/bin/chromium) through Playwright against a live server.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.browser

REQUIRED = "This field is required."


@pytest.mark.django_db(transaction=True)
def test_three_problems_are_shown_after_one_submit_and_what_was_typed_is_kept(
    protocol_reloaded, page, make_patient, nurse_a, password
):
    from playwright.sync_api import expect

    from core.validation import IN_FUTURE
    from responses.models import MarrowAssessment
    from responses.services import LEVEL_WITHOUT_DETECTION

    patient = make_patient(registered=timezone.localdate() - timedelta(days=40))
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()

    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(nurse_a.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.goto(reverse("responses:assessment-new", args=[patient.pk]))

    page.get_by_label("Date of the marrow").fill(tomorrow)
    page.get_by_label("Bone-marrow blasts").fill("3")
    page.get_by_label("Neutrophils").fill("1.5")
    page.get_by_label("Platelets").fill("150")
    page.locator("#id_mrd_flow").select_option("not_detected")
    page.locator("#id_mrd_flow_level").fill("0.001")
    page.locator("#id_mrd_ngs").select_option("not_done")
    # cytogenetics left at "— choose —"
    page.get_by_role("button", name="Save evaluation").click()

    summary = page.get_by_test_id("error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()  # a screen reader reads it first, the keyboard starts there
    problems = {"assessed_on": IN_FUTURE, "mrd_flow_level": LEVEL_WITHOUT_DETECTION, "cytogenetics": REQUIRED}
    expect(summary.get_by_role("listitem")).to_have_count(3)
    for field, message in problems.items():
        expect(summary).to_contain_text(message)
        beside = page.locator(f"#id_{field}_errors")
        expect(beside).to_have_text(message)
        expect(page.locator(f"#id_{field}")).to_have_attribute("aria-invalid", "true")
        assert f"id_{field}_errors" in page.locator(f"#id_{field}").get_attribute("aria-describedby")

    for field in problems:
        summary.locator(f'a[href="#id_{field}"]').click()
        expect(page.locator(f"#id_{field}")).to_be_focused()

    expect(page.get_by_label("Date of the marrow")).to_have_value(tomorrow)
    expect(page.get_by_label("Bone-marrow blasts")).to_have_value("3")
    expect(page.get_by_label("Neutrophils")).to_have_value("1.5")
    expect(page.get_by_label("Platelets")).to_have_value("150")
    expect(page.locator("#id_mrd_flow")).to_have_value("not_detected")
    expect(page.locator("#id_mrd_flow_level")).to_have_value("0.001")
    expect(page.locator("#id_mrd_ngs")).to_have_value("not_done")
    assert not MarrowAssessment.objects.exists()
    assert page.script_errors == []
