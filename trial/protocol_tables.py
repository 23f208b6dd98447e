"""What a trial's protocol data files make of the database: the protocol models' rows by natural key.

:func:`protocol_tables` turns the validated files (:class:`trial.protocol_loader.TrialData`) into one
:class:`core.data_loading.Table` per model, which :func:`core.data_loading.load_tables` upserts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.data_loading import Source, Table

from .models import (
    CourseSequenceStep,
    CourseType,
    Drug,
    DrugHoldRule,
    EligibilityCriterion,
    ProtocolAmendment,
    ProtocolParameter,
    ProtocolVersion,
    RegimenItem,
    ResponseRule,
    Trial,
)

if TYPE_CHECKING:
    from .protocol_loader import TrialData

# Models in the order they are upserted; rows no longer in the files are deleted in reverse order.
LOAD_ORDER = (
    Trial,
    Drug,
    ProtocolAmendment,
    ProtocolVersion,
    CourseType,
    CourseSequenceStep,
    ProtocolParameter,
    RegimenItem,
    DrugHoldRule,
    EligibilityCriterion,
    ResponseRule,
)


def protocol_tables(data: TrialData) -> list[Table]:
    """The protocol's rows by model, in LOAD_ORDER, each with its natural key.

    Natural keys: the trial by NCT id; drugs, amendments and versions by code within the trial; a version's
    rows by code (course number, parameter key) within the version, regimen items within their course type.
    A version's rows come from its file (and are deleted with that file as the reason once they are no longer
    in it); the rest, and the rows of a version no longer listed, from trial.yaml.
    """
    nct_id = data.trial["nct_id"]
    trial = (nct_id,)
    trial_source = Source("Protocol data", (data.file,))
    version_sources = {(trial, v.version["code"]): Source("Protocol data", (v.file,)) for v in data.versions}

    def of_trial(code):
        return (trial, code) if code else None

    def trial_row(kind):
        return lambda key, _values: f"{kind} {key[-1]}"

    def version_row(kind, *parts):
        return lambda key, _values: f"{kind} {key[0][1]}/" + "/".join(str(part(key)) for part in parts)

    rows = {model: [] for model in LOAD_ORDER}
    for v in data.versions:
        version = (trial, v.version["code"])
        rows[ProtocolVersion].append(
            v.version
            | {
                "trial": trial,
                "created_by_amendment": of_trial(v.version["created_by_amendment"]),
                "data_file": v.file.name,
                "data_sha256": v.file.sha256,
                "data_version": v.file.data_version,
            }
        )
        rows[CourseType] += [ct | {"protocol_version": version} for ct in v.course_types]
        rows[CourseSequenceStep] += [
            step | {"protocol_version": version, "course_type": (version, step["course_type"])} for step in v.sequence
        ]
        rows[ProtocolParameter] += [p | {"protocol_version": version} for p in v.parameters]
        rows[RegimenItem] += [
            item
            | {
                "protocol_version": version,
                "course_type": (version, item["course_type"]),
                "drug": of_trial(item["drug"]),
                "introduced_by": of_trial(item["introduced_by"]),
            }
            for item in v.regimen
        ]
        rows[DrugHoldRule] += [
            rule | {"protocol_version": version, "anchor_drug": of_trial(rule["anchor_drug"])} for rule in v.hold_rules
        ]
        rows[EligibilityCriterion] += [c | {"protocol_version": version} for c in v.criteria]
        rows[ResponseRule] += [r | {"protocol_version": version} for r in v.response_rules]

    in_trial = {"trial__nct_id": nct_id}
    in_versions = {"protocol_version__trial__nct_id": nct_id}
    # (model, natural key, saved rows the files cover, label, source)
    spec = [
        (Trial, ("nct_id",), {"nct_id": nct_id}, trial_row("trial"), trial_source),
        (Drug, ("trial", "code"), in_trial, trial_row("drug"), trial_source),
        (ProtocolAmendment, ("trial", "code"), in_trial, trial_row("amendment"), trial_source),
        (
            ProtocolVersion,
            ("trial", "code"),
            in_trial,
            trial_row("version"),
            lambda key: version_sources.get(key, trial_source),
        ),
    ] + [
        (model, key, in_versions, label, lambda key: version_sources.get(key[0], trial_source))
        for model, key, label in (
            (CourseType, ("protocol_version", "code"), version_row("course type", lambda k: k[1])),
            (CourseSequenceStep, ("protocol_version", "course_number"), version_row("course", lambda k: k[1])),
            (ProtocolParameter, ("protocol_version", "key"), version_row("parameter", lambda k: k[1])),
            (
                RegimenItem,
                ("protocol_version", "course_type", "code"),
                version_row("regimen item", lambda k: k[1][1], lambda k: k[2]),
            ),
            (DrugHoldRule, ("protocol_version", "code"), version_row("hold rule", lambda k: k[1])),
            (EligibilityCriterion, ("protocol_version", "code"), version_row("eligibility criterion", lambda k: k[1])),
            (ResponseRule, ("protocol_version", "code"), version_row("response rule", lambda k: k[1])),
        )
    ]
    rows[Trial] = [data.trial]
    rows[Drug] = [d | {"trial": trial} for d in data.drugs]
    rows[ProtocolAmendment] = [a | {"trial": trial} for a in data.amendments]
    return [
        Table(model, key, rows[model], model.objects.filter(**covered), label, source)
        for model, key, covered, label, source in spec
    ]
