"""REST API of the trial app: protocol data and sites."""

from rest_framework import mixins, viewsets

from core.api.viewsets import ID_PATTERN

from . import selectors
from .serializers import ProtocolVersionSerializer, SiteSerializer


class ProtocolVersionViewSet(viewsets.ReadOnlyModelViewSet):
    """Protocol versions with their full regimen, course sequence, hold rules and parameters."""

    serializer_class = ProtocolVersionSerializer
    lookup_value_regex = ID_PATTERN
    pagination_class = None

    def get_queryset(self):
        return selectors.protocol_overview()


class SiteViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The sites the caller belongs to."""

    serializer_class = SiteSerializer
    lookup_value_regex = ID_PATTERN

    def get_queryset(self):
        return selectors.sites_for_user(self.request.user).order_by("id")
