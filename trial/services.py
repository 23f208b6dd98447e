"""Writes of the trial app: roles, users and sites."""

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import transaction

from core.audit.writes import audited_create

from .choices import Role
from .models import Site, Trial, User
from .roles import ROLE_PERMISSIONS, role_group_name

UNKNOWN_PERMISSION = "Role {role} names permission {perm}, which does not exist."


@transaction.atomic
def roles_sync() -> dict[str, int]:
    """Create or update one group per role with exactly the permissions defined in code."""
    counts = {}
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role_group_name(role))
        wanted = []
        for perm in perms:
            app_label, codename = perm.split(".", 1)
            try:
                wanted.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
            except Permission.DoesNotExist as exc:
                raise ValidationError(UNKNOWN_PERMISSION.format(role=role, perm=perm)) from exc
        group.permissions.set(wanted)
        counts[role] = len(wanted)
    return counts


@transaction.atomic
def user_create(
    *,
    actor,
    username: str,
    password: str,
    roles: list[str],
    sites: list[Site],
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    printed_name: str = "",
) -> User:
    """Create a person's account with their roles (groups) and site memberships."""
    user = User(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        printed_name=printed_name or f"{first_name} {last_name}".strip(),
        is_staff=Role.ADMINISTRATOR in roles,
    )
    user.set_password(password)
    user.full_clean()
    user.save()
    user.groups.set(Group.objects.filter(name__in=[role_group_name(r) for r in roles]))
    user.sites.set(sites)
    return user


@transaction.atomic
def site_create(*, actor, trial: Trial, code: str, name: str) -> Site:
    return audited_create(Site(trial=trial, code=code, name=name), actor=actor)
