"""The canary check of de-identification, run on a cohort where every dataset has records (the reference cohort;
called by ``demo/tests/test_reference_cohort.py``, which builds it once for the suite).

Every identifying and free-text column of every dataset gets a canary value in one record; no canary may appear in
any de-identified file, and every one must appear in the identified files (else the seeding failed and the check
would prove nothing)."""

import io
import zipfile
from datetime import date
from decimal import Decimal

from django.contrib.auth.models import Permission

from core.audit.writes import audited_create, audited_update
from exports.datasets import AUDIT_TRAIL, DATASETS, FREE_TEXT, IDENTIFIER, SIGNATURES

CANARY_DATE = date(1911, 11, 11)  # a date of birth no shifted date can be


def _dose_override(actor, values):
    """The cohort never needs one (no dose past a cumulative maximum): one on its first given dose, made with the
    canary ``values``."""
    from dosing.models import DoseOverride, PlannedAdministration

    dose = PlannedAdministration.objects.filter(status="given").order_by("pk").first()
    override = DoseOverride(
        administration=dose, cumulative_before_per_m2=Decimal(1), dose_per_m2=Decimal(1), maximum_per_m2=Decimal(1),
        authorised_by=actor, **values,
    )  # fmt: skip
    return audited_create(override, actor=actor)


def _lab_result(actor, values):
    """The cohort records no lab value: a low potassium of its first patient, then the canary ``values``."""
    from adverse_events.services import lab_result_record
    from patients.models import Patient

    patient = Patient.objects.filter(site__code="REF").order_by("pk").first()
    lab = lab_result_record(
        actor=actor, patient=patient, collected_on=patient.registration_date, value=Decimal("2.8"),
        lab_test="potassium", unit="mmol/L", lower_limit_normal=Decimal("3.5"), upper_limit_normal=Decimal("5.1"),
    )  # fmt: skip
    audited_update(lab, actor=actor, reason="Canary values for the de-identification check", **values)


def _flag(actor, values):
    """No flag is left on the cohort: one made for its first patient with the canary ``values``."""
    from django.utils import timezone

    from patients.models import Patient
    from safety.choices import RuleKind, Severity
    from safety.models import Flag

    patient = Patient.objects.filter(site__code="REF").order_by("pk").first()
    now = timezone.now()
    flag = Flag(
        patient=patient, rule_code="CANARY", rule_kind=RuleKind.values[0], title="Canary", severity=Severity.INFO,
        raised_at=now, last_seen_at=now, **{"dedup_key": "canary", **values},
    )  # fmt: skip
    audited_create(flag, actor=actor)


def _signature(actor, values):
    """The cohort signs nothing: a review of its first patient's baseline, with the canary ``values``."""
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from core.audit.trail import record_digest
    from core.models import Signature
    from patients.models import Baseline

    baseline = Baseline.objects.filter(patient__site__code="REF").order_by("pk").first()
    signature = Signature(
        content_type=ContentType.objects.get_for_model(Baseline), object_id=str(baseline.pk), signer=actor,
        printed_name=actor.get_full_name() or actor.get_username(), meaning="review", signed_at=timezone.now(),
        record_digest=record_digest(baseline), **values,
    )  # fmt: skip
    audited_create(signature, actor=actor)


# Datasets the reference cohort has no record of.
MAKE_FIRST = {"dose_overrides": _dose_override, "lab_results": _lab_result, "flags": _flag, "signatures": _signature}


def seed_canaries(actor) -> dict[str, str]:
    """canary text → "dataset.column", written (audited, by ``actor``) into the first record of each dataset; the
    reason given for those changes carries one too (the audit trail's reason)."""
    reason_canary = "CANARY999Z"
    canaries: dict[str, str] = {reason_canary: "audit_trail.reason"}
    reason = f"Canary values for the de-identification check {reason_canary}"
    for dataset in DATASETS.values():
        if dataset is AUDIT_TRAIL:
            continue
        targets = [
            c for c in dataset.columns if c.identifying in (IDENTIFIER, FREE_TEXT) and c.lookup and "__" not in c.lookup
        ]
        if not targets:
            continue
        record = None if dataset is SIGNATURES else dataset.model._default_manager.order_by("pk").first()
        changes = {}
        for column in targets:
            if column.type == "date":
                changes[column.lookup] = CANARY_DATE
                canaries[CANARY_DATE.isoformat()] = f"{dataset.name}.{column.name}"
                continue
            canary = f"CANARY{len(canaries):03d}Z"
            canaries[canary] = f"{dataset.name}.{column.name}"
            changes[column.lookup] = [canary] if column.type == "list" else canary
        if record is None:
            assert dataset.name in MAKE_FIRST, f"{dataset.name}: no record to seed a canary in"
            MAKE_FIRST[dataset.name](actor, changes)
        else:
            audited_update(record, actor=actor, reason=reason, **changes)
    return canaries


def _download(api_client, name: str, **params) -> str:
    response = api_client.get(f"/api/v1/exports/datasets/{name}/csv/", params)
    assert response.status_code == 200, (name, response.status_code)
    return b"".join(response.streaming_content).decode()


def check_no_identifier_leaves(api_client, statistician, investigator) -> None:
    """``statistician``: no PHI permission (de-identified files); ``investigator``: may see PHI (identified)."""
    canaries = seed_canaries(investigator)
    assert len(canaries) >= 10
    investigator.user_permissions.add(*Permission.objects.filter(content_type__app_label="exports"))
    api_client.force_authenticate(investigator)
    identified = "".join(_download(api_client, name) for name in DATASETS)
    assert {c: where for c, where in canaries.items() if c not in identified} == {}
    for who, params in ((statistician, {}), (investigator, {"deidentified": "1"})):
        api_client.force_authenticate(who)
        files = {f"{name}.csv": _download(api_client, name, **params) for name in DATASETS}
        response = api_client.get("/api/v1/exports/study.zip", params)
        archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
        files |= {f"study.zip/{member}": archive.read(member).decode() for member in archive.namelist()}
        files |= _job_files(who, deidentified=bool(params))
        for name, text in files.items():
            leaked = {canary: where for canary, where in canaries.items() if canary in text}
            assert leaked == {}, f"{name} (de-identified) contains {leaked}"
            assert "REF-" not in text, f"{name} (de-identified) contains a subject id"
    identified = _job_files(investigator, deidentified=False)
    for code in {name.split("/")[0] for name in identified}:  # each format's identified file does carry them
        text = "".join(t for name, t in identified.items() if name.split("/")[0] == code)
        assert "REF-" in text, f"{code} (identified) has no subject id"


def _job_files(user, *, deidentified: bool) -> dict[str, str]:
    """Every export job's file, run for ``user``: file (or ZIP member) name → its text (binary files decoded
    leniently: SAS XPORT keeps its texts as plain ASCII)."""
    from exports.formats import FORMATS
    from exports.jobs import export_file, export_job_run, export_job_start

    files = {}
    for code in FORMATS:
        export = export_job_run(export_job_start(actor=user, export_format=code, deidentified=deidentified).pk)
        assert export.status == "done", (code, export.error)
        data = export_file(export).read_bytes()
        if data[:2] == b"PK":
            archive = zipfile.ZipFile(io.BytesIO(data))
            files |= {f"{code}/{m}": archive.read(m).decode("latin-1") for m in archive.namelist()}
        else:
            files[code] = data.decode("utf-8")
    return files
