"""The bench cohort generator: reference patients entered through the services, cloned in bulk, are whole patients."""

import pytest

from bench.cohort import TEMPLATE_SITE, grow_to
from core.audit.integrity import audit_integrity_report
from demo.cohort import SEED, build_plan
from demo.cohort.enter import cohort_users, patient_enter
from dosing.choices import AdministrationStatus
from dosing.models import Course, PlannedAdministration
from patients.models import Patient
from trial.choices import Role
from trial.models import ProtocolVersion, Site
from trial.selectors import planned_courses
from trial.services import site_create


@pytest.fixture
def three_reference_patients(trial):
    """The reference cohort's first three patients, entered through the services at its site."""
    site = site_create(actor=None, trial=trial, code=TEMPLATE_SITE, name="Reference cohort")
    nurse = cohort_users(site)
    cycle_days = {
        v.code: [step.course_type.cycle_days for step in planned_courses(v)]
        for v in ProtocolVersion.objects.filter(trial=trial)
    }
    return [patient_enter(nurse=nurse, site=site, plan=plan) for plan in build_plan(cycle_days, seed=SEED)[:3]]


def _table2_counts(api_client, user):
    api_client.force_authenticate(user)
    response = api_client.get("/api/v1/reports/table2/")
    assert response.status_code == 200
    return {row["key"]: [(cell["n"], cell["total"]) for cell in row["cells"]] for row in response.json()["rows"]}


def test_three_patients_cloned_to_nine_are_whole_patients_and_triple_table_2(
    three_reference_patients, api_client, make_user
):
    before = _table2_counts(api_client, make_user(Role.INVESTIGATOR, *Site.objects.all(), username="inv_before"))

    stats = grow_to(9, verbose=False)

    assert stats.patients == 6
    patients = list(Patient.objects.order_by("sequence_number"))
    assert [p.sequence_number for p in patients] == list(range(1, 10))
    assert len({p.subject_id for p in patients}) == 9
    clones = [p for p in patients if p.site.code != TEMPLATE_SITE]
    assert len(clones) == 6 and len({p.site_id for p in clones}) > 1
    templates = {p.subject_id: p for p in three_reference_patients}
    for clone in clones:
        template = templates[clone.family_name.removeprefix("Clone of ")]
        assert clone.protocol_version == template.protocol_version
        shift = clone.registration_date - template.registration_date
        own, theirs = (list(Course.objects.filter(patient=p).order_by("course_number")) for p in (clone, template))
        assert len(own) == len(theirs) > 0
        assert not {c.pk for c in own} & {c.pk for c in theirs}
        assert [c.start_date - shift for c in own] == [c.start_date for c in theirs]
        given = [
            PlannedAdministration.objects.filter(course__patient=p, status=AdministrationStatus.GIVEN).count()
            for p in (clone, template)
        ]
        assert given[0] == given[1] > 0
        assert clone.history.filter(history_type="+").count() == 1
        assert PlannedAdministration.history.filter(course__patient=clone).count() == sum(
            c.administrations.count() for c in own
        )
    assert audit_integrity_report() == []  # every cloned row matches its own history row

    after = _table2_counts(api_client, make_user(Role.INVESTIGATOR, *Site.objects.all(), username="inv_after"))
    assert after == {key: [(3 * n, 3 * total) for n, total in cells] for key, cells in before.items()}
