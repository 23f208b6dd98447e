"""The reference cohort, counted from the derived data, equals the paper's Table 2 and headline figures."""

from collections import Counter
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from adverse_events.models import AdverseEvent
from core.audit.integrity import audit_integrity_report
from demo.cohort import DATA_CUT_OFF
from dosing.choices import AdministrationStatus
from dosing.models import PlannedAdministration
from exports.tests.canary_checks import check_no_identifier_leaves
from exports.tests.sdtm_checks import check_sdtm_with_core
from patients.models import Death, EligibilityAssessment, Patient
from reports.tests.reference_cohort_checks import check_reports_against_reference_cohort
from responses.models import MarrowAssessment
from responses.selectors import patient_endpoints
from safety.models import Flag
from trial.choices import Role
from trial.models import Site, User

ORIGINAL, AMENDED = "original", "amended-2017"
# Table 2 (Kantarjian et al. 2023; PROTOCOL.md §6) and the headline figures, by protocol version.
TABLE_2 = {
    ORIGINAL: {"cr": 40, "crp": 10, "cri": 1, "no_response": 9, "early_death": 7},
    AMENDED: {"cr": 29, "crp": 9, "cri": 2, "no_response": 3, "early_death": 0},
}
ORR = {ORIGINAL: 51, AMENDED: 40}
MRD_AT_RESPONSE = {ORIGINAL: (28, 49), AMENDED: (19, 38)}
MRD_ANY_TIME = {ORIGINAL: (41, 50), AMENDED: (34, 39)}
SCT = {ORIGINAL: 29, AMENDED: 24}
SOS_DEATHS = {ORIGINAL: 8, AMENDED: 1}
SOS_CASES = {ORIGINAL: 9, AMENDED: 1}  # PROTOCOL.md §5: SOS in 9/67 vs 1/43, 9 of the 10 fatal


def _negative(outcomes, attr):
    """(negative, with a result) among responders."""
    results = [getattr(o.endpoints, attr) for o in outcomes if o.endpoints.responded]
    results = [r for r in results if r is not None]
    return sum(results), len(results)


def test_reference_cohort_counted_from_derived_data_equals_table_2(db, api_client, make_user):
    out = StringIO()
    call_command("reference_cohort", stdout=out)
    patients = Patient.objects.filter(site__code="REF")
    outcomes = patient_endpoints(patients)

    assert len(outcomes) == 110
    assert sorted(o.patient.sequence_number for o in outcomes) == list(range(1, 111))
    by_version = {v: [o for o in outcomes if o.patient.protocol_version.code == v] for v in (ORIGINAL, AMENDED)}
    assert {v: len(group) for v, group in by_version.items()} == {ORIGINAL: 67, AMENDED: 43}
    assert all((o.patient.sequence_number <= 67) == (o.patient.protocol_version.code == ORIGINAL) for o in outcomes)

    for version, group in by_version.items():
        best = Counter(o.endpoints.best_response for o in group)
        assert dict(best) == {k: v for k, v in TABLE_2[version].items() if v}, version
        assert sum(o.endpoints.responded for o in group) == ORR[version]
        assert sum(o.endpoints.early_death for o in group) == TABLE_2[version]["early_death"]
        assert _negative(group, "mrd_negative_at_response") == MRD_AT_RESPONSE[version]
        assert _negative(group, "mrd_negative_any_time") == MRD_ANY_TIME[version]
        assert sum(1 for o in group if o.patient.transplants.all()) == SCT[version]
        assert (
            sum(1 for o in group if getattr(o.patient, "death", None) and o.patient.death.cause == "sos")
            == (SOS_DEATHS[version])
        )
        sos = AdverseEvent.objects.filter(
            patient__in=[o.patient for o in group], term__term="Sinusoidal obstruction syndrome"
        )
        assert sos.count() == SOS_CASES[version]
        assert sos.filter(grade=5, death__isnull=False).count() == SOS_DEATHS[version]
    assert sum(o.endpoints.responded for o in outcomes) == 91
    assert _negative(outcomes, "mrd_negative_at_response") == (47, 87)
    assert _negative(outcomes, "mrd_negative_any_time") == (75, 89)
    assert sum(1 for o in outcomes if o.patient.transplants.all()) == 53
    # Early deaths have no evaluation; transplants follow a response.
    for o in outcomes:
        if o.endpoints.early_death:
            assert not o.history
        for transplant in o.patient.transplants.all():
            assert o.endpoints.first_response_date < transplant.transplant_date

    # Plausible survival, every date before the data cut-off.
    alive = sum(not o.endpoints.os_event for o in outcomes)
    assert 30 <= alive <= 50
    assert max(MarrowAssessment.objects.filter(patient__in=patients).values_list("assessed_on", flat=True)) <= (
        DATA_CUT_OFF
    )
    assert max(Death.objects.filter(patient__in=patients).values_list("death_date", flat=True)) <= DATA_CUT_OFF
    assert max(o.endpoints.last_known_alive for o in outcomes) <= DATA_CUT_OFF

    # Entered through the services: every record has its audit trail, written by the cohort's nurse,
    # and each eligibility assessment is on the criteria in force when it was made.
    assert audit_integrity_report() == []
    nurse = User.objects.get(username="ref-nurse")
    for patient in patients:
        rows = list(patient.history.all())
        assert rows and {row.history_user_id for row in rows} == {nurse.pk}
    assessments = EligibilityAssessment.objects.filter(patient__in=patients).select_related("patient")
    assert all(a.protocol_version_id == a.patient.protocol_version_id for a in assessments)

    text = out.getvalue()
    assert "Counted from the derived data" in text
    assert "non-fatal SOS" in text

    # The doses the paper's patients received are charted as given: none is a missed-dose deviation.
    administrations = PlannedAdministration.objects.filter(course__patient__in=patients)
    assert administrations.filter(status=AdministrationStatus.GIVEN).count() > 3000
    assert not Flag.objects.filter(patient__in=patients, rule_code="DEV-14").exists()

    # The reports (Table 2, overall survival) over this cohort: the paper's figures, lifelines' curve.
    ref = Site.objects.get(code="REF")
    check_reports_against_reference_cohort(api_client, make_user(Role.STATISTICIAN, ref), text)

    # Its SDTM export, de-identified and identified, passes CDISC CORE but for the findings docs/exports.md accepts.
    check_sdtm_with_core(make_user(Role.STATISTICIAN, ref, username="stat_sdtm"))
    check_sdtm_with_core(make_user(Role.INVESTIGATOR, ref, username="inv_sdtm"), deidentified=False)

    # A second run enters nothing.
    again = StringIO()
    call_command("reference_cohort", stdout=again)
    assert "already exists" in again.getvalue()
    assert Patient.objects.filter(site__code="REF").count() == 110

    # De-identified exports of every dataset carry none of the identifiers and free text seeded in each.
    check_no_identifier_leaves(
        api_client, make_user(Role.STATISTICIAN, ref, username="stat_canary"), make_user(Role.INVESTIGATOR, ref)
    )


def test_reference_cohort_needs_the_first_registrations(make_patient):
    make_patient()
    with pytest.raises(CommandError, match="first registrations"):
        call_command("reference_cohort", stdout=StringIO())
    assert not Patient.objects.filter(site__code="REF").exists()
