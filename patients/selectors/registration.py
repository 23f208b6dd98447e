"""Reads for registration: the next sequence number and the protocol version a registration would get."""

from datetime import date

from django.db.models import Max
from django.utils import timezone

from trial.models import ProtocolVersion, Trial

from ..derivations.versioning import VersionRule, assign_version
from ..models import Patient


def next_sequence_number(trial: Trial) -> int:
    top = Patient.objects.filter(site__trial=trial).aggregate(top=Max("sequence_number"))["top"]
    return (top or 0) + 1


def protocol_version_for(trial: Trial, *, sequence_number: int, registration_date: date) -> ProtocolVersion:
    """The version a registration with this number and date gets, by the rules in the protocol data."""
    versions = {v.code: v for v in ProtocolVersion.objects.filter(trial=trial)}
    rules = [VersionRule.from_model(v) for v in versions.values()]
    return versions[assign_version(rules, sequence_number=sequence_number, registration_date=registration_date)]


def current_protocol_version(trial: Trial, *, on: date | None = None) -> ProtocolVersion:
    """The version the trial's next registration would get on ``on`` (default today)."""
    on = on or timezone.localdate()
    return protocol_version_for(trial, sequence_number=next_sequence_number(trial), registration_date=on)
