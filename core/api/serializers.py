"""Serializers of the framework: signatures and audit-trail entries of any record."""

from rest_framework import serializers

from core.choices import SignatureMeaning
from core.models import Signature

from .fields import ChoiceField


class SignatureSerializer(serializers.ModelSerializer):
    signer = serializers.CharField(source="signer.username", read_only=True)
    meaning_text = serializers.CharField(source="get_meaning_display", read_only=True)

    class Meta:
        model = Signature
        fields = [
            "id", "signer", "printed_name", "meaning", "meaning_text", "signed_at", "status",
            "voided_at", "void_reason", "comment",
        ]  # fmt: skip


class SignRequestSerializer(serializers.Serializer):
    meaning = ChoiceField(choices=SignatureMeaning.choices)
    password = serializers.CharField(write_only=True, style={"input_type": "password"})
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class FieldChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    label = serializers.CharField()
    old = serializers.CharField(allow_null=True)
    new = serializers.CharField(allow_null=True)


class HistoryEntrySerializer(serializers.Serializer):
    history_id = serializers.IntegerField()
    action = ChoiceField(choices=["created", "changed", "deleted"])
    at = serializers.DateTimeField()
    user = serializers.CharField()
    reason = serializers.CharField(allow_blank=True)
    changes = FieldChangeSerializer(many=True)
