"""Writes of the framework: electronic signatures (21 CFR 11.50, 11.70, 11.200)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .audit.trail import record_digest
from .audit.writes import audited_create, audited_update
from .choices import SignatureMeaning, SignatureStatus
from .models import Signature

WRONG_PASSWORD = "The password is not correct; the record was not signed."
NOT_ALLOWED_TO_SIGN = "Your role does not allow you to sign records."
ALREADY_SIGNED = "You have already signed this record with this meaning."
SIGN_PERMISSION = "core.sign_records"
AUDIT_TRAIL_PERMISSION = "core.view_audit_trail"


@transaction.atomic
def signature_sign(*, record, actor, password: str, meaning: str, comment: str = "") -> Signature:
    """Sign ``record`` as ``actor``, who re-enters their password (21 CFR 11.200(a)(1))."""
    if not actor.has_perm(SIGN_PERMISSION):
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
