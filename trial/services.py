"""Writes of the trial app: roles, users and sites, electronic signatures."""

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .audit import audited_create, audited_update, record_digest
from .choices import Role, SignatureMeaning, SignatureStatus
from .models import Signature, Site, Trial, User
from .roles import ROLE_PERMISSIONS, role_group_name

WRONG_PASSWORD = "The password is not correct; the record was not signed."
NOT_ALLOWED_TO_SIGN = "Your role does not allow you to sign records."
ALREADY_SIGNED = "You have already signed this record with this meaning."
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


@transaction.atomic
def signature_sign(*, record, actor: User, password: str, meaning: str, comment: str = "") -> Signature:
    """Sign ``record`` as ``actor``, who re-enters their password (21 CFR 11.200(a)(1))."""
    if not actor.has_perm("trial.sign_records"):
        raise ValidationError({"password": NOT_ALLOWED_TO_SIGN})
    if not password or not actor.check_password(password):
        raise ValidationError({"password": WRONG_PASSWORD})
    if meaning not in SignatureMeaning.values:
        raise ValidationError({"meaning": f"Choose one of: {', '.join(SignatureMeaning.labels)}."})
    if (
        Signature.objects.for_record(record)
        .filter(signer=actor, meaning=meaning, status=SignatureStatus.VALID)
        .exists()
    ):
        raise ValidationError({"meaning": ALREADY_SIGNED})
    return audited_create(
        Signature(
            record=record,
            signer=actor,
            printed_name=actor.signature_name,
            meaning=meaning,
            signed_at=timezone.now(),
            record_digest=record_digest(record),
            comment=comment,
        ),
        actor=actor,
        reason=f"Signed: {SignatureMeaning(meaning).label}",
    )


def signatures_void_for_change(*, record, actor, reason: str, changed: dict) -> int:
    """Void every valid signature on ``record`` because the record changed. Returns how many."""
    if isinstance(record, Signature):
        return 0
    fields = ", ".join(sorted(changed)) if changed else ""
    void_reason = f"Record changed after signing ({fields}): {reason}" if fields else reason
    voided = 0
    for signature in Signature.objects.for_record(record).filter(status=SignatureStatus.VALID):
        audited_update(
            signature,
            actor=actor,
            reason=void_reason,
            status=SignatureStatus.VOID,
            voided_at=timezone.now(),
            void_reason=void_reason,
        )
        voided += 1
    return voided
