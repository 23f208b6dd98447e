"""Administration without takeover (issue 14, point 1): an administrator manages the accounts of their own sites,
but cannot give anyone a password they know, cannot make anyone a superuser and does not read clinical trails."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from conftest import PASSWORD
from trial.choices import Role
from trial.models import User
from trial.services import user_create

NEW_PASSWORD = "lantern-orchard-4417"


@pytest.fixture
def admin_a(make_user, site_a):
    return make_user(Role.ADMINISTRATOR, site_a)


def change_url(user):
    return reverse("admin:trial_user_change", args=[user.pk])


def change_form(user, **overrides):
    """What the admin change page posts for ``user`` as it is, with ``overrides``."""
    data = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "printed_name": user.printed_name,
        "is_active": "on",
        "roles": [g for g in Role.values if user.groups.filter(name=Role(g).label).exists()],
        "sites": [s.pk for s in user.sites.all()],
        "reason": "",
    }
    data.update(overrides)
    return data


def link_in(message):
    return re.search(r"https?://[^/\s]+(/\S+)", message.body).group(1)


def test_the_admin_password_page_for_another_user_is_refused(client, admin_a, investigator_a):
    client.force_login(admin_a)
    url = reverse("admin:auth_user_password_change", args=[investigator_a.pk])
    assert client.get(url).status_code == 403
    response = client.post(url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 403
    investigator_a.refresh_from_db()
    assert investigator_a.check_password(PASSWORD) and not investigator_a.check_password(NEW_PASSWORD)


def test_the_change_page_has_no_password_or_superuser_field_and_ignores_them(client, admin_a, investigator_a):
    client.force_login(admin_a)
    page = client.get(change_url(investigator_a)).content.decode()
    assert 'name="is_superuser"' not in page and 'name="password' not in page
    assert 'name="user_permissions"' not in page and 'name="is_staff"' not in page
    response = client.post(
        change_url(investigator_a),
        change_form(
            investigator_a,
            is_superuser="on",
            is_staff="on",
            password="pbkdf2_sha256$1$x$y",
            password1=NEW_PASSWORD,
            password2=NEW_PASSWORD,
            reason="Attempted takeover",
        ),
    )
    assert response.status_code == 302
    investigator_a.refresh_from_db()
    assert not investigator_a.is_superuser and not investigator_a.is_staff
    assert investigator_a.check_password(PASSWORD)


def test_an_administrator_cannot_make_themselves_superuser_or_investigator(client, admin_a):
    client.force_login(admin_a)
    response = client.post(
        change_url(admin_a),
        change_form(admin_a, is_superuser="on", roles=[Role.ADMINISTRATOR, Role.INVESTIGATOR], reason="Covering"),
    )
    assert response.status_code == 200
    assert "No one changes their own roles or sites" in response.content.decode()
    admin_a.refresh_from_db()
    assert not admin_a.is_superuser and not admin_a.has_perm("core.sign_records")


def test_a_new_account_has_no_usable_password_and_its_link_works_once(client, admin_a, site_a):
    client.force_login(admin_a)
    response = client.post(
        reverse("admin:trial_user_add"),
        {
            "username": "mgarcia",
            "first_name": "Maria",
            "last_name": "Garcia",
            "email": "mgarcia@example.org",
            "printed_name": "Maria Garcia, MD",
            "roles": [Role.INVESTIGATOR],
            "sites": [site_a.pk],
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="mgarcia")
    assert not user.has_usable_password()
    assert [m.to for m in mail.outbox] == [["mgarcia@example.org"]]
    link = link_in(mail.outbox[0])

    client.logout()
    form_page = client.get(link, follow=True)
    assert 'name="new_password1"' in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, follow=True
    )
    assert 'data-testid="password-set-done"' in done.content.decode()
    assert client.login(username="mgarcia", password=NEW_PASSWORD)

    client.logout()
    again = client.get(link, follow=True).content.decode()
    assert 'data-testid="password-link-invalid"' in again and 'name="new_password1"' not in again


def test_password_events_are_in_the_audit_trail_without_the_hash(client, admin_a, site_a):
    nurse_a = user_create(
        actor=None, username="nurse_mail", password=PASSWORD, roles=[Role.RESEARCH_NURSE], sites=[site_a],
        email="nurse@example.org",
    )  # fmt: skip
    client.force_login(admin_a)
    response = client.post(
        change_url(nurse_a), change_form(nurse_a, issue_password_link="on", reason="Forgot her password")
    )
    assert response.status_code == 302
    client.logout()
    form_page = client.get(link_in(mail.outbox[0]), follow=True)
    client.post(form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    nurse_a.refresh_from_db()
    rows = list(nurse_a.history.order_by("history_id"))
    issued = next(r for r in rows if r.history_change_reason == "Set-password link issued: Forgot her password")
    assert issued.history_user == admin_a and issued.password_link_issued_at is not None
    set_row = rows[-1]
    assert (set_row.history_user, set_row.history_change_reason) == (nurse_a, "Password set by the user")
    assert set_row.password_set_at == nurse_a.password_set_at
    assert "password" not in {f.name for f in set_row._meta.fields}
    hash_part = nurse_a.password.split("$")[-1]
    assert all(hash_part not in str(vars(row)) for row in rows)


def test_no_link_to_an_address_the_administrator_just_gave_an_investigator(client, admin_a, investigator_a):
    client.force_login(admin_a)
    response = client.post(
        change_url(investigator_a),
        change_form(investigator_a, email="admin@example.org", issue_password_link="on", reason="New address"),
    )
    assert response.status_code == 200
    assert "a set-password link goes only to that address" in response.content.decode()
    client.post(change_url(investigator_a), change_form(investigator_a, email="admin@example.org", reason="New"))
    response = client.post(
        change_url(investigator_a),
        change_form(investigator_a, email="admin@example.org", issue_password_link="on", reason="Forgot"),
    )
    assert response.status_code == 200 and mail.outbox == []
    investigator_a.refresh_from_db()
    assert investigator_a.password_link_issued_at is None and investigator_a.check_password(PASSWORD)


def test_role_and_site_changes_need_a_reason_and_keep_old_and_new(client, admin_a, nurse_a, site_a):
    client.force_login(admin_a)
    refused = client.post(change_url(nurse_a), change_form(nurse_a, roles=[Role.INVESTIGATOR]))
    assert refused.status_code == 200 and "A reason for change is required" in refused.content.decode()
    assert not nurse_a.has_perm("core.sign_records")

    client.post(change_url(nurse_a), change_form(nurse_a, roles=[Role.INVESTIGATOR], reason="Promoted to PI"))
    nurse_a = User.objects.get(pk=nurse_a.pk)
    assert nurse_a.has_perm("core.sign_records")
    latest = nurse_a.history.order_by("-history_id").first()
    assert (latest.history_user, latest.history_change_reason) == (admin_a, "Promoted to PI")
    assert [g.group.name for g in latest.groups.all()] == ["Investigator"]
    before = nurse_a.history.exclude(history_change_reason="Promoted to PI").order_by("-history_id").first()
    assert [g.group.name for g in before.groups.all()] == ["Research nurse"]
    assert [s.site for s in latest.sites.all()] == [site_a]
    trail = client.get(reverse("admin:trial_user_history", args=[nurse_a.pk])).content.decode()
    assert "Promoted to PI" in trail


def test_an_administrator_of_site_a_neither_sees_nor_edits_a_site_b_user(client, admin_a, nurse_a, nurse_b):
    client.force_login(admin_a)
    listing = client.get(reverse("admin:trial_user_changelist")).content.decode()
    assert nurse_a.username in listing and nurse_b.username not in listing
    assert client.get(change_url(nurse_b)).status_code == 404
    assert client.get(reverse("admin:trial_user_history", args=[nurse_b.pk])).status_code == 404
    version = nurse_b.history.latest().history_id
    assert client.get(reverse("admin:trial_user_simple_history", args=[nurse_b.pk, version])).status_code == 404
    response = client.post(change_url(nurse_b), change_form(nurse_b, first_name="Taken", reason="x"))
    assert response.status_code == 404
    nurse_b.refresh_from_db()
    assert nurse_b.first_name != "Taken"


def test_an_administrator_cannot_give_access_to_another_site(client, admin_a, nurse_a, site_b):
    client.force_login(admin_a)
    response = client.post(change_url(nurse_a), change_form(nurse_a, sites=[site_b.pk], reason="Moved"))
    assert response.status_code == 200
    assert list(nurse_a.sites.all()) != [site_b]


def test_superusers_are_not_listed_for_an_administrator(client, admin_a, site_a):
    root = User.objects.create_superuser("root", "root@example.org", PASSWORD)
    root.sites.set([site_a])
    client.force_login(admin_a)
    assert "root" not in client.get(reverse("admin:trial_user_changelist")).content.decode()
    assert client.get(change_url(root)).status_code == 404


def test_administrators_read_no_audit_trail_or_signature_list(client, admin_a, make_patient):
    patient = make_patient()
    assert not admin_a.has_perm("core.view_audit_trail") and not admin_a.has_perm("core.view_signature")
    client.force_login(admin_a)
    assert client.get(reverse("admin:core_signature_changelist")).status_code == 403
    history = reverse("core:record-history", args=["patients.patient", patient.pk])
    assert client.get(history).status_code in (403, 404)


def site_form(site, **overrides):
    data = {"code": site.code, "name": site.name, "is_active": "on" if site.is_active else "", "reason": ""}
    data.update(overrides)
    return data


def test_an_administrator_edits_their_own_site_with_a_reason_and_never_another(client, admin_a, site_a, site_b):
    client.force_login(admin_a)
    listing = client.get(reverse("admin:trial_site_changelist")).content.decode()
    assert site_a.name in listing and site_b.name not in listing
    url = reverse("admin:trial_site_change", args=[site_a.pk])
    refused = client.post(url, site_form(site_a, name="Renamed hospital"))
    assert refused.status_code == 200 and "A reason for change is required" in refused.content.decode()
    site_a.refresh_from_db()
    assert site_a.name != "Renamed hospital"

    client.post(url, site_form(site_a, name="Renamed hospital", reason="Merger of the two hospitals"))
    site_a.refresh_from_db()
    latest = site_a.history.order_by("-history_id").first()
    assert (site_a.name, latest.history_user, latest.history_change_reason) == (
        "Renamed hospital",
        admin_a,
        "Merger of the two hospitals",
    )

    other = reverse("admin:trial_site_change", args=[site_b.pk])
    assert client.get(other).status_code == 404
    assert client.post(other, site_form(site_b, name="Taken", reason="x")).status_code == 404
    assert client.get(reverse("admin:trial_site_history", args=[site_b.pk])).status_code == 404
    site_b.refresh_from_db()
    assert site_b.name != "Taken"


def test_the_admin_shows_no_clinical_audit_trail_to_an_administrator_who_may_read_the_records(
    client, site_a, make_patient
):
    """An administrator who is also the statistician reads the records but not who changed them and why."""
    both = user_create(
        actor=None,
        username="admin_stat",
        password=PASSWORD,
        roles=[Role.ADMINISTRATOR, Role.STATISTICIAN],
        sites=[site_a],
    )
    patient = make_patient()
    assert both.is_staff and both.has_perm("patients.view_patient") and not both.has_perm("core.view_audit_trail")
    client.force_login(both)
    assert client.get(reverse("admin:patients_patient_change", args=[patient.pk])).status_code == 200
    assert client.get(reverse("admin:patients_patient_history", args=[patient.pk])).status_code == 403
    version = patient.history.latest().history_id
    assert client.get(reverse("admin:patients_patient_simple_history", args=[patient.pk, version])).status_code == 403
