"""The safety pages: the flag list (active by default, urgent first, filters, site scoping, query count), a flag's page
(message, window, evidence, status history), acknowledging, resolving and dismissing with audit entries and the
service's messages, the navigation's count of active flags, and the flags panel with the SOS window on the
patient's page.

Flags are made as in production: data recorded through the services, then ``safety.services.patient_evaluate``.
"""

from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from core.audit.trail import record_history
from core.context_processors import navigation
from safety.models import Flag
from safety.services import NOT_ALLOWED, REASON_NEEDED, patient_evaluate
from safety.tests.helpers import flag_of, marrow_before_consent, sae_overdue, sos_window
from trial.choices import Role

FLAGS = reverse("safety:flags")


def detail(flag):
    return reverse("safety:flag-detail", args=[flag.pk])


def act(flag, name):
    return reverse(f"safety:flag-{name}", args=[flag.pk])


def rows(response):
    """The flags of a list page in the order shown: (subject id, rule code)."""
    return [(f.patient.subject_id, f.rule_code) for f in response.context["flags"]]


# --- The list ---


def test_list_shows_the_active_flags_of_my_sites_urgent_first(client, nurse_a, nurse_b, site_b, make_patient):
    warning = marrow_before_consent(nurse_a, make_patient())
    urgent_patient = make_patient()
    urgent = sae_overdue(nurse_a, urgent_patient)
    other_site = marrow_before_consent(nurse_b, make_patient(nurse=nurse_b, site=site_b))
    client.force_login(nurse_a)

    response = client.get(FLAGS)

    shown = rows(response)
    assert shown[0] == (urgent_patient.subject_id, "DEV-12")
    assert (warning.patient.subject_id, "DEV-13") in shown
    assert other_site.patient.subject_id not in {subject for subject, _ in shown}
    severities = [f.severity for f in response.context["flags"]]
    assert severities == sorted(severities, key=["urgent", "warning", "info"].index)
    content = response.content.decode()
    assert escape(urgent.message) in content
    assert content.index(escape(urgent.title)) < content.index(escape(warning.title))


def test_list_filters_by_rule_status_severity_patient_and_site(
    client, make_user, nurse_a, site_a, site_b, make_patient
):
    first = marrow_before_consent(nurse_a, make_patient())
    second = make_patient()
    sos = sos_window(nurse_a, second)
    nurse_ab = make_user(Role.RESEARCH_NURSE, site_a, site_b)
    third = marrow_before_consent(nurse_ab, make_patient(nurse=nurse_ab, site=site_b))
    resolved = marrow_before_consent(nurse_a, make_patient())
    client.force_login(nurse_ab)
    client.post(act(resolved, "resolve"), {"resolve-reason": "Consent form found"})

    def shown(**query):
        return set(rows(client.get(FLAGS, query)))

    everything = shown()
    assert (resolved.patient.subject_id, "DEV-13") not in everything  # active by default
    assert {
        (first.patient.subject_id, "DEV-13"),
        (second.subject_id, "SOS-01"),
        (third.patient.subject_id, "DEV-13"),
    } <= everything
    assert {rule for _, rule in shown(rule="SOS-01")} == {"SOS-01"}
    info = client.get(FLAGS, {"severity": "info"}).context["flags"]
    assert {f.severity for f in info} == {"info"} and sos in info
    assert {subject for subject, _ in shown(patient=first.patient.subject_id.lower())} == {first.patient.subject_id}
    assert {subject for subject, _ in shown(site="SB")} == {third.patient.subject_id}
    assert shown(status="resolved") == {(resolved.patient.subject_id, "DEV-13")}
    assert (resolved.patient.subject_id, "DEV-13") in shown(status="any")
    assert "match the filters" in client.get(FLAGS, {"rule": "DEV-13"}).content.decode()


def test_list_queries_do_not_grow_with_flags(client, nurse_a, investigator_a, make_patient):
    marrow_before_consent(nurse_a, make_patient())
    client.force_login(nurse_a)
    client.get(FLAGS)
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(FLAGS, {"status": "any"}).context["flags"]) >= 1
    for _ in range(3):
        flag = marrow_before_consent(nurse_a, make_patient())
        client.post(act(flag, "acknowledge"), {})  # shows who acknowledged
    sae_overdue(nurse_a, make_patient())
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(FLAGS, {"status": "any"}).context["flags"]) >= 5
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


# --- A flag's page ---


def test_flag_page_shows_message_window_evidence_and_status_history(client, nurse_a, make_patient):
    flag = sos_window(nurse_a, make_patient())
    client.force_login(nurse_a)

    content = client.get(detail(flag)).content.decode()

    assert escape(flag.message) in content
    assert f"{flag.window_start:%-d %b %Y}" in content and f"{flag.window_end:%-d %b %Y}" in content
    assert 'data-testid="flag-evidence"' in content
    assert "First inotuzumab" in content and f"{flag.window_start:%-d %b %Y}" in content
    assert 'data-testid="flag-history"' in content and "Raised by rule SOS-01" in content
    assert reverse("core:record-history", args=["safety.flag", flag.pk]) in content


def test_another_sites_flag_is_a_404_on_its_page_and_its_actions(client, nurse_b, investigator_a, site_b, make_patient):
    flag = marrow_before_consent(nurse_b, make_patient(nurse=nurse_b, site=site_b))
    client.force_login(investigator_a)
    assert client.get(detail(flag)).status_code == 404
    for name, data in (("acknowledge", {}), ("resolve", {"resolve-reason": "x"}), ("dismiss", {"dismiss-reason": "x"})):
        assert client.post(act(flag, name), data).status_code == 404
    flag.refresh_from_db()
    assert flag.status == "open"


# --- Acknowledge, resolve, dismiss ---


def test_nurse_acknowledges_then_resolves_with_a_reason_and_both_are_audited(client, nurse_a, make_patient):
    flag = marrow_before_consent(nurse_a, make_patient())
    client.force_login(nurse_a)

    response = client.post(act(flag, "acknowledge"), {"ack-note": "Calling the site coordinator"}, follow=True)

    flag.refresh_from_db()
    assert flag.status == "acknowledged" and flag.acknowledged_by == nurse_a
    assert "Flag acknowledged" in response.content.decode()
    assert record_history(flag)[-1].reason == "Calling the site coordinator"

    missing = client.post(act(flag, "resolve"), {"resolve-reason": "  "})
    assert missing.status_code == 400 and REASON_NEEDED in missing.content.decode()
    flag.refresh_from_db()
    assert flag.status == "acknowledged"

    response = client.post(act(flag, "resolve"), {"resolve-reason": "Consent form found, dated before"}, follow=True)
    flag.refresh_from_db()
    assert flag.status == "resolved" and flag.resolution == "Consent form found, dated before"
    entry = record_history(flag)[-1]
    assert (entry.user, entry.reason) == (nurse_a.signature_name, "Consent form found, dated before")
    history = response.content.decode()
    assert "Acknowledged" in history and "Consent form found, dated before" in history


def test_acknowledging_twice_gives_the_services_message(client, nurse_a, make_patient):
    flag = marrow_before_consent(nurse_a, make_patient())
    client.force_login(nurse_a)
    client.post(act(flag, "acknowledge"), {})
    again = client.post(act(flag, "acknowledge"), {})
    assert again.status_code == 400
    assert "This flag is already acknowledged." in again.content.decode()


def test_nurse_cannot_dismiss_and_reads_the_services_message(client, nurse_a, make_patient):
    flag = marrow_before_consent(nurse_a, make_patient())
    client.force_login(nurse_a)
    page = client.get(detail(flag)).content.decode()
    assert 'data-testid="dismiss-form"' not in page  # investigators only

    response = client.post(act(flag, "dismiss"), {"dismiss-reason": "Not a deviation"})

    assert response.status_code == 400
    assert escape(NOT_ALLOWED) in response.content.decode()
    flag.refresh_from_db()
    assert flag.status == "open" and len(record_history(flag)) == 1


def test_investigator_dismisses_with_a_reason_and_the_flag_stays_dismissed(
    client, nurse_a, investigator_a, make_patient
):
    flag = marrow_before_consent(nurse_a, make_patient())
    client.force_login(investigator_a)
    assert 'data-testid="dismiss-form"' in client.get(detail(flag)).content.decode()

    response = client.post(act(flag, "dismiss"), {"dismiss-reason": "Consent obtained verbally, form to follow"})

    assert response.status_code == 302
    patient_evaluate(patient_id=flag.patient_id)
    flag.refresh_from_db()
    assert flag.status == "dismissed" and flag.resolution == "Consent obtained verbally, form to follow"
    entry = record_history(flag)[-1]
    assert (entry.user, entry.reason) == (investigator_a.signature_name, "Consent obtained verbally, form to follow")


def test_monitor_reads_flags_but_cannot_act(client, monitor_a, nurse_a, make_patient):
    flag = marrow_before_consent(nurse_a, make_patient())
    client.force_login(monitor_a)
    page = client.get(detail(flag))
    assert page.status_code == 200 and 'data-testid="acknowledge-form"' not in page.content.decode()
    assert client.post(act(flag, "acknowledge"), {}).status_code == 403
    flag.refresh_from_db()
    assert flag.status == "open"


# --- Navigation and the patient's page ---


def test_navigation_counts_my_active_flags_in_one_query(client, nurse_a, nurse_b, site_b, make_patient):
    flags = [marrow_before_consent(nurse_a, make_patient()) for _ in range(2)]
    marrow_before_consent(nurse_b, make_patient(nurse=nurse_b, site=site_b))
    client.force_login(nurse_a)
    client.post(act(flags[0], "acknowledge"), {})  # acknowledged is still active
    expected = Flag.objects.for_user(nurse_a).filter(status__in=("open", "acknowledged")).count()

    content = client.get(reverse("trial:home")).content.decode()
    assert f'data-testid="nav-count">{expected}<' in content and expected >= 2

    client.post(act(flags[1], "resolve"), {"resolve-reason": "Consent found"})
    content = client.get(reverse("trial:home")).content.decode()
    assert f'data-testid="nav-count">{expected - 1}<' in content

    request = RequestFactory().get("/")
    request.user = nurse_a
    nurse_a.site_ids(), nurse_a.get_all_permissions()  # the request's user already knows its sites and permissions
    with CaptureQueriesContext(connection) as queries:
        items = navigation(request)["nav_items"]
    assert next(i["count"] for i in items if i["label"] == "Flags") == expected - 1
    assert len(queries) == 1 and "COUNT" in queries[0]["sql"].upper()


def test_navigation_without_flags_permission_has_no_flags_item(client, make_user, site_a):
    user = make_user(Role.ADMINISTRATOR, site_a)
    client.force_login(user)
    content = client.get(reverse("trial:home")).content.decode()
    assert FLAGS not in content and 'data-testid="nav-count"' not in content


def test_patient_page_shows_active_flags_and_the_sos_window(client, nurse_a, make_patient):
    patient = make_patient()
    sos = sos_window(nurse_a, patient)
    client.force_login(nurse_a)

    content = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()

    assert 'data-testid="flags-panel"' in content and 'data-testid="sos-window"' in content
    window = content.split('data-testid="sos-window"', 1)[1].split("</div>", 1)[0]
    assert f"{sos.window_start:%-d %b %Y} – {sos.window_end:%-d %b %Y}" in window
    deviation = flag_of(patient, "DEV-13")  # the course and doses precede consent
    assert escape(deviation.title) in content and deviation.get_absolute_url() in content


def test_patient_page_without_flags_says_so(client, nurse_a, make_patient):
    patient = make_patient()
    client.force_login(nurse_a)
    content = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert 'data-testid="flags-none"' in content and 'data-testid="sos-window"' not in content
