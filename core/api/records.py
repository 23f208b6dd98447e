"""REST API of the framework: the audit trail and signatures of any registered record."""

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core import selectors
from core.registry import get_record
from core.services import AUDIT_TRAIL_PERMISSION, signature_sign
from core.withdrawal import withdrawn_history

from .payloads import validated
from .serializers import HistoryEntrySerializer, SignatureSerializer, SignRequestSerializer

RECORD_PARAMS = [
    OpenApiParameter("label", str, OpenApiParameter.PATH, description="Record type, e.g. patients.patient"),
]


class RecordHistoryView(APIView):
    """The audit trail of one record: every create, change and delete with who, when, why, old and new values."""

    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=RECORD_PARAMS, responses=HistoryEntrySerializer(many=True))
    def get(self, request, label, pk):
        if not request.user.has_perm(AUDIT_TRAIL_PERMISSION):
            self.permission_denied(request, message="Your role does not include the audit trail.")
        try:
            record = get_record(request.user, label, pk)
        except Http404:
            _title, entries = withdrawn_history(request.user, label, pk)  # a withdrawn record: its trail stays
        else:
            entries = selectors.history_for(request.user, record)
        return Response(HistoryEntrySerializer(entries, many=True).data)


class RecordSignaturesView(APIView):
    """Signatures on one record; POST signs it (re-enter your password)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=RECORD_PARAMS, responses=SignatureSerializer(many=True))
    def get(self, request, label, pk):
        record = get_record(request.user, label, pk)
        return Response(SignatureSerializer(selectors.signatures_for(record), many=True).data)

    @extend_schema(parameters=RECORD_PARAMS, request=SignRequestSerializer, responses={201: SignatureSerializer})
    def post(self, request, label, pk):
        record = get_record(request.user, label, pk)

        def sign(values):
            return signature_sign(record=record, actor=request.user, **values)

        signature = sign(validated(SignRequestSerializer(data=request.data), sign))
        return Response(SignatureSerializer(signature).data, status=status.HTTP_201_CREATED)
