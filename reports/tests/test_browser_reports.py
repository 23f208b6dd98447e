"""Browser flow: an investigator opens the reports from the navigation, goes to overall survival, sets a data
cut-off and sees the figure and its data change (a death after the cut-off no longer counts), with the strict
Content-Security-Policy unchanged (no violation reported).

Drives Debian's Chromium (/usr/bin/chromium) through Playwright against a live server.
"""

from datetime import timedelta

import pytest

from .conftest import START

pytestmark = pytest.mark.browser
IMAGES_DRAWN = "() => [...document.images].every(img => img.complete && img.naturalWidth > 0)"


def _wait_for_images(page):
    page.wait_for_function(IMAGES_DRAWN, timeout=60_000)


@pytest.mark.django_db(transaction=True)
def test_investigator_changes_the_cutoff_and_sees_the_figure_change(
    protocol_reloaded, page, small_cohort, investigator_a, password
):
    from playwright.sync_api import expect

    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(investigator_a.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Reports").first.click()
    expect(page.get_by_test_id("dashboard-patients")).to_have_text("4")
    _wait_for_images(page)
    page.get_by_role("link", name="Overall survival").first.click()

    figure = page.get_by_test_id("figure-all")
    before = figure.get_attribute("src")
    events = page.get_by_test_id("survival-row").first.locator("td").nth(1)
    expect(events).to_have_text("3")
    _wait_for_images(page)

    page.get_by_label("Data cut-off").fill((START + timedelta(days=200)).isoformat())
    page.get_by_role("button", name="Show").click()
    expect(events).to_have_text("2")  # the death on day 300 is after the cut-off
    after = page.get_by_test_id("figure-all").get_attribute("src")
    assert after != before and "cutoff=2024-07-21" in after
    expect(page.get_by_test_id("report-stamp").first).to_contain_text("Data cut-off: 2024-07-21")
    _wait_for_images(page)  # drawn (a failed image has no width)
    assert page.script_errors == []
