"""Moving signatures from ``trial`` to ``core`` keeps every row, content type and role grant.

The database is taken back to the schema of the last commit before the move (trial 0004, no core
app), filled as that commit would have filled it, and migrated forward again.
"""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from core.audit.trail import record_history
from core.choices import SignatureMeaning, SignatureStatus
from core.models import Signature
from patients.services import patient_screen

BEFORE_THE_MOVE = [("trial", "0004_historicalresponserule_responserule"), ("core", None)]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    executor = MigrationExecutor(connection)  # the models as the applied migrations define them
    return executor._create_project_state(with_applied_migrations=True).apps


def _latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_signatures_signed_before_the_move_are_intact_after_it(protocol_reloaded, nurse_a, site_a, investigator_a):
    patient = patient_screen(actor=nurse_a, site=site_a, family_name="Moved")
    old = _migrate(BEFORE_THE_MOVE)
    OldSignature = old.get_model("trial", "Signature")
    OldContentType = old.get_model("contenttypes", "ContentType")
    OldPermission = old.get_model("auth", "Permission")
    # The content types and permissions as the previous commit's post_migrate left them.
    for model in ("signature", "historicalsignature"):
        OldContentType.objects.filter(app_label="core", model=model).delete()
        OldContentType.objects.get_or_create(app_label="trial", model=model)
    user_ct = OldContentType.objects.get(app_label="trial", model="user")
    OldPermission.objects.filter(codename__in=["sign_records", "view_audit_trail"]).delete()
    sign = OldPermission.objects.create(content_type=user_ct, codename="sign_records", name="Can sign records")
    sign.group_set.add(*old.get_model("auth", "Group").objects.filter(user__id=investigator_a.pk))
    patient_ct = OldContentType.objects.get(app_label="patients", model="patient")
    signed_at = timezone.now()
    OldSignature.objects.create(
        content_type=patient_ct,
        object_id=str(patient.pk),
        signer_id=investigator_a.pk,
        printed_name="Ivy Investigator",
        meaning=SignatureMeaning.REVIEW,
        signed_at=signed_at,
        record_digest="0" * 64,
        status=SignatureStatus.VALID,
    )
    signature_ct_id = OldContentType.objects.get(app_label="trial", model="signature").pk

    _migrate(_latest())
    ContentType.objects.clear_cache()

    moved = Signature.objects.for_record(patient).get()
    assert (moved.printed_name, moved.meaning, moved.signed_at, moved.signer_id) == (
        "Ivy Investigator",
        SignatureMeaning.REVIEW,
        signed_at,
        investigator_a.pk,
    )
    assert ContentType.objects.get_for_model(Signature).pk == signature_ct_id  # same id, now core.signature
    assert not ContentType.objects.filter(app_label="trial", model="signature").exists()
    assert Permission.objects.get(codename="sign_records").content_type_id == signature_ct_id
    investigator_a = type(investigator_a).objects.get(pk=investigator_a.pk)
    assert investigator_a.has_perm("core.sign_records")
    # The record signed before the move can still be read, with its audit trail.
    assert record_history(patient)[0].action == "created"
