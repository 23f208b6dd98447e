"""The API action ``POST /api/v1/<records>/{id}/withdraw/`` {"reason": "…"}: withdraw a record entered in error.

A viewset of a record type registered with ``registry.register_withdrawal`` adds :class:`WithdrawActionMixin`
(before its other bases). The role needs ``core.withdraw_records`` (403 otherwise); another site's record is 404;
the messages are the service's, as on the page.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.reverse import reverse

from core.registry import withdrawal_for
from core.withdrawal import NOT_ALLOWED_TO_WITHDRAW, WITHDRAW_PERMISSION, record_withdraw


class WithdrawRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class WithdrawnSerializer(serializers.Serializer):
    record = serializers.CharField(help_text="The record type, e.g. adverse_events.labresult")
    id = serializers.IntegerField()
    withdrawn = serializers.BooleanField()
    audit_trail = serializers.CharField(help_text="The record's audit trail, which keeps the withdrawal.")


class WithdrawActionMixin:
    """Adds the ``withdraw`` action (allowed to roles with ``core.withdraw_records``, whatever the viewset's
    model permissions say)."""

    def get_permissions(self):
        if getattr(self, "action", None) == "withdraw":
            return [IsAuthenticated()]
        return super().get_permissions()

    @extend_schema(request=WithdrawRequestSerializer, responses={200: WithdrawnSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """Withdraw the record entered in error (a reason is required); it stays in its audit trail."""
        entry = withdrawal_for(self.model._meta.label_lower)
        if not request.user.has_perm(entry.permission if entry else WITHDRAW_PERMISSION):
            self.permission_denied(request, message=NOT_ALLOWED_TO_WITHDRAW)
        record = self.get_object()
        payload = WithdrawRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        label, record_pk = record._meta.label_lower, record.pk
        record_withdraw(actor=request.user, record=record, reason=payload.validated_data["reason"])
        data = {
            "record": label,
            "id": record_pk,
            "withdrawn": True,
            "audit_trail": reverse("api-record-history", args=[label, record_pk], request=request),
        }
        return Response(WithdrawnSerializer(data).data)
