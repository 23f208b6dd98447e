"""Patient pages: list paging and query counts, subject IDs."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from patients.services import patient_screen


def test_subject_ids_follow_the_highest_issued(nurse_a, site_a):
    first = patient_screen(actor=nurse_a, site=site_a)
    second = patient_screen(actor=nurse_a, site=site_a)
    assert (first.subject_id, second.subject_id) == ("SA-0001", "SA-0002")


def test_list_is_paged_and_queries_do_not_grow_with_patients(client, nurse_a, site_a):
    client.force_login(nurse_a)
    url = reverse("patients:list")
    patient_screen(actor=nurse_a, site=site_a)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(60):
        patient_screen(actor=nurse_a, site=site_a)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url).content.decode()
    assert len(many) == len(few)
    assert "Page 1 of 2 · 61 patients" in page
    assert "SA-0050" in page and "SA-0051" not in page


def test_edit_form_shows_the_saved_date_of_birth(client, nurse_a, site_a):
    from datetime import date

    patient = patient_screen(actor=nurse_a, site=site_a, date_of_birth=date(1961, 4, 2))
    client.force_login(nurse_a)
    page = client.get(reverse("patients:edit", args=[patient.pk])).content.decode()
    assert 'value="1961-04-02"' in page
