"""Writes of the trial app: roles, users and sites.

No one sets another person's password: an administrator issues a one-time set-password link
(:func:`password_link_issue`) and the person sets their own (:func:`password_set`). Every account
change is in the user's history with who, when, the reason, old and new values, roles and sites;
password events appear as the times ``password_set_at`` / ``password_link_issued_at``, never the hash.
"""

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from core.audit.writes import REASON_REQUIRED, audited_create, audited_update

from .choices import Role
from .models import Site, Trial, User
from .roles import ROLE_PERMISSIONS, role_group_name

UNKNOWN_PERMISSION = "Role {role} names permission {perm}, which does not exist."
UNKNOWN_ROLE = "Unknown role {role!r}; the roles are: {choices}."
ROLE_GROUP_MISSING = "Role {role!r} has no group yet: run `manage.py migrate` (or `manage.py sync_roles`) first."
USERNAME_TAKEN = "A user named {username!r} already exists."
SITE_CODE_TAKEN = "Trial {trial} already has a site with code {code!r}."
OTHER_SITES_USER = "You manage the users of your own sites only."
OWN_ROLES = "No one changes their own roles or sites: another administrator does."
OTHER_SITES = "You can give access only to your own sites; not: {codes}."
OTHER_SITE = "You manage your own sites only."
NO_EMAIL = "This user has no e-mail address: add one before issuing a set-password link."
EMAIL_CHANGED = (
    "The e-mail address is not the one this person had when they last set their password: a set-password link "
    "goes only to that address (a superuser may send it elsewhere), so that no administrator can redirect another "
    "person's account."
)
LINK_REASON = "Set-password link issued: {reason}"
PASSWORD_SET_REASON = "Password set by the user"
USER_FIELDS = ("first_name", "last_name", "email", "printed_name", "is_active")


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
    password: str | None,
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
    ``password`` None (an account made by an administrator): the password is unusable until the
    person sets their own through a link (:func:`password_link_issue`). An ``actor`` who is not a
    superuser gives access to their own sites only.
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
    errors.update(_sites_errors(actor, sites))
    if password is not None:
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
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
        user.password_set_at = timezone.now()
    audited_create(user, actor=actor)
    user.groups.set(Group.objects.filter(name__in=[role_group_name(r) for r in roles]))
    user.sites.set(sites)
    return user


def _acts_for_all_sites(actor) -> bool:
    """The system (no actor, e.g. the command line) and a superuser are not limited to their sites."""
    return actor is None or not getattr(actor, "is_authenticated", False) or actor.is_superuser


def _sites_errors(actor, sites) -> dict:
    if _acts_for_all_sites(actor):
        return {}
    foreign = sorted(site.code for site in sites if site.pk not in actor.site_ids())
    return {"sites": [OTHER_SITES.format(codes=", ".join(foreign))]} if foreign else {}


def users_managed_by(actor):
    """The users ``actor`` may manage: those sharing one of the actor's sites (everyone for a superuser)."""
    if _acts_for_all_sites(actor):
        return User.objects.all()
    return User.objects.filter(sites__in=actor.site_ids(), is_superuser=False).distinct()


def user_check_managed(actor, user) -> None:
    """Refuse an actor who does not share a site with ``user`` (or a non-superuser acting on a superuser)."""
    if not users_managed_by(actor).filter(pk=user.pk).exists():
        raise PermissionDenied(OTHER_SITES_USER)


def user_roles(user) -> list[str]:
    names = set(user.groups.values_list("name", flat=True))
    return [role for role in Role.values if role_group_name(role) in names]


@transaction.atomic
def user_update(*, actor, user: User, reason: str, roles: list[str], sites: list[Site], **changes) -> dict:
    """Change a person's account details, roles and sites, with a reason; audited. Returns {field: (old, new)}.

    ``changes`` may name only :data:`USER_FIELDS` (never the password, superuser status or permissions);
    staff status follows the administrator role. A non-superuser actor manages users of their own sites
    only and gives access to their own sites only; the sites of the user at other sites are kept.
    """
    user_check_managed(actor, user)
    unknown = sorted(set(changes) - set(USER_FIELDS))
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be changed here."))
    roles_check(roles)
    errors = _sites_errors(actor, sites)
    if errors:
        raise ValidationError(errors)
    if not _acts_for_all_sites(actor):
        sites = list(sites) + list(user.sites.exclude(pk__in=actor.site_ids()))
    old_roles, new_roles = sorted(user_roles(user)), sorted(set(roles))
    old_sites = sorted(user.sites.values_list("code", flat=True))
    new_sites = sorted(site.code for site in sites)
    diff = {}
    if old_roles != new_roles:
        diff["roles"] = (old_roles, new_roles)
    if old_sites != new_sites:
        diff["sites"] = (old_sites, new_sites)
    if diff and actor is not None and actor.pk == user.pk:
        raise ValidationError({"roles": OWN_ROLES})
    changes["is_staff"] = Role.ADMINISTRATOR in roles or user.is_superuser
    reason = (reason or "").strip()
    if not reason and (diff or any(getattr(user, name) != value for name, value in changes.items())):
        raise ValidationError({"reason": REASON_REQUIRED})
    _user, changed = audited_update(user, actor=actor, reason=reason, **changes)
    diff.update(changed)
    if "roles" in diff or "sites" in diff:
        user._history_user = actor if getattr(actor, "is_authenticated", False) else None
        user._change_reason = reason
        if "roles" in diff:
            user.groups.set(Group.objects.filter(name__in=[role_group_name(r) for r in roles]))
        if "sites" in diff:
            user.sites.set(sites)
    return diff


def password_link(user: User) -> str:
    """The path of a one-time set-password link: it stops working once the password is set (or after
    ``PASSWORD_RESET_TIMEOUT``), because the token is made from the current password hash."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse("trial:password-set", args=[uid, default_token_generator.make_token(user)])


def password_link_refusal(actor, user: User, email: str) -> str | None:
    """Why ``actor`` may not send a set-password link for ``user`` to ``email`` (None: they may).

    From an administrator, a person who has a password of their own gets a link only at the address they had
    when they last set it (for a password older than that record: when the account was created); otherwise
    changing the address and sending a link would hand their account, and their signature, to whoever changed it.
    """
    if not email:
        return NO_EMAIL
    if _acts_for_all_sites(actor) or not user.has_usable_password():
        return None
    rows = user.history.filter(password_set_at=user.password_set_at) if user.password_set_at else user.history.all()
    known = rows.order_by("history_date", "history_id").values_list("email", flat=True).first()
    return EMAIL_CHANGED if known is not None and known != email else None


@transaction.atomic
def password_link_issue(*, actor, user: User, reason: str, base_url: str) -> str:
    """E-mail ``user`` a one-time link to set their own password; audited (the event, not the link). Returns the link.

    ``base_url`` is the scheme and host the link starts with (the request's, from the admin page).
    """
    user_check_managed(actor, user)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": REASON_REQUIRED})
    refusal = password_link_refusal(actor, user, user.email)
    if refusal:
        raise ValidationError({"email": refusal})
    audited_update(user, actor=actor, reason=LINK_REASON.format(reason=reason), password_link_issued_at=timezone.now())
    link = base_url.rstrip("/") + password_link(user)
    hours = settings.PASSWORD_RESET_TIMEOUT // 3600
    send_mail(
        "Set your password for the trial data system",
        f"Hello {user.signature_name},\n\nOpen this link to set your password (user name: {user.username}). "
        f"It works once, within {hours} hours:\n\n{link}\n",
        None,
        [user.email],
    )
    return link


@transaction.atomic
def password_set(*, user: User, password: str) -> None:
    """The person sets their own password (from a set-password link); audited as an event, never the value."""
    validate_password(password, user=user)
    user.set_password(password)
    audited_update(user, actor=user, reason=PASSWORD_SET_REASON, password_set_at=timezone.now())


@transaction.atomic
def site_create(*, actor, trial: Trial, code: str, name: str) -> Site:
    """Add a participating site to a trial; audited (``actor`` None: system). Its code is unique in the trial."""
    if Site.objects.filter(trial=trial, code=code).exists():
        raise ValidationError({"code": SITE_CODE_TAKEN.format(trial=trial.nct_id, code=code)})
    return audited_create(Site(trial=trial, code=code, name=name), actor=actor)


def sites_managed_by(actor):
    """The sites ``actor`` may edit: their own (every site for a superuser or the system)."""
    if _acts_for_all_sites(actor):
        return Site.objects.all()
    return Site.objects.filter(pk__in=actor.site_ids())


@transaction.atomic
def site_update(*, actor, site: Site, reason: str, **changes) -> dict:
    """Rename or (de)activate one of the actor's sites, with a reason; audited. Returns {field: (old, new)}."""
    if not sites_managed_by(actor).filter(pk=site.pk).exists():
        raise PermissionDenied(OTHER_SITE)
    if changes.get("code", site.code) != site.code and (
        Site.objects.filter(trial=site.trial, code=changes["code"]).exclude(pk=site.pk).exists()
    ):
        raise ValidationError({"code": SITE_CODE_TAKEN.format(trial=site.trial.nct_id, code=changes["code"])})
    if not (reason or "").strip():
        raise ValidationError({"reason": REASON_REQUIRED})
    _site, diff = audited_update(site, actor=actor, reason=reason, **changes)
    return diff
