"""Viewset pieces every app's API uses: reading through the app's selectors, writing through its services."""

from rest_framework import status
from rest_framework.response import Response

from .payloads import validated

# Ids are integers: anything else (``abc``, a NUL byte) matches no route and answers 404, never reaching a lookup.
ID_PATTERN = "[0-9]+"


class SelectorViewSetMixin:
    """A viewset that reads through its app's selectors: ``list_selector(user)`` for the list and
    ``get_selector(user, pk)`` for one record (another site's answers 404), so site scoping and the
    ``select_related`` of each read stay in the selectors. Schema generation lists ``model.objects.none()``
    (no database needed). Every POST and PATCH goes through :meth:`act`."""

    model = None
    lookup_value_regex = ID_PATTERN
    list_selector = None
    get_selector = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.model.objects.none()
        return type(self).list_selector(self.request.user)

    def get_object(self):
        obj = type(self).get_selector(self.request.user, self.kwargs["pk"])
        self.check_object_permissions(self.request, obj)
        return obj

    def act(
        self, payload_class, service, status_code=status.HTTP_200_OK, *, partial=False, serializer_class=None, **args
    ):
        """Parse the body with ``payload_class`` (types and choices only), call ``service(actor=<the user>, **args,
        **<the values>)`` — which validates and writes — and answer with the record it returns, read again.
        A body with parse errors gets them in one 400 with the service's refusals of the values that parsed
        (:func:`core.api.payloads.validated`)."""
        payload = payload_class(data=self.request.data, partial=partial, context=self.get_serializer_context())
        values = validated(payload, lambda parsed: service(actor=self.request.user, **args, **parsed))
        obj = service(actor=self.request.user, **args, **values)
        return self.respond(obj, status_code, serializer_class)

    def parse(self, payload_class, call, *, partial=False, **kwargs):
        """The validated values of the body for a view that calls its service itself: ``call(values)`` is the
        service call, tried (rolled back) when the body has errors so the 400 names every problem at once."""
        payload = payload_class(
            data=self.request.data, partial=partial, context=self.get_serializer_context(), **kwargs
        )
        return validated(payload, call)

    def respond(self, obj, status_code=status.HTTP_200_OK, serializer_class=None):
        """The record as saved (read again through the selector), in ``serializer_class`` or the view's serializer."""
        fresh = type(self).get_selector(self.request.user, obj.pk)
        serializer_class = serializer_class or self.get_serializer_class()
        return Response(serializer_class(fresh, context=self.get_serializer_context()).data, status=status_code)
