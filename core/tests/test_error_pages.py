"""403 and 404 answers are pages of the layout: the navigation, who is signed in, and a way back."""

from django.urls import reverse

from patients.services import patient_screen
from trial.choices import Role


def test_another_sites_patient_is_a_404_page_with_navigation_and_a_way_back(client, nurse_a, nurse_b, site_b):
    theirs = patient_screen(actor=nurse_b, site=site_b, family_name="Elsewhere")
    client.force_login(nurse_a)
    response = client.get(reverse("patients:detail", args=[theirs.pk]), HTTP_REFERER="http://testserver/patients/")
    page = response.content.decode()
    assert response.status_code == 404
    assert 'data-testid="error-page">Not found' in page
    assert 'aria-label="Main navigation"' in page and 'data-testid="current-user"' in page
    assert 'href="http://testserver/patients/" data-testid="back-link"' in page
    assert "Elsewhere" not in page


def test_a_page_the_role_may_not_open_is_a_403_page_in_the_layout(client, make_user, nurse_a, site_a):
    patient = patient_screen(actor=nurse_a, site=site_a, family_name="Doe")
    statistician = make_user(Role.STATISTICIAN, site_a)  # sees data, not the audit trail
    client.force_login(statistician)
    response = client.get(reverse("core:record-history", args=["patients.patient", patient.pk]))
    page = response.content.decode()
    assert response.status_code == 403
    assert 'data-testid="error-page">Not allowed' in page
    assert 'aria-label="Main navigation"' in page and statistician.signature_name in page
    assert 'href="/"' in page  # back to the trial home
