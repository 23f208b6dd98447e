"""Browser flow: a nurse signs in, corrects a value with a reason, and sees it in the audit trail.

Drives Debian's Chromium (/usr/bin/chromium) through Playwright against a live server.
"""

import os
import shutil

import pytest

from patients.services import patient_screen

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM),
        reason="Chromium not installed (scripts/ensure-chromium.sh)",
    ),
]


@pytest.fixture
def page(live_server):
    from playwright.sync_api import sync_playwright

    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        context = browser.new_context(base_url=live_server.url)
        page = context.new_page()
        script_errors = []
        page.on("pageerror", lambda exc: script_errors.append(str(exc)))
        page.on("console", lambda msg: "Content Security Policy" in msg.text and script_errors.append(msg.text))
        page.script_errors = script_errors
        yield page
        browser.close()


@pytest.mark.django_db(transaction=True)
def test_nurse_corrects_a_value_with_reason_and_sees_audit_trail(page, make_user, password):
    from django.core.management import call_command

    from trial.choices import Role
    from trial.models import Site, Trial

    call_command("load_protocol", verbosity=0)
    trial = Trial.objects.get(nct_id="NCT01371630")
    site = Site.objects.create(trial=trial, code="SA", name="Site A hospital")
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
