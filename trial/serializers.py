from rest_framework import serializers

from .choices import SignatureMeaning
from .models import (
    CourseSequenceStep,
    CourseType,
    DrugHoldRule,
    ProtocolParameter,
    ProtocolVersion,
    RegimenItem,
    Signature,
    Site,
)


class SiteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Site
        fields = ["id", "code", "name", "is_active"]


class RegimenItemSerializer(serializers.ModelSerializer):
    drug = serializers.SlugRelatedField(slug_field="code", read_only=True)
    drug_name = serializers.CharField(source="drug.name", read_only=True)
    introduced_by = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = RegimenItem
        fields = [
            "code", "drug", "drug_name", "role", "dose_amount", "dose_unit", "route", "frequency",
            "doses_per_day", "interval_hours", "days", "day_window_before", "day_window_after",
            "course_number_min", "course_number_max", "type_ordinal_min", "type_ordinal_max",
            "condition_field", "condition_comparator", "condition_threshold", "dose_level",
            "introduced_by", "alternatives", "notes", "source",
        ]  # fmt: skip


class CourseTypeSerializer(serializers.ModelSerializer):
    regimen_items = RegimenItemSerializer(many=True, read_only=True)

    class Meta:
        model = CourseType
        fields = ["code", "name", "phase", "length_days", "cycle_days", "min_interval_days", "regimen_items"]


class CourseSequenceStepSerializer(serializers.ModelSerializer):
    course_type = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = CourseSequenceStep
        fields = ["course_number", "course_type", "label"]


class ProtocolParameterSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProtocolParameter
        fields = ["key", "value", "unit", "description", "source"]


class DrugHoldRuleSerializer(serializers.ModelSerializer):
    anchor_drug = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = DrugHoldRule
        fields = ["code", "held_drug_class", "anchor_drug", "days_before", "days_after", "description"]


class ProtocolVersionSerializer(serializers.ModelSerializer):
    course_types = CourseTypeSerializer(many=True, read_only=True)
    course_sequence = CourseSequenceStepSerializer(many=True, read_only=True)
    parameters = ProtocolParameterSerializer(many=True, read_only=True)
    hold_rules = DrugHoldRuleSerializer(many=True, read_only=True)

    class Meta:
        model = ProtocolVersion
        fields = [
            "id", "code", "name", "effective_date", "applies_from_sequence_number", "description",
            "data_file", "data_version", "data_sha256", "course_types", "course_sequence", "parameters", "hold_rules",
        ]  # fmt: skip


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
    meaning = serializers.ChoiceField(choices=SignatureMeaning.choices)
    password = serializers.CharField(write_only=True, style={"input_type": "password"})
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class FieldChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    label = serializers.CharField()
    old = serializers.CharField(allow_null=True)
    new = serializers.CharField(allow_null=True)


class HistoryEntrySerializer(serializers.Serializer):
    history_id = serializers.IntegerField()
    action = serializers.ChoiceField(choices=["created", "changed", "deleted"])
    at = serializers.DateTimeField()
    user = serializers.CharField()
    reason = serializers.CharField(allow_blank=True)
    changes = FieldChangeSerializer(many=True)
