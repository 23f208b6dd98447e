"""Give the demo's registered patients treatment courses with doses partly recorded. Safe to run twice.

Run after ``demo_setup``. The demo registers its patients in 2026, so they are on the amended
protocol; one more patient is registered with 2016 dates, while fewer than 68 patients exist, so
the amendment rule puts them on the original version. Everything goes through the services, as a
nurse would enter it. Course dates are relative to today: earlier courses are fully recorded (one
dose held, one reduced for the rest of the course); the latest started a week ago and its doses of
yesterday and today are still to record, so the worklist has something on it.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from demo.data import BASELINE, DEMO_SITES, ELIGIBLE, demo_patient_screen
from dosing.choices import AdministrationStatus
from dosing.derivations.doses import round_dose
from dosing.models import Course, PlannedAdministration
from dosing.services import course_start, dose_record
from patients.choices import PatientStatus
from patients.models import Patient
from patients.selectors.registration import next_sequence_number, protocol_version_for
from patients.services.baseline import baseline_record
from patients.services.eligibility import eligibility_assess
from patients.services.registration import patient_register
from trial.choices import DoseLevel
from trial.models import Site, Trial, User
from trial.selectors import planned_courses

ORIGINAL_VERSION = "original"
# The extra patient on the original version: site, sex, names, MRN, date of birth, and the 2016 dates
# of consent, eligibility assessment and registration.
ORIGINAL_PATIENT = ("MDA", "male", "Elias", "Novak", "MRN0916", date(1968, 6, 12))
ORIGINAL_DATES = (date(2016, 3, 1), date(2016, 3, 2), date(2016, 3, 3))
MAX_COURSES = 3
# The latest course started this many days ago; doses planned up to RECORDED_UNTIL_DAYS ago are recorded.
LATEST_COURSE_DAYS_AGO = 7
RECORDED_UNTIL_DAYS_AGO = 2
BODY_SIZES = [(Decimal(165), Decimal(62)), (Decimal(178), Decimal(81)), (Decimal(158), Decimal(54))]
HELD = ("vincristine", "Grade 2 peripheral neuropathy (paraesthesia, constipation): held by the investigator.")
REDUCED = ("cyclophosphamide", Decimal("0.75"), "Grade 3 mucositis: reduced to 75% for the rest of the course.")


def _at(day: date, dose_number: int = 1) -> datetime:
    """Mid-morning on the planned day; a second dose of the day twelve hours later."""
    return timezone.make_aware(datetime.combine(day, time(9 + 12 * (dose_number - 1), 30)))


class Command(BaseCommand):
    help = "Start courses for the demo's registered patients (both protocol versions) and record doses partly."

    @transaction.atomic
    def handle(self, *args, **options):
        sites = list(Site.objects.filter(code__in=[code for code, _name in DEMO_SITES]))
        if len(sites) != len(DEMO_SITES):
            raise CommandError("Run `manage.py demo_setup` first: the demo sites are missing.")
        if Course.objects.filter(patient__site__in=sites).exists():
            self.stdout.write("Demo courses already exist; nothing to do.")
            return
        self._register_original_version_patient(sites)
        today = timezone.localdate()
        patients = Patient.objects.filter(
            site__in=sites, status=PatientStatus.REGISTERED, protocol_version__isnull=False
        ).select_related("site", "protocol_version")
        for index, patient in enumerate(patients.order_by("sequence_number")):
            nurse = User.objects.get(username=f"researchnurse-{patient.site.code.lower()}")
            courses = self._courses(nurse, patient, today, BODY_SIZES[index % len(BODY_SIZES)])
            self.stdout.write(
                f"  {patient.subject_id} ({patient.protocol_version.code}): "
                + ", ".join(f"course {c.course_number} from {c.start_date}" for c in courses)
            )

    def _register_original_version_patient(self, sites):
        """One more patient, registered with 2016 dates so that the amendment rule gives the original version."""
        site = next(s for s in sites if s.code == ORIGINAL_PATIENT[0])
        trial = Trial.objects.get(pk=site.trial_id)
        consented, assessed, registered = ORIGINAL_DATES
        number = next_sequence_number(trial)
        if protocol_version_for(trial, sequence_number=number, registration_date=registered).code != ORIGINAL_VERSION:
            self.stdout.write(f"Patient #{number} would not be on the original version; none added on it.")
            return
        nurse, patient = demo_patient_screen(
            site=site, person=ORIGINAL_PATIENT[1:], consented_on=consented, form_version="v1.0"
        )
        eligibility_assess(actor=nurse, patient=patient, assessed_on=assessed, **ELIGIBLE)
        patient = patient_register(actor=nurse, patient=patient, registration_date=registered)
        baseline_record(actor=nurse, patient=patient, **BASELINE)

    def _course_dates(self, patient, today) -> list[date]:
        """Start dates of up to MAX_COURSES courses, each one cycle after the last, the latest a week ago."""
        steps = planned_courses(patient.protocol_version)[:MAX_COURSES]
        latest = max(today - timedelta(days=LATEST_COURSE_DAYS_AGO), patient.registration_date)
        for count in range(len(steps), 1, -1):
            cycles = sum(step.course_type.cycle_days for step in steps[: count - 1])
            first = latest - timedelta(days=cycles)
            if first >= patient.registration_date:
                starts = [first]
                for step in steps[: count - 1]:
                    starts.append(starts[-1] + timedelta(days=step.course_type.cycle_days))
                return starts
        return [latest]

    def _courses(self, nurse, patient, today, body_size):
        height, weight = body_size
        courses = []
        starts = self._course_dates(patient, today)
        for number, start in enumerate(starts, 1):
            level = DoseLevel.HIGHER if patient.protocol_version.code == ORIGINAL_VERSION and number == 1 else ""
            course = course_start(
                actor=nurse,
                patient=patient,
                start_date=start,
                height_cm=height,
                weight_kg=weight,
                inotuzumab_dose_level=level,
            )
            courses.append(course)
            latest = number == len(starts)
            recorded_until = today - timedelta(days=RECORDED_UNTIL_DAYS_AGO) if latest else None
            self._record(nurse, course, recorded_until, with_deviations=number == 1)
        return courses

    def _record(self, nurse, course, recorded_until, *, with_deviations):
        """Record the course's doses (those planned up to ``recorded_until``, or all of them) as given.

        In a first course one vincristine dose after day 1 is held and one cyclophosphamide dose is
        reduced for the rest of the course, each with the reason.
        """
        planned = course.administrations.order_by("planned_date", "day", "dose_number", "drug__name")
        if recorded_until is not None:
            planned = planned.filter(planned_date__lte=recorded_until)
        held = reduced = None
        if with_deviations:
            held = planned.filter(drug__code=HELD[0], day__gt=1, last_day__isnull=True).order_by("-day").first()
            reduced = planned.filter(drug__code=REDUCED[0], day__gt=1, last_day__isnull=True).first()
        for pk in planned.values_list("pk", flat=True):
            administration = PlannedAdministration.objects.select_related("drug").get(pk=pk)  # after any reduction
            if administration.status != AdministrationStatus.PENDING:
                continue
            if held and pk == held.pk:
                dose_record(
                    actor=nurse, administration=administration, status=AdministrationStatus.HELD, reason=HELD[1]
                )
            elif reduced and pk == reduced.pk:
                dose_record(
                    actor=nurse,
                    administration=administration,
                    status=AdministrationStatus.GIVEN,
                    given_at=_at(administration.planned_date, administration.dose_number),
                    dose_given=round_dose(administration.planned_dose * REDUCED[1], administration.dose_unit),
                    reason=REDUCED[2],
                    reduce_rest_of_course=True,
                )
            else:
                self._give(nurse, administration)

    def _give(self, nurse, administration):
        """Give as planned; a period whose first days are held (an azole) starts on its first day not held."""
        day, reason = administration.day, ""
        held_days = set(administration.hold_days or [])
        if administration.last_day and day in held_days:
            day = next((d for d in range(day, administration.last_day + 1) if d not in held_days), day)
            reason = f"Started on course day {day}, after the protocol hold on days {sorted(held_days)}."
        given_on = administration.planned_date + timedelta(days=day - administration.day)
        if given_on > timezone.localdate():
            return
        dose_record(
            actor=nurse,
            administration=administration,
            status=AdministrationStatus.GIVEN,
            given_at=min(_at(given_on, administration.dose_number), timezone.now()),
            dose_given=administration.planned_dose,
            reason=reason,
        )
