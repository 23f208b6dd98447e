"""Roles, site scoping and PHI: what each person may see and do."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from patients.services import patient_screen
from trial.choices import Role
from trial.roles import ROLE_PERMISSIONS, role_group_name


@pytest.fixture
def patient_b(nurse_b, site_b):
    return patient_screen(actor=nurse_b, site=site_b, family_name="Other", given_name="Site")


@pytest.fixture
def patient_a(nurse_a, site_a):
    return patient_screen(actor=nurse_a, site=site_a, family_name="Doe", medical_record_number="MRN-A1")


def test_every_role_is_a_group_with_exactly_its_permissions(db):
    for role, perms in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=role_group_name(role))
        have = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}
        assert have == set(perms), role


@pytest.mark.parametrize(
    ("role", "can_add", "can_sign", "sees_phi"),
    [
        (Role.RESEARCH_NURSE, True, False, True),
        (Role.INVESTIGATOR, True, True, True),
        (Role.MONITOR, False, False, True),
        (Role.DATA_MANAGER, False, False, False),
        (Role.STATISTICIAN, False, False, False),
        (Role.ADMINISTRATOR, False, False, False),
    ],
)
def test_role_permissions(make_user, site_a, role, can_add, can_sign, sees_phi):
    user = make_user(role, site_a)
    assert user.has_perm("patients.add_patient") is can_add
    assert user.has_perm("core.sign_records") is can_sign
    assert user.has_perm("trial.view_phi") is sees_phi


def test_other_sites_patient_is_404_in_ui(client, nurse_a, patient_b):
    client.force_login(nurse_a)
    for name in ("patients:detail", "patients:edit"):
        assert client.get(reverse(name, args=[patient_b.pk])).status_code == 404
    history = reverse("core:record-history", args=["patients.patient", patient_b.pk])
    assert client.get(history).status_code == 404


def test_other_sites_patient_is_404_in_api(api_client, nurse_a, patient_b):
    api_client.force_authenticate(nurse_a)
    assert api_client.get(f"/api/v1/patients/{patient_b.pk}/").status_code == 404
    assert api_client.patch(f"/api/v1/patients/{patient_b.pk}/", {"family_name": "X"}).status_code == 404
    assert api_client.get(f"/api/v1/records/patients.patient/{patient_b.pk}/history/").status_code == 404


def test_lists_show_only_own_sites(client, api_client, nurse_a, patient_a, patient_b):
    client.force_login(nurse_a)
    page = client.get(reverse("patients:list")).content.decode()
    assert patient_a.subject_id in page
    assert patient_b.subject_id not in page
    api_client.force_authenticate(nurse_a)
    ids = [p["subject_id"] for p in api_client.get("/api/v1/patients/").json()["results"]]
    assert ids == [patient_a.subject_id]


def test_phi_hidden_from_statistician_in_api_ui_and_history(client, api_client, make_user, site_a, patient_a):
    statistician = make_user(Role.STATISTICIAN, site_a)
    api_client.force_authenticate(statistician)
    row = api_client.get("/api/v1/patients/").json()["results"][0]
    assert "family_name" not in row and "medical_record_number" not in row
    assert row["subject_id"] == patient_a.subject_id
    client.force_login(statistician)
    detail = client.get(reverse("patients:detail", args=[patient_a.pk])).content.decode()
    assert "MRN-A1" not in detail
    data_manager = make_user(Role.DATA_MANAGER, site_a)
    api_client.force_authenticate(data_manager)
    history = api_client.get(f"/api/v1/records/patients.patient/{patient_a.pk}/history/").json()
    assert "MRN-A1" not in str(history)
    assert "(identifying data hidden)" in str(history)


def test_phi_visible_to_nurse(api_client, nurse_a, patient_a):
    api_client.force_authenticate(nurse_a)
    row = api_client.get(f"/api/v1/patients/{patient_a.pk}/").json()
    assert row["medical_record_number"] == "MRN-A1"


def test_statistician_cannot_write(api_client, make_user, site_a, patient_a):
    statistician = make_user(Role.STATISTICIAN, site_a)
    api_client.force_authenticate(statistician)
    response = api_client.post("/api/v1/patients/", {"site": site_a.code}, format="json")
    assert response.status_code == 403


def test_nurse_cannot_screen_at_a_site_she_does_not_belong_to(api_client, nurse_a, site_b):
    api_client.force_authenticate(nurse_a)
    response = api_client.post("/api/v1/patients/", {"site": site_b.code, "family_name": "Doe"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "site"


def test_navigation_follows_role(client, make_user, site_a):
    admin = make_user(Role.ADMINISTRATOR, site_a)
    client.force_login(admin)
    page = client.get("/").content.decode()
    assert ">Administration<" in page and ">Patients<" not in page
    nurse = make_user(Role.RESEARCH_NURSE, site_a, username="nav_nurse")
    client.force_login(nurse)
    page = client.get("/").content.decode()
    assert ">Patients<" in page and ">Administration<" not in page
