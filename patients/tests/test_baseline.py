"""Baseline characteristics: the service, its audit trail, its checks, the page and the API."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.audit.trail import record_history
from core.audit.writes import REASON_REQUIRED, audited_update
from patients import validators
from patients.api.baseline import DERIVED_NOT_TYPED
from patients.choices import CRLF2Method, KaryotypeGroup, PatientStatus, SalvageStatus, YesNoUnknown
from patients.forms.baseline import BaselineForm
from patients.models import Baseline
from patients.selectors.baseline import baseline_get, baseline_summary
from patients.services import PATIENT_NOT_AT_YOUR_SITES, patient_screen
from patients.services.baseline import baseline_record
from trial.choices import Role
from trial.models import ProtocolParameter, ProtocolVersion
from trial.selectors import parameter_value

API = "/api/v1/baselines/"


@pytest.fixture
def patient(nurse_a, site_a):
    return patient_screen(actor=nurse_a, site=site_a, family_name="Doe", sex="female", date_of_birth=date(1996, 2, 29))


@pytest.fixture
def other_site_patient(nurse_b, site_b):
    return patient_screen(actor=nurse_b, site=site_b, family_name="Doe")


def register(patient, actor, *, on, version_code="original", number=1):
    """Test setup only: mark a patient registered (the registration service is tested elsewhere)."""
    version = ProtocolVersion.objects.get(code=version_code)
    patient, _ = audited_update(
        patient,
        actor=actor,
        reason="Registered (test setup)",
        status=PatientStatus.REGISTERED,
        sequence_number=number,
        registration_date=on,
        protocol_version=version,
    )
    return patient


def errors_of(exc_info):
    return {field: errors[0] for field, errors in exc_info.value.message_dict.items()}


# --- protocol data ---------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["original", "amended-2017"])
def test_crd1_threshold_is_protocol_data_of_both_versions(db, version):
    assert parameter_value(ProtocolVersion.objects.get(code=version), "salvage_crd1_threshold_months") == 12


# --- service ---------------------------------------------------------------------------------


def test_recorded_baseline_and_its_derived_values(nurse_a, patient):
    baseline = baseline_record(
        actor=nurse_a,
        patient=patient,
        ecog=1,
        wbc_1e9_per_l=Decimal("12.5"),
        marrow_blast_percent=Decimal("85"),
        karyotype_group=KaryotypeGroup.KMT2A,
        cd20_percent=Decimal("20"),
        primary_refractory=False,
        first_remission_duration_months=Decimal("11.9"),
        prior_salvage_lines=0,
    )
    assert Baseline.objects.get(patient=patient).marrow_blast_percent == Decimal("85")
    summary = baseline_summary(patient)
    assert summary.baseline == baseline
    assert summary.salvage_status == SalvageStatus.S1_CRD1_SHORT
    assert summary.salvage_status_label == "Salvage 1, first remission < 12 months"
    assert summary.high_risk_cytogenetics is True
    assert summary.rituximab_indicated is True
    assert summary.age_at_registration is None  # not registered yet
    assert summary.protocol_version.code == "amended-2017"  # latest version until registration


def test_registered_patient_gets_age_and_thresholds_of_their_version(nurse_a, patient):
    patient = register(patient, nurse_a, on=date(2015, 2, 28))
    baseline_record(
        actor=nurse_a,
        patient=patient,
        primary_refractory=False,
        first_remission_duration_months=8,
        prior_salvage_lines=0,
    )
    summary = baseline_summary(patient)
    assert summary.age_at_registration == 18  # born 29 Feb 1996: 19 only from 1 March 2015
    assert summary.protocol_version.code == "original"
    assert summary.salvage_status == SalvageStatus.S1_CRD1_SHORT
    parameter = ProtocolParameter.objects.get(protocol_version__code="original", key="salvage_crd1_threshold_months")
    audited_update(parameter, actor=nurse_a, reason="What-if: a version with a 6-month cut-off", value=6)
    assert baseline_summary(patient).salvage_status == SalvageStatus.S1_CRD1_LONG


def test_correction_is_audited_with_its_reason(nurse_a, patient):
    baseline = baseline_record(actor=nurse_a, patient=patient, wbc_1e9_per_l=Decimal("5.2"))
    baseline_record(actor=nurse_a, patient=patient, reason="Lab re-reported", wbc_1e9_per_l=Decimal("6.1"))
    baseline.refresh_from_db()
    assert baseline.wbc_1e9_per_l == Decimal("6.1")
    last = record_history(baseline)[-1]
    assert (last.action, last.reason, last.user) == ("changed", "Lab re-reported", nurse_a.signature_name)
    assert [(c.field, c.old, c.new) for c in last.changes] == [("wbc_1e9_per_l", Decimal("5.2"), Decimal("6.1"))]


def test_changing_a_saved_value_without_reason_is_refused(nurse_a, patient):
    baseline_record(actor=nurse_a, patient=patient, cd20_percent=Decimal("10"))
    with pytest.raises(ValidationError) as exc:
        baseline_record(actor=nurse_a, patient=patient, cd20_percent=Decimal("30"))
    assert errors_of(exc) == {"reason": REASON_REQUIRED}
    assert Baseline.objects.get(patient=patient).cd20_percent == Decimal("10")
    # Completing a blank value needs no reason.
    baseline_record(actor=nurse_a, patient=patient, cd22_percent=Decimal("95"))
    assert Baseline.objects.get(patient=patient).cd22_percent == Decimal("95")


def test_implausible_values_are_named_by_field(nurse_a, patient):
    with pytest.raises(ValidationError) as exc:
        baseline_record(
            actor=nurse_a,
            patient=patient,
            marrow_blast_percent=Decimal("101"),
            wbc_1e9_per_l=Decimal("-1"),
            ecog=5,
        )
    assert errors_of(exc) == {
        "marrow_blast_percent": "Bone-marrow blasts (%) must be between 0 and 100.",
        "wbc_1e9_per_l": "WBC (×10⁹/L) must be between 0 and 1000.",
        "ecog": "ECOG performance status must be between 0 and 4.",
    }
    assert not Baseline.objects.filter(patient=patient).exists()


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        (
            {"primary_refractory": True, "first_remission_duration_months": Decimal("6")},
            "first_remission_duration_months",
            validators.FIRST_REMISSION_WITH_PRIMARY_REFRACTORY,
        ),
        ({"primary_refractory": False}, "first_remission_duration_months", validators.FIRST_REMISSION_REQUIRED),
        ({"crlf2_overexpression": YesNoUnknown.YES}, "crlf2_method", validators.CRLF2_METHOD_REQUIRED),
        ({"crlf2_overexpression": YesNoUnknown.NO}, "crlf2_method", validators.CRLF2_METHOD_REQUIRED),
        ({"crlf2_method": CRLF2Method.FLOW}, "crlf2_method", validators.CRLF2_METHOD_WITHOUT_RESULT),
        (
            {"karyotype_group": KaryotypeGroup.KMT2A, "kmt2a_rearranged": YesNoUnknown.NO},
            "kmt2a_rearranged",
            validators.KMT2A_CONTRADICTS_KARYOTYPE,
        ),
        (
            {"karyotype_group": KaryotypeGroup.LOW_HYPODIPLOIDY, "low_hypodiploidy_near_triploidy": YesNoUnknown.NO},
            "low_hypodiploidy_near_triploidy",
            validators.LOW_HYPODIPLOIDY_CONTRADICTS_KARYOTYPE,
        ),
        ({"prior_frontline_regimen": "other"}, "prior_frontline_regimen_detail", validators.FRONTLINE_DETAIL_REQUIRED),
    ],
)
def test_cross_field_rules(nurse_a, patient, values, field, message):
    with pytest.raises(ValidationError) as exc:
        baseline_record(actor=nurse_a, patient=patient, **values)
    assert errors_of(exc) == {field: message}


def test_cross_field_rules_see_the_saved_values(nurse_a, patient):
    baseline_record(actor=nurse_a, patient=patient, primary_refractory=True, prior_salvage_lines=0)
    with pytest.raises(ValidationError) as exc:
        baseline_record(actor=nurse_a, patient=patient, first_remission_duration_months=Decimal("7"))
    assert errors_of(exc) == {"first_remission_duration_months": validators.FIRST_REMISSION_WITH_PRIMARY_REFRACTORY}
    baseline_record(
        actor=nurse_a,
        patient=patient,
        reason="Had a short first remission after all",
        primary_refractory=False,
        first_remission_duration_months=Decimal("7"),
    )
    assert baseline_summary(patient).salvage_status == SalvageStatus.S1_CRD1_SHORT


def test_another_sites_patient_is_refused(nurse_b, patient):
    with pytest.raises(ValidationError) as exc:
        baseline_record(actor=nurse_b, patient=patient, ecog=1)
    assert errors_of(exc) == {"patient": PATIENT_NOT_AT_YOUR_SITES}


# --- page ------------------------------------------------------------------------------------


def test_page_records_and_shows_derived_values(client, nurse_a, patient):
    client.force_login(nurse_a)
    url = reverse("patients:baseline", args=[patient.pk])
    first = client.get(url).content.decode()
    assert 'name="reason"' not in first  # nothing saved yet, nothing to give a reason for
    response = client.post(
        url,
        {
            "cd20_percent": "19.9",
            "karyotype_group": "diploid",
            "primary_refractory": "true",
            "prior_salvage_lines": "0",
        },
    )
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "Salvage 1, primary refractory" in page
    assert 'name="reason"' in page
    assert Baseline.objects.get(patient=patient).cd20_percent == Decimal("19.9")
    assert baseline_summary(patient).rituximab_indicated is False


def test_page_keeps_typed_input_and_shows_errors_next_to_fields(client, nurse_a, patient):
    client.force_login(nurse_a)
    response = client.post(
        reverse("patients:baseline", args=[patient.pk]),
        {"marrow_blast_percent": "101", "wbc_1e9_per_l": "-1", "crlf2_overexpression": "yes"},
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors == {
        "marrow_blast_percent": ["Bone-marrow blasts (%) must be between 0 and 100."],
        "wbc_1e9_per_l": ["WBC (×10⁹/L) must be between 0 and 1000."],
        "crlf2_method": [validators.CRLF2_METHOD_REQUIRED],
    }
    page = response.content.decode()
    assert 'value="101"' in page and 'value="-1"' in page
    assert 'id="id_marrow_blast_percent_errors"' in page
    assert not Baseline.objects.filter(patient=patient).exists()


def test_page_edit_without_reason_is_refused(client, nurse_a, patient):
    baseline_record(actor=nurse_a, patient=patient, ecog=1)
    client.force_login(nurse_a)
    response = client.post(reverse("patients:baseline", args=[patient.pk]), {"ecog": "2"})
    assert response.status_code == 400
    assert response.context["form"].errors == {"reason": [REASON_REQUIRED]}
    assert Baseline.objects.get(patient=patient).ecog == 1


def test_baseline_audit_trail_page(client, nurse_a, patient):
    baseline = baseline_record(actor=nurse_a, patient=patient, ecog=1)
    baseline_record(actor=nurse_a, patient=patient, reason="Re-assessed", ecog=2)
    client.force_login(nurse_a)
    page = client.get(reverse("core:record-history", args=["patients.baseline", baseline.pk])).content.decode()
    assert "Re-assessed" in page


def test_other_site_is_404_on_the_page(client, nurse_a, other_site_patient, nurse_b):
    baseline = baseline_record(actor=nurse_b, patient=other_site_patient, ecog=1)
    client.force_login(nurse_a)
    assert client.get(reverse("patients:baseline", args=[other_site_patient.pk])).status_code == 404
    assert client.post(reverse("patients:baseline", args=[other_site_patient.pk]), {"ecog": "3"}).status_code == 404
    history = reverse("core:record-history", args=["patients.baseline", baseline.pk])
    assert client.get(history).status_code == 404


# --- API -------------------------------------------------------------------------------------


def test_api_create_patch_and_derived_output(api_client, nurse_a, patient):
    patient = register(patient, nurse_a, on=date(2016, 2, 29))
    api_client.force_authenticate(nurse_a)
    created = api_client.post(
        API,
        {"patient": patient.pk, "prior_salvage_lines": 1, "cd20_percent": "20", "kmt2a_rearranged": "no",
         "low_hypodiploidy_near_triploidy": "no"},
        format="json",
    )  # fmt: skip
    assert created.status_code == 201, created.json()
    data = created.json()
    assert data["salvage_status"] == SalvageStatus.S2
    assert data["salvage_status_label"] == "Salvage 2"
    assert (data["high_risk_cytogenetics"], data["rituximab_indicated"], data["age_at_registration"]) == (
        False,
        True,
        20,
    )
    again = api_client.post(API, {"patient": patient.pk, "ecog": 1}, format="json")
    assert again.status_code == 400
    url = f"{API}{data['id']}/"
    refused = api_client.patch(url, {"cd20_percent": "5"}, format="json")
    assert refused.json()["errors"] == [{"field": "reason", "code": "invalid", "message": REASON_REQUIRED}]
    ok = api_client.patch(url, {"cd20_percent": "5", "reason": "Flow report corrected"}, format="json")
    assert ok.status_code == 200 and ok.json()["rituximab_indicated"] is False
    history = api_client.get(ok.json()["history_url"]).json()
    assert history[-1]["reason"] == "Flow report corrected"
    listed = api_client.get(API, {"patient": patient.pk}).json()["results"]
    assert [b["id"] for b in listed] == [data["id"]]


def test_api_refuses_derived_values_as_input(api_client, nurse_a, patient):
    api_client.force_authenticate(nurse_a)
    response = api_client.post(API, {"patient": patient.pk, "salvage_status": "s2"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "salvage_status", "code": "invalid", "message": DERIVED_NOT_TYPED}]
    assert not Baseline.objects.filter(patient=patient).exists()


def test_read_only_role_sees_the_baseline_but_cannot_save(client, make_user, site_a, nurse_a, patient):
    baseline_record(actor=nurse_a, patient=patient, ecog=1)
    statistician = make_user(Role.STATISTICIAN, site_a)
    client.force_login(statistician)
    url = reverse("patients:baseline", args=[patient.pk])
    page = client.get(url).content.decode()
    assert "Save changes" not in page and 'name="ecog"' in page and "disabled" in page
    assert client.post(url, {"ecog": "3", "reason": "x"}).status_code == 403
    assert Baseline.objects.get(patient=patient).ecog == 1


def test_same_bad_input_same_messages_in_form_and_api(client, api_client, nurse_a, patient):
    bad = {
        "marrow_blast_percent": "101",
        "wbc_1e9_per_l": "-1",
        "primary_refractory": "true",
        "first_remission_duration_months": "6",
        "crlf2_overexpression": "no",
    }
    client.force_login(nurse_a)
    form = client.post(reverse("patients:baseline", args=[patient.pk]), bad).context["form"]
    form_errors = {field: errors[0] for field, errors in form.errors.items()}
    api_client.force_authenticate(nurse_a)
    api_bad = {**bad, "primary_refractory": True}
    response = api_client.post(API, {"patient": patient.pk, **api_bad}, format="json")
    assert response.status_code == 400
    api_errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert api_errors == form_errors
    assert set(api_errors) == {
        "marrow_blast_percent",
        "wbc_1e9_per_l",
        "first_remission_duration_months",
        "crlf2_method",
    }


def test_other_site_is_404_in_the_api(api_client, nurse_a, nurse_b, other_site_patient):
    baseline = baseline_record(actor=nurse_b, patient=other_site_patient, ecog=1)
    api_client.force_authenticate(nurse_a)
    assert api_client.get(f"{API}{baseline.pk}/").status_code == 404
    assert api_client.patch(f"{API}{baseline.pk}/", {"ecog": 2, "reason": "x"}, format="json").status_code == 404
    assert api_client.post(API, {"patient": other_site_patient.pk, "ecog": 2}, format="json").status_code == 404
    assert api_client.get(API, {"patient": other_site_patient.pk}).json()["results"] == []
    assert Baseline.objects.get(pk=baseline.pk).ecog == 1


def test_api_list_queries_do_not_grow_with_patients(api_client, nurse_a, site_a):
    def add_patients(n, registered_from):
        for i in range(n):
            patient = patient_screen(actor=nurse_a, site=site_a, family_name="Doe", date_of_birth=date(1970, 1, 1))
            if i % 2:
                patient = register(patient, nurse_a, on=date(2016, 1, 1), number=registered_from + i)
            baseline_record(
                actor=nurse_a,
                patient=patient,
                cd20_percent=Decimal("30"),
                prior_salvage_lines=1,
                karyotype_group="other",
            )

    add_patients(2, 1)
    api_client.force_authenticate(nurse_a)
    api_client.get(API)  # warm the user's permission and site caches
    with CaptureQueriesContext(connection) as few:
        first = api_client.get(API).json()
    add_patients(8, 100)
    with CaptureQueriesContext(connection) as many:
        second = api_client.get(API).json()
    assert (len(first["results"]), len(second["results"])) == (2, 10)
    assert all(b["salvage_status"] == SalvageStatus.S2 for b in second["results"])
    assert len(many) == len(few)


def test_baseline_get_is_scoped_to_the_users_sites(nurse_a, nurse_b, patient, other_site_patient):
    mine = baseline_record(actor=nurse_a, patient=patient, ecog=0)
    baseline_record(actor=nurse_b, patient=other_site_patient, ecog=0)
    assert baseline_get(nurse_a, patient.pk) == mine
    with pytest.raises(Http404):
        baseline_get(nurse_a, other_site_patient.pk)


def test_form_groups_every_baseline_field_once():
    grouped = [name for _legend, names in BaselineForm.FIELDSETS for name in names]
    assert sorted(grouped) == sorted(validators.BASELINE_FIELDS)
