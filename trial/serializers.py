from rest_framework import serializers

from .models import (
    CourseSequenceStep,
    CourseType,
    DrugHoldRule,
    ProtocolParameter,
    ProtocolVersion,
    RegimenItem,
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
