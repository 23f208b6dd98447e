"""Patient pages: list paging and query counts, subject IDs."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from patients.services import patient_screen


def test_subject_ids_follow_the_highest_issued(nurse_a, site_a):
    first = patient_screen(actor=nurse_a, site=site_a, family_name="Doe")
    second = patient_screen(actor=nurse_a, site=site_a, family_name="Doe")
    assert (first.subject_id, second.subject_id) == ("SA-0001", "SA-0002")


def test_list_is_paged_and_queries_do_not_grow_with_patients(client, nurse_a, site_a):
    client.force_login(nurse_a)
    url = reverse("patients:list")
    patient_screen(actor=nurse_a, site=site_a, family_name="Doe")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(60):
        patient_screen(actor=nurse_a, site=site_a, family_name="Doe")
    with CaptureQueriesContext(connection) as many:
        page = client.get(url).content.decode()
    assert len(many) == len(few)
    assert "Page 1 of 2 · 61 patients" in page
    assert "SA-0050" in page and "SA-0051" not in page


def test_edit_form_shows_the_saved_date_of_birth(client, nurse_a, site_a):
    from datetime import date

    patient = patient_screen(actor=nurse_a, site=site_a, family_name="Doe", date_of_birth=date(1961, 4, 2))
    client.force_login(nurse_a)
    page = client.get(reverse("patients:edit", args=[patient.pk])).content.decode()
    assert 'value="1961-04-02"' in page


def test_home_page_shows_enrolment_per_site_of_the_user(client, make_user, nurse_a, site_a, site_b, make_patient):
    """The enrolment panel (patients' panel on trial's home page): registered and in screening at each of the user's
    sites, their sum, and the trial's total; another site's patients count only in the total."""
    patient_screen(actor=nurse_a, site=site_a, family_name="Doe")
    make_patient(), make_patient()
    make_patient(site=site_b, nurse=make_user("research_nurse", site_b))
    client.force_login(nurse_a)
    page = client.get(reverse("trial:home")).content.decode()
    assert 'data-testid="enrolled-my-sites">2<' in page
    assert "3 in the whole trial" in page
    assert "<td>SA — Site A hospital</td><td>2</td><td>1</td>" in page
    assert "Site B hospital" not in page
