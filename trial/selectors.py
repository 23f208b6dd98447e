"""Reads of the trial app: sites, the trial home page, the protocol overview, and the protocol as loaded
from its data files (parameters, planned courses, a course's regimen).

Services and selectors of later apps call these instead of writing protocol numbers in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Prefetch

from .choices import DoseLevel, Role
from .derivations import DoseLevelRequired, regimen_item_applies
from .models import (
    CourseSequenceStep,
    CourseType,
    Drug,
    DrugHoldRule,
    ProtocolParameter,
    ProtocolVersion,
    RegimenItem,
    Site,
    Trial,
    User,
)
from .roles import role_group_name

PARAMETER_MISSING = (
    "Protocol version {version} has no parameter {key!r}: add it to the version's data file "
    "and run manage.py load_protocol."
)

DOSE_LEVEL_REQUIRED = (
    "Course {course_number} of protocol version {version} has a higher and a lower dose level: "
    "the patient's dose level is needed."
)
COURSE_TYPE_OF_OTHER_VERSION = "Course type {course_type} belongs to another protocol version than {version}."


class ProtocolParameterMissing(LookupError):
    """A protocol version's data file does not define a parameter that code asked for."""


UNKNOWN_SITE = "Unknown site code {code!r}; the site codes are: {codes}."
AMBIGUOUS_SITE = "Site code {code!r} is used in several trials ({trials}); name the trial."
UNKNOWN_TRIAL = "Unknown trial {nct_id!r}; the trials are: {trials}."
NO_TRIAL = "No trial is loaded: run `manage.py load_protocol` first."
SEVERAL_TRIALS = "Several trials are loaded ({trials}): name one."


def sites_for_user(user):
    if not getattr(user, "is_authenticated", False):
        return Site.objects.none()
    return Site.objects.filter(id__in=user.site_ids()).select_related("trial")


def trial_home(user):
    """What the trial home page shows of the trial: its protocol versions and amendments.

    Panels of the apps above (enrolment, from ``patients``) come from ``core.registry.home_panels``."""
    trial = Trial.objects.first()
    versions = ProtocolVersion.objects.select_related("created_by_amendment").order_by("effective_date")
    return {"trial": trial, "versions": versions, "amendments": trial.amendments.all() if trial else []}


def protocol_overview():
    """Each protocol version with its course types, regimen items and parameters, for the protocol page."""
    items = RegimenItem.objects.select_related("drug", "introduced_by").order_by("role", "drug__name", "code")
    return ProtocolVersion.objects.prefetch_related(
        Prefetch("course_types", queryset=CourseType.objects.order_by("phase", "code")),
        Prefetch("course_types__regimen_items", queryset=items),
        "course_sequence__course_type",
        "parameters",
        "hold_rules__anchor_drug",
    ).order_by("effective_date")


def site_member_emails(site: Site, role: Role) -> list[str]:
    """The e-mail addresses of the active members of ``site`` who hold ``role`` (those without one left out)."""
    return list(
        User.objects.filter(is_active=True, sites=site, groups__name=role_group_name(role))
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )


# --- The protocol as loaded from its data files --------------------------------------------------------


def version_parameters(version_id: int) -> dict[str, Decimal]:
    """Every parameter of a protocol version by key (one query)."""
    return dict(ProtocolParameter.objects.filter(protocol_version_id=version_id).values_list("key", "value"))


def version_hold_rules(version_id: int) -> list[DrugHoldRule]:
    """A protocol version's drug hold rules with their anchor drug, by code (one query)."""
    return list(
        DrugHoldRule.objects.filter(protocol_version_id=version_id).select_related("anchor_drug").order_by("code")
    )


def version_regimen_items(version_id: int) -> list[RegimenItem]:
    """A protocol version's regimen items with their drug, course type and amendment (one query)."""
    return list(
        RegimenItem.objects.filter(protocol_version_id=version_id)
        .select_related("drug", "course_type", "introduced_by")
        .order_by("course_type_id", "code")
    )


def parameter_value(version: ProtocolVersion, key: str) -> Decimal:
    """The value of parameter ``key`` in ``version`` (e.g. ``early_death_days``)."""
    try:
        return ProtocolParameter.objects.values_list("value", flat=True).get(protocol_version=version, key=key)
    except ProtocolParameter.DoesNotExist:
        raise ProtocolParameterMissing(PARAMETER_MISSING.format(version=version.code, key=key)) from None


def regimen_items_for_course(
    version: ProtocolVersion,
    course_type: CourseType,
    course_number: int,
    type_ordinal: int,
    patient_values: dict,
    course_start_date: date,
    *,
    dose_level: str | None = None,
) -> list[RegimenItem]:
    """The regimen items that apply to one patient's course.

    ``course_number`` is the course's position in the patient's sequence (1, 2, …) and
    ``type_ordinal`` its position among courses of the same type (the 1st blinatumomab course,
    the 13th POMP course). ``patient_values`` holds the values regimen conditions refer to
    (``cd20_percent``, ``cns_disease_active``); a value is asked for only when an item depending on
    it would otherwise apply, and :class:`PatientValueRequired` is raised when it is missing.
    Items introduced by an amendment apply only to courses started on/after its effective date.
    ``dose_level`` ("higher"/"lower") picks among alternative dose levels; when the course has
    such items and no level is given, :class:`DoseLevelRequired` is raised.
    """
    if course_type.protocol_version_id != version.pk:
        raise ValueError(COURSE_TYPE_OF_OTHER_VERSION.format(course_type=course_type.code, version=version.code))
    candidates = (
        RegimenItem.objects.filter(protocol_version=version, course_type=course_type)
        .select_related("drug", "introduced_by", "course_type")
        .order_by("code")
    )
    items = [
        item
        for item in candidates
        if regimen_item_applies(
            item,
            course_number=course_number,
            type_ordinal=type_ordinal,
            patient_values=patient_values,
            course_start_date=course_start_date,
            dose_level=dose_level,
        )
    ]
    if dose_level is None and any(item.dose_level != DoseLevel.STANDARD for item in items):
        raise DoseLevelRequired(DOSE_LEVEL_REQUIRED.format(course_number=course_number, version=version.code))
    return items


@dataclass(frozen=True)
class PlannedCourse:
    """One course of a version's planned sequence with its position among courses of its type."""

    course_number: int
    course_type: CourseType
    type_ordinal: int
    label: str


def planned_courses(version: ProtocolVersion) -> list[PlannedCourse]:
    """The version's planned sequence of courses, in order, with each course's type ordinal."""
    steps = CourseSequenceStep.objects.filter(protocol_version=version).select_related("course_type")
    seen: dict[int, int] = {}
    courses = []
    for step in steps.order_by("course_number"):
        seen[step.course_type_id] = seen.get(step.course_type_id, 0) + 1
        courses.append(PlannedCourse(step.course_number, step.course_type, seen[step.course_type_id], step.label))
    return courses


def sites_by_code(codes: list[str], *, trial: Trial | None = None) -> list[Site]:
    """The sites with these codes (in ``trial``, or in any trial), in the order given, each once.

    An unknown code, or one used in several trials when no trial is given, is a ``sites`` error.
    """
    sites = Site.objects.filter(trial=trial) if trial else Site.objects.all()
    found = {}
    for site in sites.filter(code__in=codes).select_related("trial"):
        found.setdefault(site.code, []).append(site)
    errors = []
    for code in codes:
        if code not in found:
            known = ", ".join(sites.order_by("code").values_list("code", flat=True).distinct()) or "none yet"
            errors.append(UNKNOWN_SITE.format(code=code, codes=known))
        elif len(found[code]) > 1:
            errors.append(AMBIGUOUS_SITE.format(code=code, trials=", ".join(s.trial.nct_id for s in found[code])))
    if errors:
        raise ValidationError({"sites": errors})
    return [found[code][0] for code in dict.fromkeys(codes)]


def trial_by_nct_id(nct_id: str | None = None) -> Trial:
    """The trial with this ClinicalTrials.gov ID or, with none given, the only trial; otherwise a ``trial`` error."""
    trials = list(Trial.objects.order_by("nct_id"))
    names = ", ".join(t.nct_id for t in trials) or "none loaded"
    if nct_id:
        match = next((t for t in trials if t.nct_id == nct_id), None)
        if match is None:
            raise ValidationError({"trial": UNKNOWN_TRIAL.format(nct_id=nct_id, trials=names)})
        return match
    if not trials:
        raise ValidationError({"trial": NO_TRIAL})
    if len(trials) > 1:
        raise ValidationError({"trial": SEVERAL_TRIALS.format(trials=names)})
    return trials[0]


def drug_names() -> dict[str, str]:
    """The trial's drugs, code → name, in the order they were loaded."""
    return dict(Drug.objects.order_by("pk").values_list("code", "name"))
