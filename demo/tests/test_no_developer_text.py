"""No developer text in the pages a user reaches from the navigation, as each role: no file references
(PROTOCOL.md, §), no comparison operators, no identifiers (the variable names of the regimen conditions, read from
the loaded protocol data, and any snake_case name), no None. Here in demo, the top layer, as it fetches every app's
pages."""

import html
import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from dosing.services import course_start
from trial.choices import Role
from trial.models import RegimenItem

NAV_LINK = re.compile(r'<a class="nav-link[^"]*"[^>]*href="([^"]+)"')
DEVELOPER_TEXT = ["PROTOCOL.md", ">=", "<=", "==", "_percent", "§"]
SNAKE_CASE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")  # cd20_percent, inotuzumab_cumulative_max_mg_m2
# Django's admin site is the administrators' tool, with its own texts ("None" for an empty value): not checked.
NOT_CHECKED = ("/admin/",)


def visible_text(page: str) -> str:
    """The text a user reads: without scripts, styles, tags and attributes, entities decoded. A data dictionary's
    variable names (``<code class="variable">``, the exports page) are what a statistician reads the files by: not
    checked."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r'<code class="variable">.*?</code>', " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def condition_variables() -> set[str]:
    """The patient values the loaded regimen conditions refer to (cd20_percent, cns_disease_active…)."""
    return set(RegimenItem.objects.exclude(condition_field="").values_list("condition_field", flat=True))


def developer_text(text: str) -> list[str]:
    found = [snippet for snippet in [*DEVELOPER_TEXT, *sorted(condition_variables())] if snippet in text]
    found += sorted(set(SNAKE_CASE.findall(text)) - set(found))
    return found + (["None"] if re.search(r"\bNone\b", text) else [])


def test_condition_variables_are_read_from_the_protocol_data(db):
    assert {"cd20_percent", "cns_disease_active"} <= condition_variables()


def test_the_check_catches_a_raw_condition(db):
    assert developer_text("Rituximab if cd20_percent >= 20 (PROTOCOL.md §3.3)") == [
        "PROTOCOL.md",
        ">=",
        "_percent",
        "§",
        "cd20_percent",
    ]
    assert developer_text("Rituximab if CD20 on blasts ≥ 20%") == []
    assert developer_text("Regimen dose None") == ["None"]


@pytest.mark.parametrize("role", list(Role))
def test_no_page_of_the_navigation_shows_developer_text(client, make_user, site_a, make_patient, nurse_a, role):
    patient = make_patient(cd20="30")  # rituximab applies: its condition is shown
    course_start(
        actor=nurse_a, patient=patient, start_date=date(2024, 1, 3), height_cm=Decimal(170), weight_kg=Decimal(70)
    )
    user = nurse_a if role == Role.RESEARCH_NURSE else make_user(role, site_a)
    client.force_login(user)
    home = client.get(reverse("trial:home"), follow=True)
    links = sorted(set(NAV_LINK.findall(home.content.decode())))
    assert links, "the navigation has entries"
    pages = {"home": home}
    for url in links:
        if not url.startswith(NOT_CHECKED):
            pages[url] = client.get(url, follow=True)
    problems = {}
    for url, response in pages.items():
        if response.status_code != 200:
            continue
        found = developer_text(visible_text(response.content.decode()))
        if found:
            problems[url] = found
    assert not problems, problems
