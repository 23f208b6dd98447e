"""Serializer fields other apps' APIs take a patient with."""

from core.api.fields import SiteScopedPrimaryKeyField

from ..models import Patient

PATIENT_ID_HELP = "The patient's id (a registered patient of one of your sites)."


class SitePatientField(SiteScopedPrimaryKeyField):
    """A patient's id in a request body: another site's patient is refused as an unknown id (a 400 naming the
    field); the service behind the request decides what the patient's status allows."""

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Patient.objects.all())
        kwargs.setdefault("help_text", PATIENT_ID_HELP)
        super().__init__(**kwargs)
