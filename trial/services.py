"""Writes of the trial app: roles, users and sites."""

from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from core.audit.writes import audited_create

from .choices import Role
from .models import Site, Trial, User
from .roles import ROLE_PERMISSIONS, role_group_name

UNKNOWN_PERMISSION = "Role {role} names permission {perm}, which does not exist."
UNKNOWN_ROLE = "Unknown role {role!r}; the roles are: {choices}."
ROLE_GROUP_MISSING = "Role {role!r} has no group yet: run `manage.py migrate` (or `manage.py sync_roles`) first."
USERNAME_TAKEN = "A user named {username!r} already exists."
SITE_CODE_TAKEN = "Trial {trial} already has a site with code {code!r}."


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


def roles_check(roles) -> None:
    """Refuse a role that is not one of :class:`Role`, or whose group has not been synced yet."""
    unknown = [role for role in roles if role not in Role.values]
    if unknown:
        choices = ", ".join(Role.values)
        raise ValidationError({"roles": [UNKNOWN_ROLE.format(role=role, choices=choices) for role in unknown]})
    groups = set(Group.objects.filter(name__in=[role_group_name(r) for r in roles]).values_list("name", flat=True))
    missing = [role for role in roles if role_group_name(role) not in groups]
    if missing:
        raise ValidationError({"roles": [ROLE_GROUP_MISSING.format(role=str(role)) for role in missing]})


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
    """Create a person's account with their roles (groups) and site memberships; audited (``actor`` None: system).

    Everything is checked before anything is written, and every problem is reported at once, by
    field: ``roles`` (a known role whose group exists), ``username`` (not taken), ``password``
    (Django's password validators, ``AUTH_PASSWORD_VALIDATORS``) and the model's own fields.
    """
    user = User(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        printed_name=printed_name or f"{first_name} {last_name}".strip(),
        is_staff=Role.ADMINISTRATOR in roles,
    )
    errors = {}
    try:
        roles_check(roles)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if User.objects.filter(username=username).exists():
        errors["username"] = [USERNAME_TAKEN.format(username=username)]
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        errors["password"] = exc.messages
    try:
        user.full_clean(exclude=["password", *errors])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, messages)
    if errors:
        raise ValidationError(errors)
    user.set_password(password)
    audited_create(user, actor=actor)
    user.groups.set(Group.objects.filter(name__in=[role_group_name(r) for r in roles]))
    user.sites.set(sites)
    return user


@transaction.atomic
def site_create(*, actor, trial: Trial, code: str, name: str) -> Site:
    """Add a participating site to a trial; audited (``actor`` None: system). Its code is unique in the trial."""
    if Site.objects.filter(trial=trial, code=code).exists():
        raise ValidationError({"code": SITE_CODE_TAKEN.format(trial=trial.nct_id, code=code)})
    return audited_create(Site(trial=trial, code=code, name=name), actor=actor)
