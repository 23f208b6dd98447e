"""The web base: login, idle timeout, home page, forms that keep input, admin, health check."""

import time

import pytest
from django.urls import reverse

from core.middleware import LAST_ACTIVITY_KEY
from patients.models import Patient
from patients.services import patient_screen
from trial.choices import Role


def test_login_page_and_redirect_for_anonymous(client, db):
    assert client.get("/accounts/login/").status_code == 200
    response = client.get(reverse("patients:list"))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_login_with_password_then_home_shows_versions_and_enrolment(client, nurse_a, password):
    response = client.post("/accounts/login/", {"username": nurse_a.username, "password": password}, follow=True)
    page = response.content.decode()
    assert "Original protocol" in page or "original" in page.lower()
    assert "Site A hospital" in page
    assert 'data-testid="enrolled-my-sites">0<' in page
    assert '<a class="navbar-brand" href="/">' in page  # the layout's link home (LOGIN_REDIRECT_URL)


def test_idle_session_is_signed_out(client, nurse_a, settings):
    client.force_login(nurse_a)
    assert client.get("/").status_code == 200
    session = client.session
    session[LAST_ACTIVITY_KEY] = int(time.time()) - settings.SESSION_IDLE_TIMEOUT_SECONDS - 5
    session.save()
    response = client.get(reverse("patients:list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get("/").status_code == 302


def test_edit_form_keeps_typed_input_and_names_the_missing_reason(client, nurse_a, site_a):
    patient = patient_screen(actor=nurse_a, site=site_a, family_name="Doe", medical_record_number="M1")
    client.force_login(nurse_a)
    url = reverse("patients:edit", args=[patient.pk])
    response = client.post(url, {"family_name": "Typed-New-Name", "medical_record_number": "M1", "reason": ""})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'value="Typed-New-Name"' in page
    assert "A reason for change is required" in page
    assert 'id="id_reason_errors"' in page
    patient.refresh_from_db()
    assert patient.family_name == "Doe"


def test_screen_form_rejects_bad_date_next_to_field(client, nurse_a, site_a):
    client.force_login(nurse_a)
    response = client.post(
        reverse("patients:screen"), {"site": site_a.pk, "family_name": "Kept", "date_of_birth": "31/31/1990"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_date_of_birth_errors"' in page and 'value="Kept"' in page
    assert not Patient.objects.exists()


def test_admin_for_administrators_only(client, make_user, site_a, nurse_a):
    admin_user = make_user(Role.ADMINISTRATOR, site_a)
    client.force_login(admin_user)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/trial/user/").status_code == 200
    client.force_login(nurse_a)
    assert client.get("/admin/").status_code == 302


def test_protocol_page_lists_both_versions(client, nurse_a):
    client.force_login(nurse_a)
    page = client.get(reverse("trial:protocol")).content.decode()
    assert "Inotuzumab" in page and "Blinatumomab" in page


def test_healthz_checks_database(client, db):
    response = client.get("/healthz/")
    assert response.status_code == 200 and response.json()["status"] == "ok"


@pytest.mark.parametrize(("path", "signed_in"), [("/", True), ("/accounts/login/", False)])
def test_pages_load_no_third_party_assets(client, nurse_a, path, signed_in):
    if signed_in:
        client.force_login(nurse_a)
    page = client.get(path).content.decode()
    assert "/static/vendor/bootstrap/" in page
    assert "http://" not in page.replace("http://testserver", "") and "https://" not in page


@pytest.mark.parametrize(
    ("days", "text"),
    [([1, 2, 3, 4, 11, 12, 13, 14], "1–4, 11–14"), ([3], "3"), ([2, 7], "2, 7"), ([], "")],
)
def test_course_days_are_shown_as_ranges(days, text):
    from core.templatetags.ui import compact_days

    assert compact_days(days) == text


def test_dates_read_one_way_on_every_page(client, make_patient, nurse_a, investigator_a, password):
    from core.choices import SignatureMeaning
    from core.models import Signature
    from core.services import signature_sign

    patient = make_patient()  # registered on 2 Jan 2024
    signature_sign(record=patient, actor=investigator_a, password=password, meaning=SignatureMeaning.REVIEW)
    client.force_login(nurse_a)
    page = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "2 Jan 2024" in page
    assert "2024-01-02" not in page and "Jan. 2, 2024" not in page
    signed = Signature.objects.for_record(patient).get().signed_at
    assert f"{signed:%-d %b %Y %H:%M:%S} UTC" in page
