"""The safety API: flags of the caller's sites with filters, one flag, acknowledge/resolve/dismiss through the services
(with their messages and audit entries), another site's flag a 404, the rule list, the list's query count and the
schema."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.audit.trail import record_history
from safety.models import Flag
from safety.rules import all_rules
from safety.services import NOT_ALLOWED, REASON_NEEDED, patient_evaluate
from safety.tests.helpers import marrow_before_consent, sae_overdue, sos_window
from trial.choices import Role

FLAGS = "/api/v1/flags/"
RULES = "/api/v1/safety-rules/"


def errors_of(response) -> dict[str, str]:
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def url(flag, action=""):
    return f"{FLAGS}{flag.pk}/" + (f"{action}/" if action else "")


def test_list_filters_by_rule_status_severity_patient_and_site(
    api_client, make_user, nurse_a, site_a, site_b, make_patient
):
    first = marrow_before_consent(nurse_a, make_patient())
    sos = sos_window(nurse_a, make_patient())
    nurse_ab = make_user(Role.RESEARCH_NURSE, site_a, site_b)
    at_b = marrow_before_consent(nurse_ab, make_patient(nurse=nurse_ab, site=site_b))
    api_client.force_authenticate(nurse_ab)
    api_client.post(url(first, "resolve"), {"reason": "Consent form found"}, format="json")

    def ids(**query):
        return {f["id"] for f in api_client.get(FLAGS, query).json()["results"]}

    assert {first.pk, sos.pk, at_b.pk} <= ids()  # every status unless asked
    assert {f["rule_code"] for f in api_client.get(FLAGS, {"rule": "SOS-01"}).json()["results"]} == {"SOS-01"}
    assert first.pk not in ids(status="active") and first.pk in ids(status="resolved")
    assert ids(status="resolved") == {first.pk}
    assert sos.pk in ids(severity="info") and first.pk not in ids(severity="info")
    assert ids(patient=first.patient_id) == set(Flag.objects.filter(patient=first.patient).values_list("pk", flat=True))
    at_site_b = ids(site="SB")
    assert at_b.pk in at_site_b and at_site_b == set(at_b.patient.flags.values_list("pk", flat=True))
    bad = api_client.get(FLAGS, {"status": "forgotten"})
    assert bad.status_code == 400 and "status" in errors_of(bad)


def test_retrieve_shows_the_flag_with_window_evidence_and_history(api_client, nurse_a, make_patient):
    sos = sos_window(nurse_a, make_patient())
    api_client.force_authenticate(nurse_a)
    body = api_client.get(url(sos)).json()
    assert (body["rule_code"], body["rule_kind"], body["severity"], body["status"]) == (
        "SOS-01", "sos_risk", "info", "open",
    )  # fmt: skip
    assert (body["window_start"], body["window_end"]) == (str(sos.window_start), str(sos.window_end))
    assert body["evidence"]["first_inotuzumab"] == str(sos.window_start)
    assert body["subject_id"] == sos.patient.subject_id and body["site"] == "SA" and body["active"] is True
    assert api_client.get(body["history_url"]).json()[0]["reason"] == "Raised by rule SOS-01"


def test_another_sites_flag_answers_404(api_client, nurse_b, investigator_a, site_b, make_patient):
    flag = marrow_before_consent(nurse_b, make_patient(nurse=nurse_b, site=site_b))
    api_client.force_authenticate(investigator_a)
    assert api_client.get(url(flag)).status_code == 404
    assert flag.pk not in {f["id"] for f in api_client.get(FLAGS).json()["results"]}
    for action in ("acknowledge", "resolve", "dismiss"):
        assert api_client.post(url(flag, action), {"reason": "x"}, format="json").status_code == 404
    flag.refresh_from_db()
    assert flag.status == "open"


def test_acknowledge_then_resolve_through_the_services_with_audit(api_client, nurse_a, make_patient):
    flag = marrow_before_consent(nurse_a, make_patient())
    api_client.force_authenticate(nurse_a)

    assert api_client.patch(url(flag), {"status": "resolved"}, format="json").status_code == 405  # only by action
    acknowledged = api_client.post(url(flag, "acknowledge"), {"note": "Looking for the form"}, format="json")
    assert acknowledged.status_code == 200
    assert (acknowledged.json()["status"], acknowledged.json()["acknowledged_by"]) == (
        "acknowledged", nurse_a.signature_name,
    )  # fmt: skip
    again = api_client.post(url(flag, "acknowledge"), {}, format="json")
    assert again.status_code == 400 and errors_of(again) == {"status": "This flag is already acknowledged."}

    for payload in ({}, {"reason": " "}):
        missing = api_client.post(url(flag, "resolve"), payload, format="json")
        assert missing.status_code == 400 and errors_of(missing) == {"reason": REASON_NEEDED}

    resolved = api_client.post(url(flag, "resolve"), {"reason": "Form found in the chart"}, format="json").json()
    assert (resolved["status"], resolved["active"]) == ("resolved", False)
    assert resolved["resolution"] == "Form found in the chart"
    flag.refresh_from_db()
    assert [(e.user, e.reason) for e in record_history(flag)][-2:] == [
        (nurse_a.signature_name, "Looking for the form"),
        (nurse_a.signature_name, "Form found in the chart"),
    ]


def test_only_an_investigator_dismisses(api_client, nurse_a, investigator_a, make_patient):
    flag = marrow_before_consent(nurse_a, make_patient())
    api_client.force_authenticate(nurse_a)
    refused = api_client.post(url(flag, "dismiss"), {"reason": "Not a deviation"}, format="json")
    assert refused.status_code == 400 and errors_of(refused) == {"reason": NOT_ALLOWED}

    api_client.force_authenticate(investigator_a)
    dismissed = api_client.post(url(flag, "dismiss"), {"reason": "Verbal consent documented"}, format="json")
    assert dismissed.status_code == 200 and dismissed.json()["status"] == "dismissed"
    patient_evaluate(patient_id=flag.patient_id)  # the rule still finds the condition
    flag.refresh_from_db()
    assert flag.status == "dismissed"
    entry = record_history(flag)[-1]
    assert (entry.user, entry.reason) == (investigator_a.signature_name, "Verbal consent documented")


def test_monitor_reads_but_cannot_act(api_client, monitor_a, nurse_a, make_patient):
    flag = marrow_before_consent(nurse_a, make_patient())
    api_client.force_authenticate(monitor_a)
    assert api_client.get(url(flag)).status_code == 200
    for action in ("acknowledge", "resolve", "dismiss"):
        assert api_client.post(url(flag, action), {"reason": "x"}, format="json").status_code == 403


def test_rules_list_every_rule_with_kind_title_and_default_severity(api_client, nurse_a):
    api_client.force_authenticate(nurse_a)
    body = api_client.get(RULES).json()
    assert [r["code"] for r in body] == [r.code for r in all_rules()]
    by_code = {r["code"]: r for r in body}
    sos = {"code": "SOS-01", "kind": "sos_risk", "title": "SOS risk window open", "severity": "info"}
    assert by_code["SOS-01"] == sos
    assert by_code["DEV-13"]["kind"] == "deviation" and by_code["DEV-12"]["severity"] == "urgent"
    api_client.force_authenticate(None)
    assert api_client.get(RULES).status_code == 401


def test_list_queries_do_not_grow_with_flags(api_client, nurse_a, make_patient):
    marrow_before_consent(nurse_a, make_patient())
    api_client.force_authenticate(nurse_a)
    api_client.get(FLAGS)  # warm the user's permission and site caches
    with CaptureQueriesContext(connection) as few:
        assert len(api_client.get(FLAGS).json()["results"]) >= 1
    for _ in range(3):
        flag = marrow_before_consent(nurse_a, make_patient())
        api_client.post(url(flag, "acknowledge"), {}, format="json")
    sae_overdue(nurse_a, make_patient())
    with CaptureQueriesContext(connection) as many:
        assert len(api_client.get(FLAGS).json()["results"]) >= 5
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_schema_documents_the_safety_endpoints(client, nurse_a):
    client.force_login(nurse_a)
    spec = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for path in (
        "/api/v1/flags/",
        "/api/v1/flags/{id}/",
        "/api/v1/flags/{id}/acknowledge/",
        "/api/v1/flags/{id}/resolve/",
        "/api/v1/flags/{id}/dismiss/",
        "/api/v1/safety-rules/",
    ):
        assert path in spec["paths"], path
    parameters = {p["name"] for p in spec["paths"]["/api/v1/flags/"]["get"]["parameters"]}
    assert {"rule", "status", "severity", "patient", "site"} <= parameters
    assert spec["components"]["schemas"]["FlagStatusEnum"]["enum"] == ["open", "acknowledged", "resolved", "dismissed"]
