"""REST API of outcomes after registration: allogeneic SCT, off study, follow-up contacts and death.

Serializers only parse types and choices; ``patients.services.outcomes`` validates and writes, so the
same bad input gets the same message as from the pages. Every list is restricted to the caller's
sites; another site's record (id in the URL) answers 404, another site's patient in the body is a 400
naming ``patient``. Corrections (PATCH) of a saved value need a ``reason``.
"""

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets

from core.api.fields import ChoiceField, HistoryUrlField, MultipleChoiceField, ReasonForChangeField
from core.api.filters import IdFilter
from core.api.viewsets import SelectorViewSetMixin
from core.api.withdraw import WithdrawActionMixin

from ..choices import (
    ConditioningAgent,
    DeathCause,
    DonorType,
    FollowUpDiseaseStatus,
    OffStudyReason,
    TransplantStatus,
    VitalStatus,
)
from ..models import Death, FollowUp, OffStudy, Transplant
from ..selectors import outcomes as selectors
from ..services import outcomes as services
from .fields import SitePatientField

# --- Output ---


class _OutcomeSerializer(serializers.ModelSerializer):
    subject_id = serializers.CharField(source="patient.subject_id", read_only=True)
    site = serializers.CharField(source="patient.site.code", read_only=True)
    history_url = HistoryUrlField()


COMMON_HEAD = ["id", "url", "patient", "subject_id", "site"]
COMMON_TAIL = ["history_url", "created_at", "updated_at"]


class TransplantSerializer(_OutcomeSerializer):
    """An allogeneic stem-cell transplant, planned or done, with donor and conditioning."""

    url = serializers.HyperlinkedIdentityField(view_name="transplant-detail")
    conditioning_agents = serializers.ListField(
        child=ChoiceField(choices=ConditioningAgent.choices),
        read_only=True,
        help_text="ConditioningAgent codes, e.g. busulfan, tbi.",
    )

    class Meta:
        model = Transplant
        fields = [
            *COMMON_HEAD, "status", "transplant_date", "donor_type", "conditioning_regimen", "conditioning_agents",
            *COMMON_TAIL,
        ]  # fmt: skip
        read_only_fields = fields


class OffStudySerializer(_OutcomeSerializer):
    """The date a patient came off study treatment, and why."""

    url = serializers.HyperlinkedIdentityField(view_name="off-study-detail")

    class Meta:
        model = OffStudy
        fields = [*COMMON_HEAD, "off_study_date", "reason", "detail", *COMMON_TAIL]
        read_only_fields = fields


class FollowUpSerializer(_OutcomeSerializer):
    """A follow-up contact: the patient's vital and disease status on a date."""

    url = serializers.HyperlinkedIdentityField(view_name="follow-up-detail")

    class Meta:
        model = FollowUp
        fields = [*COMMON_HEAD, "contact_date", "vital_status", "disease_status", "notes", *COMMON_TAIL]
        read_only_fields = fields


class DeathSerializer(_OutcomeSerializer):
    """The patient's death: date and cause."""

    url = serializers.HyperlinkedIdentityField(view_name="death-detail")

    class Meta:
        model = Death
        fields = [*COMMON_HEAD, "death_date", "cause", "cause_detail", *COMMON_TAIL]
        read_only_fields = fields


# --- Input ---


class _PatientInputSerializer(serializers.Serializer):
    patient = SitePatientField()


def _text(help_text="", **kwargs):
    return serializers.CharField(required=False, allow_blank=True, help_text=help_text, **kwargs)


def _choice(choices, help_text=""):
    return ChoiceField(choices=choices, required=False, allow_blank=True, help_text=help_text)


class TransplantRecordSerializer(_PatientInputSerializer):
    status = ChoiceField(choices=TransplantStatus.choices, help_text="A planned date may be in the future.")
    transplant_date = serializers.DateField(help_text="Day 0 of the transplant, or the planned date.")
    donor_type = _choice(DonorType.choices)
    conditioning_regimen = _text("As named by the centre.", max_length=200)
    conditioning_agents = MultipleChoiceField(
        choices=ConditioningAgent.choices, required=False, help_text="ConditioningAgent codes, e.g. busulfan, tbi."
    )


class TransplantUpdateSerializer(serializers.Serializer):
    status = ChoiceField(choices=TransplantStatus.choices, required=False)
    transplant_date = serializers.DateField(required=False)
    donor_type = _choice(DonorType.choices)
    conditioning_regimen = _text("As named by the centre.", max_length=200)
    conditioning_agents = MultipleChoiceField(
        choices=ConditioningAgent.choices, required=False, help_text="ConditioningAgent codes, e.g. busulfan, tbi."
    )
    reason = ReasonForChangeField()


class OffStudyRecordSerializer(_PatientInputSerializer):
    off_study_date = serializers.DateField()
    reason = ChoiceField(choices=OffStudyReason.choices, help_text="Why the patient came off study.")
    detail = _text()


class FollowUpRecordSerializer(_PatientInputSerializer):
    contact_date = serializers.DateField()
    vital_status = ChoiceField(
        choices=VitalStatus.choices, help_text="A death is recorded at /api/v1/deaths/, with its date and cause."
    )
    disease_status = _choice(FollowUpDiseaseStatus.choices)
    notes = _text()


class DeathRecordSerializer(_PatientInputSerializer):
    death_date = serializers.DateField()
    cause = ChoiceField(choices=DeathCause.choices)
    cause_detail = _text()


class DeathUpdateSerializer(serializers.Serializer):
    death_date = serializers.DateField(required=False)
    cause = ChoiceField(choices=DeathCause.choices, required=False)
    cause_detail = _text()
    reason = ReasonForChangeField()


# --- Filters ---


class _PatientFilter(filters.FilterSet):
    patient = IdFilter(field_name="patient_id", help_text="Patient id.")
    site = filters.CharFilter(field_name="patient__site__code", help_text="Site code.")


class TransplantFilter(_PatientFilter):
    status = filters.ChoiceFilter(choices=TransplantStatus.choices)

    class Meta:
        model = Transplant
        fields = ["patient", "site", "status"]


class OffStudyFilter(_PatientFilter):
    class Meta:
        model = OffStudy
        fields = ["patient", "site"]


class FollowUpFilter(_PatientFilter):
    class Meta:
        model = FollowUp
        fields = ["patient", "site"]


class DeathFilter(_PatientFilter):
    class Meta:
        model = Death
        fields = ["patient", "site"]


# --- Views ---


class _OutcomeViewSet(SelectorViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """List and retrieve through the selectors; create through the services."""

    record_serializer = record_service = None
    http_method_names = ["get", "post", "head", "options"]

    def create(self, request, *args, **kwargs):
        return self.act(self.record_serializer, type(self).record_service, status.HTTP_201_CREATED)


class _CorrectionMixin:
    """PATCH: correct a saved record through the update service (a changed saved value needs a ``reason``)."""

    update_serializer = update_service = None
    update_kwarg = ""  # the update service's keyword for the record
    http_method_names = ["get", "post", "patch", "head", "options"]

    def partial_update(self, request, *args, **kwargs):
        return self.act(self.update_serializer, type(self).update_service, **{self.update_kwarg: self.get_object()})


@extend_schema_view(
    create=extend_schema(request=TransplantRecordSerializer, responses={201: TransplantSerializer}),
    partial_update=extend_schema(request=TransplantUpdateSerializer, responses={200: TransplantSerializer}),
)
class TransplantViewSet(_CorrectionMixin, _OutcomeViewSet):
    """Allogeneic SCTs of the caller's sites (``?patient=<id>``), planned or done.

    POST records one (a planned transplant may have a future date; a done one may not); PATCH corrects
    it (a saved value needs a ``reason``). Another site's transplant answers 404.
    """

    model = Transplant
    serializer_class = TransplantSerializer
    filterset_class = TransplantFilter
    list_selector = selectors.transplant_list
    get_selector = selectors.transplant_get
    record_serializer, record_service = TransplantRecordSerializer, services.transplant_record
    update_serializer, update_service = TransplantUpdateSerializer, services.transplant_update
    update_kwarg = "transplant"


@extend_schema_view(create=extend_schema(request=OffStudyRecordSerializer, responses={201: OffStudySerializer}))
class OffStudyViewSet(_OutcomeViewSet):
    """Off-study records of the caller's sites (one per patient). POST takes a patient off study
    (the patient's status becomes off study); a second one for the same patient is refused."""

    model = OffStudy
    serializer_class = OffStudySerializer
    filterset_class = OffStudyFilter
    list_selector = selectors.off_study_list
    get_selector = selectors.off_study_get
    record_serializer, record_service = OffStudyRecordSerializer, services.off_study_record


@extend_schema_view(create=extend_schema(request=FollowUpRecordSerializer, responses={201: FollowUpSerializer}))
class FollowUpViewSet(WithdrawActionMixin, _OutcomeViewSet):
    """Follow-up contacts of the caller's sites (``?patient=<id>``). POST records a contact; the latest
    contact alive is the date a patient without an event is censored at."""

    model = FollowUp
    serializer_class = FollowUpSerializer
    filterset_class = FollowUpFilter
    list_selector = selectors.follow_up_list
    get_selector = selectors.follow_up_get
    record_serializer, record_service = FollowUpRecordSerializer, services.follow_up_record


@extend_schema_view(
    create=extend_schema(request=DeathRecordSerializer, responses={201: DeathSerializer}),
    partial_update=extend_schema(request=DeathUpdateSerializer, responses={200: DeathSerializer}),
)
class DeathViewSet(_CorrectionMixin, _OutcomeViewSet):
    """Deaths of the caller's sites (one per patient). POST records the death (a second one is refused:
    correct the existing record with PATCH and a ``reason``). Another site's record answers 404."""

    model = Death
    serializer_class = DeathSerializer
    filterset_class = DeathFilter
    list_selector = selectors.death_list
    get_selector = selectors.death_get
    record_serializer, record_service = DeathRecordSerializer, services.death_record
    update_serializer, update_service = DeathUpdateSerializer, services.death_update
    update_kwarg = "death"
