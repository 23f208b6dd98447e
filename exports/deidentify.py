"""De-identification (HIPAA Safe Harbor) of exported rows: what leaves, what moves, what is replaced.

Each patient has one key (:class:`exports.models.SubjectKey`), made at their first de-identified export: a study
pseudonym and a random whole number of days added to every one of their dates, so intervals stay true. Identifiers
and free text are left out of the file (their columns are not written), and an age of 90 or over is "90+".
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from core.audit.writes import audited_bulk_create

from .datasets import AGE, DATE, FREE_TEXT, IDENTIFIER, SUBJECT, Column
from .models import SubjectKey

MAX_OFFSET_DAYS = 365  # offsets are drawn from ±1 year, never 0
AGE_CEILING = 90
KEY_REASON = "De-identification key made for an export"
PSEUDONYM_PREFIX = "S-"


def kept(column: Column) -> bool:
    """Whether a de-identified file has this column at all."""
    return column.identifying not in (IDENTIFIER, FREE_TEXT)


def _offset() -> int:
    """A random number of days in -365…365 (0 possible; the caller redraws it)."""
    return secrets.randbelow(2 * MAX_OFFSET_DAYS + 1) - MAX_OFFSET_DAYS


def _new_key(patient, taken: set[str]) -> SubjectKey:
    while True:
        pseudonym = f"{PSEUDONYM_PREFIX}{secrets.token_hex(4).upper()}"
        if pseudonym not in taken:
            taken.add(pseudonym)
            break
    offset = 0
    while offset == 0:
        offset = _offset()
    return SubjectKey(patient=patient, pseudonym=pseudonym, date_offset_days=offset)


def subject_keys(patients, *, actor) -> dict[str, tuple[str, int]]:
    """subject id → (pseudonym, offset in days) for ``patients``, making (audited) the keys that are missing."""
    missing = list(patients.filter(subject_key__isnull=True))
    if missing:
        taken = set(SubjectKey.objects.values_list("pseudonym", flat=True))
        audited_bulk_create(SubjectKey, [_new_key(p, taken) for p in missing], actor=actor, reason=KEY_REASON)
    return {
        subject: (pseudonym, offset)
        for subject, pseudonym, offset in SubjectKey.objects.filter(patient__in=patients).values_list(
            "patient__subject_id", "pseudonym", "date_offset_days"
        )
    }


def transform(column: Column, value, key: tuple[str, int] | None):
    """A kept column's value in a de-identified file, given the row's patient key (pseudonym, offset)."""
    if value is None:
        return None
    if column.identifying == SUBJECT:
        return key[0] if key else None
    if column.identifying == DATE:
        return value + timedelta(days=key[1]) if key else None
    if column.identifying == AGE:
        return f"{AGE_CEILING}+" if value >= AGE_CEILING else value
    return value
