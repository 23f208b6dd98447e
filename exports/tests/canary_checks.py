"""The canary check of de-identification, run on a cohort where every dataset has records (the reference cohort;
called by ``demo/tests/test_reference_cohort.py``, which builds it once for the suite).

Every identifying and free-text column of every dataset gets a canary value in one record; no canary may appear in
any de-identified file, and every one must appear in the identified files (else the seeding failed and the check
would prove nothing)."""

from datetime import date

from django.contrib.auth.models import Permission

from exports.datasets import DATASETS, FREE_TEXT, IDENTIFIER

CANARY_DATE = date(1911, 11, 11)  # a date of birth no shifted date can be


def seed_canaries() -> dict[str, str]:
    """canary text → "dataset.column", written into the first record of each dataset (a test's data set-up, not a
    clinical write: straight to the table)."""
    canaries: dict[str, str] = {}
    for dataset in DATASETS.values():
        targets = [
            c for c in dataset.columns if c.identifying in (IDENTIFIER, FREE_TEXT) and c.lookup and "__" not in c.lookup
        ]
        if not targets:
            continue
        record = dataset.model._default_manager.order_by("pk").first()
        assert record is not None, f"{dataset.name}: no record to seed a canary in"
        changes = {}
        for column in targets:
            if column.type == "date":
                changes[column.lookup] = CANARY_DATE
                canaries[CANARY_DATE.isoformat()] = f"{dataset.name}.{column.name}"
                continue
            canary = f"CANARY{len(canaries):03d}Z"
            canaries[canary] = f"{dataset.name}.{column.name}"
            changes[column.lookup] = [canary] if column.type == "list" else canary
        dataset.model._default_manager.all()._audited().filter(pk=record.pk).update(**changes)
    return canaries


def _download(api_client, name: str, **params) -> str:
    response = api_client.get(f"/api/v1/exports/datasets/{name}/csv/", params)
    assert response.status_code == 200, (name, response.status_code)
    return b"".join(response.streaming_content).decode()


def check_no_identifier_leaves(api_client, statistician, investigator) -> None:
    """``statistician``: no PHI permission (de-identified files); ``investigator``: may see PHI (identified)."""
    canaries = seed_canaries()
    assert len(canaries) >= 10
    investigator.user_permissions.add(*Permission.objects.filter(content_type__app_label="exports"))
    api_client.force_authenticate(investigator)
    identified = "".join(_download(api_client, name) for name in DATASETS)
    assert {c: where for c, where in canaries.items() if c not in identified} == {}
    for who, params in ((statistician, {}), (investigator, {"deidentified": "1"})):
        api_client.force_authenticate(who)
        for name in DATASETS:
            text = _download(api_client, name, **params)
            leaked = {canary: where for canary, where in canaries.items() if canary in text}
            assert leaked == {}, f"{name} (de-identified) contains {leaked}"
            assert "REF-" not in text, f"{name} (de-identified) contains a subject id"
