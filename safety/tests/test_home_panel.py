"""The home page's safety panel: urgent flags still open and the active flags of each rule, at the user's sites."""

from django.urls import reverse

from safety.services import flag_resolve
from safety.tests.helpers import marrow_before_consent, sae_overdue


def home(client, user):
    client.force_login(user)
    return client.get(reverse("trial:home")).content.decode()


def test_monitor_sees_open_flags_by_rule_and_the_urgent_ones_of_their_sites_only(
    client, monitor_a, nurse_a, nurse_b, site_b, make_patient
):
    urgent = sae_overdue(nurse_a, make_patient())
    deviation = marrow_before_consent(nurse_a, make_patient())
    theirs = marrow_before_consent(nurse_b, make_patient(nurse=nurse_b, site=site_b))

    page = home(client, monitor_a)

    assert 'data-testid="home-flags"' in page
    assert f'href="{reverse("safety:flag-detail", args=[urgent.pk])}"' in page
    assert 'data-testid="home-urgent-count">1<' in page
    rules = page[page.index('data-testid="home-flags-by-rule"') :]
    assert f'href="{reverse("safety:flags")}?rule=DEV-12">DEV-12</a>' in rules
    assert f'href="{reverse("safety:flags")}?rule=DEV-13">DEV-13</a>' in rules
    dev13 = rules[rules.index("?rule=DEV-13") : rules.index("</tr>", rules.index("?rule=DEV-13"))]
    # both site A patients had a procedure before consent (make_patient records none); site B's is not counted
    assert dev13.endswith("<td>2</td><td>2</td>")
    urgent_list = page[page.index('id="home-urgent-h"') : page.index("Active flags by rule")]
    assert deviation.patient.subject_id not in urgent_list  # a warning, not urgent
    assert theirs.patient.subject_id not in page


def test_a_resolved_flag_leaves_the_panel(client, nurse_a, investigator_a, make_patient):
    flag = sae_overdue(nurse_a, make_patient())
    assert 'data-testid="home-urgent-row"' in home(client, nurse_a)

    flag_resolve(actor=investigator_a, flag=flag, reason="Report submitted by fax")

    page = home(client, nurse_a)
    assert 'data-testid="home-urgent-row"' not in page
    assert "No urgent flag is open at your sites." in page and 'data-testid="home-urgent-count">0<' in page
