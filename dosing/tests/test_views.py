"""The nurse's dosing pages: calendar and summary, worklist, recording doses, overrides, starting courses."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.audit.trail import record_history
from core.audit.writes import REASON_REQUIRED
from dosing.choices import AdministrationStatus
from dosing.models import Course, PlannedAdministration
from dosing.selectors import cumulative_doses, cumulative_doses_by_patient
from dosing.services import BEFORE_COURSE_START, NEGATIVE_DOSE, course_start, dose_record

INO = "inotuzumab-ozogamicin"


def start(nurse, patient, when, **kwargs):
    return course_start(
        actor=nurse, patient=patient, start_date=when, height_cm=Decimal(170), weight_kg=Decimal(70), **kwargs
    )


def at(day: date, hour=10):
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


def give(nurse, administration, dose=None, **kwargs):
    return dose_record(
        actor=nurse,
        administration=administration,
        status="given",
        given_at=at(administration.planned_date),
        dose_given=administration.planned_dose if dose is None else dose,
        **kwargs,
    )


def give_all(nurse, course, drug_code):
    for a in course.administrations.filter(drug__code=drug_code).order_by("day"):
        give(nurse, a)


def first(course, drug_code, day=None):
    qs = course.administrations.filter(drug__code=drug_code)
    if day is not None:
        qs = qs.filter(day=day)
    return qs.order_by("day", "dose_number").first()


def record_url(administration):
    return reverse("dosing:administration-record", args=[administration.pk])


def cell(administration, state):
    """The calendar link of a dose, carrying its state's class."""
    return f'class="cal-entry cal-{state}" href="{record_url(administration)}"'


def form_values(administration, **changes):
    values = {
        "status": "given",
        "given_at": f"{administration.planned_date.isoformat()}T09:00",
        "dose_given": str(administration.planned_dose),
        "route_given": administration.route,
        "reason": "",
    }
    values.update(changes)
    return {k: v for k, v in values.items() if v is not None}


# ---------------------------------------------------------------------------------------------
# Calendar and summary
# ---------------------------------------------------------------------------------------------


def test_calendar_shows_given_held_reduced_and_overdue_doses(client, nurse_a, make_patient):
    course = start(nurse_a, make_patient(), date(2024, 1, 3))
    vincristine = first(course, "vincristine", day=1)
    dexamethasone = first(course, "dexamethasone", day=1)
    cyclo_first, cyclo_second, *_ = course.administrations.filter(drug__code="cyclophosphamide").order_by(
        "day", "dose_number"
    )
    give(nurse_a, vincristine)
    dose_record(actor=nurse_a, administration=dexamethasone, status="held", reason="Hyperglycaemia")
    give(nurse_a, cyclo_first, Decimal("136.50"), reason="Mucositis grade 3", reduce_rest_of_course=True)
    client.force_login(nurse_a)

    response = client.get(reverse("dosing:course-detail", args=[course.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert cell(vincristine, "given") in page
    assert cell(dexamethasone, "held") in page
    assert cell(cyclo_first, "reduced") in page and "−50%" in page
    # The rest of the course is reduced too; the course is in the past, so it is overdue, not just planned.
    assert cell(cyclo_second, "overdue") in page
    assert "Cyclophosphamide day 1, dose 2 of 2 — overdue, not recorded: 136.5 mg IV — plan reduced by 50%" in page
    # Words as well as colours, and a real table for screen readers.
    assert 'class="cal-legend' in page and "Held (with a reason)" in page
    assert '<th scope="col" class="cal-day"><span class="cal-day-n">28</span>' in page
    assert 'scope="row" class="cal-drug">Vincristine' in page
    # Azoles are held around vincristine: hold days are marked in the antifungal period.
    assert "cal-hold-cell" in page
    # The summary counts and lists the differences with their reasons.
    assert "Hyperglycaemia" in page and "Mucositis grade 3" in page
    assert 'data-testid="cumulative-line">0 of max 2.7 mg/m²<' in page


def test_calendar_queries_do_not_grow_with_doses(client, nurse_a, make_patient):
    few = start(nurse_a, make_patient(cd20="10"), date(2024, 1, 3))
    many = start(nurse_a, make_patient(cd20="50"), date(2024, 1, 3))  # + rituximab
    for a in many.administrations.exclude(planned_dose=None).order_by("day", "dose_number")[:12]:
        give(nurse_a, a)
    many_recompute = many.administrations.filter(status=AdministrationStatus.PENDING).count()
    assert many.administrations.count() > few.administrations.count() and many_recompute
    client.force_login(nurse_a)
    client.get(reverse("dosing:course-detail", args=[few.pk]))

    with CaptureQueriesContext(connection) as few_queries:
        client.get(reverse("dosing:course-detail", args=[few.pk]))
    with CaptureQueriesContext(connection) as many_queries:
        page = client.get(reverse("dosing:course-detail", args=[many.pk])).content.decode()

    assert len(many_queries) == len(few_queries)
    assert "Rituximab" in page


def test_other_sites_course_and_dose_pages_are_404(client, nurse_b, investigator_b, nurse_a, make_patient):
    patient = make_patient()
    course = start(nurse_a, patient, date(2024, 1, 3))
    dose = first(course, "vincristine")
    for user in (nurse_b, investigator_b):
        client.force_login(user)
        for url in (
            reverse("dosing:course-detail", args=[course.pk]),
            reverse("dosing:course-recompute", args=[course.pk]),
            reverse("dosing:patient-courses", args=[patient.pk]),
            reverse("dosing:course-start", args=[patient.pk]),
            record_url(dose),
        ):
            assert client.get(url).status_code == 404, url
        # The override page asks for the signing permission first: a nurse gets 403 on any dose.
        override = client.get(reverse("dosing:administration-override", args=[dose.pk]))
        assert override.status_code == (404 if user == investigator_b else 403)
        response = client.post(record_url(dose), form_values(dose))
        assert response.status_code == 404
    dose.refresh_from_db()
    assert dose.status == AdministrationStatus.PENDING


# ---------------------------------------------------------------------------------------------
# Recording a dose
# ---------------------------------------------------------------------------------------------


def test_record_form_prefills_the_plan_and_shows_cumulative_inotuzumab(client, nurse_a, make_patient):
    course = start(nurse_a, make_patient(), date(2024, 1, 3))
    give(nurse_a, first(course, INO, day=2))
    day8 = first(course, INO, day=8)
    client.force_login(nurse_a)

    page = client.get(record_url(day8)).content.decode()

    assert 'value="2024-01-10T09:00"' in page and 'value="0.55"' in page
    assert '<option value="IV" selected>' in page
    assert "0.3 mg/m² × 1.82 m²" in page
    assert 'data-testid="cumulative-line">0.6 of max 2.7 mg/m²<' in page
    assert "brings cumulative inotuzumab ozogamicin to <strong>0.9</strong> of max 2.7 mg/m²" in page


def test_second_dose_of_a_q12h_day_defaults_to_12_hours_after_the_first(client, nurse_a, make_patient):
    course = start(nurse_a, make_patient(), date(2024, 1, 3))
    first_dose, second_dose = course.administrations.filter(drug__code="cyclophosphamide", day=1).order_by(
        "dose_number"
    )
    assert second_dose.dose_number == 2 and second_dose.regimen_item.interval_hours == 12
    client.force_login(nurse_a)
    assert 'value="2024-01-03T09:00"' in client.get(record_url(second_dose)).content.decode()

    dose_record(
        actor=nurse_a,
        administration=first_dose,
        status="given",
        given_at=at(first_dose.planned_date, hour=7),
        dose_given=first_dose.planned_dose,
    )

    page = client.get(record_url(second_dose)).content.decode()
    assert 'value="2024-01-03T19:00"' in page


def test_a_dose_off_plan_without_reduction_names_its_flag_and_offers_the_reduction_before_saving(
    client, nurse_a, make_patient
):
    course = start(nurse_a, make_patient(), date(2024, 1, 3))
    cyclo = list(course.administrations.filter(drug__code="cyclophosphamide").order_by("day", "dose_number"))
    client.force_login(nurse_a)
    values = form_values(cyclo[0], dose_given="136.50", reason="Mucositis grade 3")
    preview_url = reverse("dosing:administration-record-preview", args=[cyclo[0].pk])

    assert "Saving this raises" not in client.post(preview_url, form_values(cyclo[0])).content.decode()
    preview = client.post(preview_url, values).content.decode()
    assert "Saving this raises flag DEV-02: dose differs from plan without a recorded reduction." in preview
    assert "136.5 mg instead of 273 mg is 50% off plan (more than 10%)" in preview
    assert "Apply this reduction to the rest of the course" in preview
    reduced = client.post(preview_url, {**values, "reduce_rest_of_course": "on"}).content.decode()
    assert "Saving this raises" not in reduced

    # Without JavaScript: the first post warns and asks for confirmation, saving nothing.
    warned = client.post(record_url(cyclo[0]), values)
    page = warned.content.decode()
    assert warned.status_code == 200 and 'data-testid="dose-flag"' in page
    assert 'name="confirm_flag" value="136.5' in page and "Record it anyway, raising DEV-02" in page
    cyclo[0].refresh_from_db()
    assert cyclo[0].status == AdministrationStatus.PENDING

    # A confirmation for another amount does not count.
    again = client.post(record_url(cyclo[0]), {**values, "dose_given": "120", "confirm_flag": "136.5"})
    assert again.status_code == 200 and "120 mg instead of 273 mg" in again.content.decode()

    saved = client.post(record_url(cyclo[0]), {**values, "confirm_flag": "136.5"})
    assert saved.status_code == 302
    cyclo[0].refresh_from_db()
    assert cyclo[0].status == AdministrationStatus.GIVEN and cyclo[0].reduction_percent is None
    assert len(record_history(cyclo[0])) == 2


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"dose_given": "-1", "reason": "Typed reason"}, "dose_given", NEGATIVE_DOSE),
        ({"given_at": "2024-01-01T08:30", "reason": "Typed reason"}, "given_at", None),
    ],
)
def test_record_form_keeps_input_and_names_the_field_on_bad_input(
    client, nurse_a, make_patient, changes, field, message
):
    course = start(nurse_a, make_patient(), date(2024, 1, 3))
    dose = first(course, "vincristine")
    client.force_login(nurse_a)

    response = client.post(record_url(dose), form_values(dose, **changes))

    assert response.status_code == 400
    page = response.content.decode()
    expected = message or BEFORE_COURSE_START.format(date=course.start_date)
    assert f'id="id_{field}_errors" role="alert">{expected}' in page
    assert f'value="{changes.get("dose_given", dose.planned_dose)}"' in page
    assert f'value="{changes.get("given_at", "2024-01-03T09:00")}"' in page
    assert "Typed reason</textarea>" in page
    dose.refresh_from_db()
    assert dose.status == AdministrationStatus.PENDING and dose.dose_given is None
    assert len(record_history(dose)) == 1


def test_a_different_dose_needs_a_reason_then_reduces_the_rest_of_the_course(client, nurse_a, make_patient):
    course = start(nurse_a, make_patient(), date(2024, 1, 3))
    cyclo = list(course.administrations.filter(drug__code="cyclophosphamide").order_by("day", "dose_number"))
    client.force_login(nurse_a)
    values = form_values(cyclo[0], dose_given="136.50", reduce_rest_of_course="on")

    refused = client.post(record_url(cyclo[0]), values)

    assert refused.status_code == 400
    assert 'id="id_reason_errors"' in refused.content.decode()
    assert "dose 136.5 instead of 273 mg" in refused.content.decode()

    values["reason"] = "Mucositis grade 3"
    saved = client.post(record_url(cyclo[0]), values)

    assert saved.status_code == 302 and saved["Location"] == reverse("dosing:course-detail", args=[course.pk])
    for a in cyclo:
        a.refresh_from_db()
    assert cyclo[0].status == AdministrationStatus.GIVEN and cyclo[0].dose_given == Decimal("136.50")
    assert {a.planned_dose for a in cyclo[1:]} == {Decimal("136.50")}
    message = client.get(saved["Location"]).content.decode()
    assert "later doses of this course reduced by 50%" in message


def test_held_dose_ignores_the_prefilled_time_and_amount_but_needs_a_reason(client, nurse_a, make_patient):
    course = start(nurse_a, make_patient(), date(2024, 1, 3))
    dose = first(course, "vincristine")
    client.force_login(nurse_a)

    refused = client.post(record_url(dose), form_values(dose, status="held"))
    assert refused.status_code == 400 and 'id="id_reason_errors"' in refused.content.decode()

    saved = client.post(record_url(dose), form_values(dose, status="held", reason="Ileus"))

    assert saved.status_code == 302
    dose.refresh_from_db()
    assert (dose.status, dose.dose_given, dose.given_at, dose.deviation_reason) == ("held", None, None, "Ileus")


def test_correcting_a_recorded_dose_needs_a_reason_for_change(client, nurse_a, make_patient):
    course = start(nurse_a, make_patient(), date(2024, 1, 3))
    dose = first(course, "vincristine")
    give(nurse_a, dose)
    client.force_login(nurse_a)

    page = client.get(record_url(dose)).content.decode()
    assert "already recorded as given" in page and "Reason for change" in page

    later = form_values(dose, given_at="2024-01-03T11:30")
    refused = client.post(record_url(dose), later)
    assert refused.status_code == 400 and REASON_REQUIRED in refused.content.decode()
    saved = client.post(record_url(dose), {**later, "reason": "Time misread from the chart"})
    assert saved.status_code == 302
    dose.refresh_from_db()
    assert timezone.localtime(dose.given_at).hour == 11
    assert record_history(dose)[-1].reason == "Time misread from the chart"


def test_worklist_redirects_back_after_recording(client, nurse_a, make_patient):
    today = timezone.localdate()
    course = start(nurse_a, make_patient(), today)
    dose = first(course, "vincristine", day=1)
    client.force_login(nurse_a)
    worklist = reverse("dosing:worklist")
    page = client.get(worklist).content.decode()
    link = f"{record_url(dose)}?next=/dosing/worklist/"
    assert link in page

    values = form_values(dose, given_at=timezone.localtime().strftime("%Y-%m-%dT%H:%M"), reason="Given now")
    response = client.post(link, {**values, "next": worklist})

    assert response.status_code == 302 and response["Location"] == worklist
    assert record_url(dose) not in client.get(worklist).content.decode()


def test_dose_above_the_cumulative_maximum_needs_a_signed_override(
    client, nurse_a, investigator_a, make_patient, password
):
    patient = make_patient()
    for when in (date(2024, 1, 3), date(2024, 1, 31), date(2024, 2, 28)):
        give_all(nurse_a, start(nurse_a, patient, when), INO)
    last = start(nurse_a, patient, date(2024, 3, 27))
    give(nurse_a, first(last, INO, day=2))
    day8 = first(last, INO, day=8)
    too_much = day8.planned_dose * 2
    values = form_values(day8, dose_given=str(too_much), reason="Prescribed double")

    client.force_login(nurse_a)
    nurse_page = client.post(record_url(day8), values)
    assert nurse_page.status_code == 400
    text = nurse_page.content.decode()
    assert "signed override is needed" in text and "an investigator of Site A hospital must sign" in text
    assert reverse("dosing:administration-override", args=[day8.pk]) not in text
    assert client.get(reverse("dosing:administration-override", args=[day8.pk])).status_code == 403

    client.force_login(investigator_a)
    investigator_page = client.post(record_url(day8), values).content.decode()
    override_url = reverse("dosing:administration-override", args=[day8.pk])
    assert f'href="{override_url}?dose={too_much}"' in investigator_page
    form = client.get(f"{override_url}?dose={too_much}").content.decode()
    assert 'value="1.1"' in form
    wrong = client.post(override_url, {"dose_given": str(too_much), "reason": "Slow response", "password": "nope"})
    assert wrong.status_code == 400 and 'id="id_password_errors"' in wrong.content.decode()
    signed = client.post(override_url, {"dose_given": str(too_much), "reason": "Slow response", "password": password})
    assert signed.status_code == 302

    client.force_login(nurse_a)
    assert "Slow response" in client.get(record_url(day8)).content.decode()
    warned = client.post(record_url(day8), values)
    assert warned.status_code == 200 and "Saving this raises flag DEV-02" in warned.content.decode()
    assert client.post(record_url(day8), {**values, "confirm_flag": str(too_much)}).status_code == 302
    assert cumulative_doses(patient)[0]["total_per_m2"] == Decimal("3.0")
    page = client.get(reverse("dosing:patient-courses", args=[patient.pk])).content.decode()
    assert "3 of max 2.7 mg/m²" in page and "above the protocol maximum" in page


# ---------------------------------------------------------------------------------------------
# Worklist
# ---------------------------------------------------------------------------------------------


def test_worklist_lists_todays_and_overdue_doses_of_own_sites_only(client, nurse_a, nurse_b, site_b, make_patient):
    today = timezone.localdate()
    mine = make_patient()
    theirs = make_patient(nurse=nurse_b, site=site_b)
    course = start(nurse_a, mine, today - timedelta(days=1))
    start(nurse_b, theirs, today - timedelta(days=1))
    yesterday = first(course, "vincristine", day=1)
    today_dose = first(course, INO, day=2)
    tomorrow = first(course, "cyclophosphamide", day=3)
    recorded = first(course, "dexamethasone", day=1)
    dose_record(actor=nurse_a, administration=recorded, status="held", reason="Hyperglycaemia")
    client.force_login(nurse_a)

    page = client.get(reverse("dosing:worklist")).content.decode()

    assert mine.subject_id in page and theirs.subject_id not in page
    assert record_url(yesterday) in page and record_url(today_dose) in page
    assert record_url(tomorrow) not in page and record_url(recorded) not in page
    assert "overdue</span> " + (today - timedelta(days=1)).strftime("%A") in page
    assert "Today, " + today.strftime("%A") in page
    assert page.index(record_url(yesterday)) < page.index(record_url(today_dose))
    assert "Cumulative inotuzumab ozogamicin: 0 of max 2.7 mg/m²" in page


def test_worklist_queries_do_not_grow_with_rows(client, nurse_a, make_patient):
    today = timezone.localdate()
    start(nurse_a, make_patient(), today)
    client.force_login(nurse_a)
    url = reverse("dosing:worklist")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(3):
        patient = make_patient(cd20="50")
        course = start(nurse_a, patient, today - timedelta(days=2))
        give(nurse_a, first(course, INO, day=2))
    with CaptureQueriesContext(connection) as many:
        page = client.get(url).content.decode()
    assert len(many) == len(few)
    assert page.count('data-testid="worklist-row"') > 20


# ---------------------------------------------------------------------------------------------
# Courses of a patient, starting and re-planning a course
# ---------------------------------------------------------------------------------------------


def test_patient_page_lists_courses_with_cumulative_inotuzumab_and_next_course(
    client, nurse_a, monitor_a, make_patient
):
    patient = make_patient()
    course = start(nurse_a, patient, date(2024, 1, 3))
    give_all(nurse_a, course, INO)
    client.force_login(nurse_a)

    page = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()

    assert 'data-testid="courses-panel"' in page
    assert 'data-testid="cumulative-line">0.9 of max 2.7 mg/m²<' in page
    assert reverse("dosing:course-detail", args=[course.pk]) in page
    assert "Next: <strong>course 2</strong> — Consolidation 1" in page
    assert reverse("dosing:course-start", args=[patient.pk]) in page
    courses = client.get(reverse("dosing:patient-courses", args=[patient.pk])).content.decode()
    assert 'Course 1</a> <span class="text-muted small">Induction</span>' in courses

    client.force_login(monitor_a)
    page = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "0.9 of max 2.7 mg/m²" in page and reverse("dosing:course-start", args=[patient.pk]) not in page


def test_start_course_prefills_last_weight_keeps_input_on_error_and_plans_doses(client, nurse_a, make_patient):
    patient = make_patient()
    start(nurse_a, patient, date(2024, 1, 3))
    client.force_login(nurse_a)
    url = reverse("dosing:course-start", args=[patient.pk])

    page = client.get(url).content.decode()
    assert "This starts <strong>course 2</strong>: Consolidation 1" in page
    assert 'value="70.0"' in page and 'name="inotuzumab_dose_level"' not in page

    refused = client.post(url, {"start_date": "2024-01-03", "height_cm": "170", "weight_kg": "64.5"})
    assert refused.status_code == 400
    assert 'id="id_start_date_errors"' in refused.content.decode() and 'value="64.5"' in refused.content.decode()

    saved = client.post(url, {"start_date": "2024-01-31", "height_cm": "170", "weight_kg": "64.5"})
    course = Course.objects.get(patient=patient, course_number=2)
    assert saved.status_code == 302 and saved["Location"] == reverse("dosing:course-detail", args=[course.pk])
    assert course.course_type.code == "mini-hcvd-even" and course.bsa_m2 == Decimal("1.75")


def test_original_version_asks_for_the_inotuzumab_dose_level(client, nurse_a, make_patient):
    patient = make_patient(version="original")
    client.force_login(nurse_a)
    url = reverse("dosing:course-start", args=[patient.pk])
    assert 'name="inotuzumab_dose_level"' in client.get(url).content.decode()

    refused = client.post(url, {"start_date": "2024-01-03", "height_cm": "170", "weight_kg": "70"})
    assert refused.status_code == 400 and 'id="id_inotuzumab_dose_level_errors"' in refused.content.decode()
    saved = client.post(
        url, {"start_date": "2024-01-03", "height_cm": "170", "weight_kg": "70", "inotuzumab_dose_level": "lower"}
    )
    assert saved.status_code == 302
    assert Course.objects.get(patient=patient).inotuzumab_dose_level == "lower"


def test_recompute_from_a_new_weight_is_explicit_with_a_reason(client, nurse_a, make_patient):
    course = start(nurse_a, make_patient(), date(2024, 1, 3))
    cyclo = list(course.administrations.filter(drug__code="cyclophosphamide").order_by("day", "dose_number"))
    give(nurse_a, cyclo[0])
    client.force_login(nurse_a)
    url = reverse("dosing:course-recompute", args=[course.pk])

    refused = client.post(url, {"height_cm": "170", "weight_kg": "60", "reason": ""})
    assert refused.status_code == 400 and 'id="id_reason_errors"' in refused.content.decode()
    assert PlannedAdministration.objects.get(pk=cyclo[1].pk).planned_dose == Decimal("273.00")

    saved = client.post(url, {"height_cm": "170", "weight_kg": "60", "reason": "Weight loss"})

    assert saved.status_code == 302
    assert PlannedAdministration.objects.get(pk=cyclo[0].pk).planned_dose == Decimal("273.00")
    assert PlannedAdministration.objects.get(pk=cyclo[1].pk).planned_dose == Decimal("252.00")
    assert "BSA is now 1.68 m²" in client.get(saved["Location"]).content.decode()


def test_bulk_cumulative_doses_agree_with_the_single_patient_selector(nurse_a, make_patient):
    patients = [make_patient(), make_patient(version="original")]
    give_all(nurse_a, start(nurse_a, patients[0], date(2024, 1, 3)), INO)
    give_all(nurse_a, start(nurse_a, patients[1], date(2024, 1, 3), inotuzumab_dose_level="higher"), INO)
    bulk = cumulative_doses_by_patient(patients)
    for patient in patients:
        (single,) = cumulative_doses(patient)
        (line,) = bulk[patient.pk]
        assert (line["total_per_m2"], line["maximum_per_m2"]) == (single["total_per_m2"], single["maximum_per_m2"])
    assert [bulk[p.pk][0]["total_per_m2"] for p in patients] == [Decimal("0.9"), Decimal("1.8")]


def test_worklist_is_in_the_navigation_for_nurses(client, nurse_a):
    client.force_login(nurse_a)
    assert f'href="{reverse("dosing:worklist")}">Worklist</a>' in client.get("/").content.decode()


def test_a_monitor_reads_the_calendar_but_cannot_record(client, nurse_a, monitor_a, make_patient):
    course = start(nurse_a, make_patient(), date(2024, 1, 3))
    dose = first(course, "vincristine")
    client.force_login(monitor_a)

    page = client.get(reverse("dosing:course-detail", args=[course.pk])).content.decode()

    assert '<span class="cal-entry cal-overdue" title="Vincristine day 1' in page
    assert record_url(dose) not in page and "Re-plan from new weight" not in page
    assert client.get(record_url(dose)).status_code == 403
    assert f'href="{reverse("dosing:worklist")}"' not in page
