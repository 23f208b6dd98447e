"""The trial's writes for people and sites: user_create and site_create check everything before writing."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError

from trial.choices import Role
from trial.models import User
from trial.roles import role_group_name
from trial.selectors import UNKNOWN_SITE, sites_by_code
from trial.services import ROLE_GROUP_MISSING, UNKNOWN_ROLE, USERNAME_TAKEN, user_create

GOOD_PASSWORD = "a-long-enough-passphrase-42"


def test_user_create_reports_every_problem_at_once_and_writes_nothing(nurse_a, site_a):
    users, history = User.objects.count(), User.history.count()
    with pytest.raises(ValidationError) as error:
        user_create(
            actor=None,
            username=nurse_a.username,
            password="123",
            roles=[Role.MONITOR, "nurse"],
            sites=[site_a],
            email="not-an-address",
        )

    errors = error.value.message_dict
    assert errors["roles"] == [UNKNOWN_ROLE.format(role="nurse", choices=", ".join(Role.values))]
    assert errors["username"] == [USERNAME_TAKEN.format(username=nurse_a.username)]
    assert any("too short" in message for message in errors["password"])
    assert any("numeric" in message for message in errors["password"])
    assert "email" in errors
    assert (User.objects.count(), User.history.count()) == (users, history)


def test_user_create_refuses_a_role_whose_group_was_never_synced(db, site_a):
    Group.objects.filter(name=role_group_name(Role.DATA_MANAGER)).delete()
    with pytest.raises(ValidationError) as error:
        user_create(actor=None, username="dm", password=GOOD_PASSWORD, roles=[Role.DATA_MANAGER], sites=[site_a])
    assert error.value.message_dict["roles"] == [ROLE_GROUP_MISSING.format(role="data_manager")]
    assert not User.objects.filter(username="dm").exists()


def test_user_create_is_audited_with_the_actor(make_user, site_a):
    admin = make_user(Role.ADMINISTRATOR, site_a)
    user = user_create(actor=admin, username="ana", password=GOOD_PASSWORD, roles=[Role.RESEARCH_NURSE], sites=[site_a])
    created = user.history.get(history_type="+")
    assert (created.history_user, created.history_change_reason) == (admin, "Created")
    latest = user.history.latest()  # the roles and sites, set after the account, are in a row of their own
    assert (latest.history_user, latest.history_change_reason) == (admin, "Created")
    assert [m.site for m in latest.sites.all()] == [site_a]
    assert "password" not in {field.name for field in created._meta.fields}


def test_sites_by_code_keeps_the_order_given_and_names_unknown_codes(site_a, site_b):
    assert sites_by_code(["SB", "SA", "SB"]) == [site_b, site_a]
    with pytest.raises(ValidationError) as error:
        sites_by_code(["SA", "ZZ"])
    assert error.value.message_dict["sites"] == [UNKNOWN_SITE.format(code="ZZ", codes="SA, SB")]
