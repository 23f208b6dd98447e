"""Choice lists of the framework. Values are stored; labels are what users read."""

from django.db import models


class SignatureMeaning(models.TextChoices):
    AUTHORSHIP = "authorship", "I am the author of this record"
    REVIEW = "review", "I have reviewed this record"
    APPROVAL = "approval", "I approve this record"
    WAIVER = "waiver", "I authorise this waiver"
    OVERRIDE = "override", "I authorise this override"
    CORRECTION = "correction", "I authorise this correction"


class SignatureStatus(models.TextChoices):
    VALID = "valid", "Valid"
    VOID = "void", "Void (record changed after signing)"
