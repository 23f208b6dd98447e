"""The demo's dosing data: courses on both protocol versions, partly recorded, something on today's worklist."""

from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from dosing.choices import AdministrationStatus
from dosing.models import Course, PlannedAdministration
from dosing.selectors import worklist
from trial.models import User


def test_demo_dosing_runs_twice_and_covers_both_protocol_versions(db):
    call_command("demo_setup", stdout=StringIO())
    call_command("demo_dosing", stdout=StringIO())
    counts = (Course.objects.count(), PlannedAdministration.objects.count())
    again = StringIO()
    call_command("demo_dosing", stdout=again)
    assert "nothing to do" in again.getvalue()
    assert (Course.objects.count(), PlannedAdministration.objects.count()) == counts

    versions = set(Course.objects.values_list("patient__protocol_version__code", flat=True))
    assert versions == {"original", "amended-2017"}
    for course in Course.objects.select_related("patient"):
        latest = course.course_number == course.patient.courses.count()
        statuses = set(course.administrations.values_list("status", flat=True))
        assert course.patient.courses.count() in (2, 3)
        assert (AdministrationStatus.PENDING in statuses) == latest, course
    first_courses = PlannedAdministration.objects.filter(course__course_number=1)
    assert first_courses.filter(status=AdministrationStatus.HELD).exclude(deviation_reason="").exists()
    assert first_courses.filter(reduction_percent__gt=0, status=AdministrationStatus.GIVEN).exists()

    nurse = User.objects.get(username="researchnurse-mda")
    due = list(worklist(nurse))
    today = timezone.localdate()
    assert {a.planned_date for a in due} >= {today} and any(a.planned_date < today for a in due)
