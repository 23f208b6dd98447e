"""Entering the reference cohort: each patient's plan goes in through the services, as a nurse would enter it.

At the cohort's site its research nurse enters screening, consent, eligibility, registration (the
amendment rule gives #1–#67 the original version and #68–#110 the amended one), baseline, courses
(each dose planned, then recorded as given on its planned day while the patient was on study), bone-marrow
evaluations, allogeneic SCT, follow-up contacts, off study, death and the SOS adverse events. So the cohort is
audited and its responses and endpoints are derived like real data.
"""

from datetime import datetime, timedelta
from datetime import time as clock_time

from django.utils import timezone

from adverse_events.choices import Attribution
from adverse_events.models import CTCAETerm
from adverse_events.selectors import received_study_drugs
from adverse_events.services import adverse_event_report, sae_report_submit
from demo.data import DEMO_PASSWORD
from dosing.choices import AdministrationStatus
from dosing.derivations.calendar import is_recorded_one_by_one
from dosing.services import course_start, dose_record
from patients.models import Patient
from patients.services import patient_screen
from patients.services.baseline import baseline_record
from patients.services.eligibility import eligibility_assess
from patients.services.outcomes import death_record, follow_up_record, off_study_record, transplant_record
from patients.services.registration import consent_record, patient_register
from responses.services import assessment_record
from trial.choices import Role
from trial.models import User
from trial.selectors import parameter_value
from trial.services import user_create

from .records import PatientPlan

PASSWORD = DEMO_PASSWORD
USERS = (
    ("ref-nurse", Role.RESEARCH_NURSE, "Reference", "Nurse"),
    ("ref-investigator", Role.INVESTIGATOR, "Reference", "Investigator"),
)
SOS_ONSET_BEFORE_DEATH_DAYS = 10  # synthetic: a fatal SOS begins this long before the death
SOS_ATTRIBUTED_TO = (
    "inotuzumab-ozogamicin"  # synthetic: SOS attributed as probable to inotuzumab, unlikely to the other drugs
)
SOS_ONSET_AFTER_SCT_DAYS = 18  # synthetic: the non-fatal SOS begins this long after the transplant
AFTER_COURSE_DAYS = 60  # an evaluation follows the latest course started at most this long before it
DOSE_GIVEN_AT = clock_time(10, 0)  # synthetic: each dose is charted as given at 10:00 on its planned day


class CohortError(Exception):
    """The database gave a planned patient something other than the plan (e.g. another protocol version)."""


def cohort_users(site) -> User:
    """The cohort's nurse and investigator at ``site`` (created once, with the demo's password); returns the nurse."""
    for username, role, first, last in USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = user_create(
                actor=None,
                username=username,
                password=PASSWORD,
                roles=[role],
                sites=[site],
                first_name=first,
                last_name=last,
                printed_name=f"{first} {last} (synthetic cohort)",
            )
        elif not user.sites.filter(pk=site.pk).exists():
            user.sites.add(site)
    return User.objects.get(username=USERS[0][0])


def patient_enter(*, nurse, site, plan: PatientPlan) -> Patient:
    """Enter one planned patient through the services, as the nurse would, from screening to death."""
    patient = patient_screen(
        actor=nurse,
        site=site,
        sex=plan.sex,
        given_name="Reference",
        family_name=f"Patient {plan.number:03d}",
        medical_record_number=f"REF{plan.number:05d}",
        date_of_birth=plan.date_of_birth,
    )
    consent_record(actor=nurse, patient=patient, consent_date=plan.consented, form_version=plan.consent_form)
    eligibility_assess(actor=nurse, patient=patient, assessed_on=plan.assessed, **plan.eligibility)
    patient = patient_register(actor=nurse, patient=patient, registration_date=plan.registered)
    if patient.protocol_version.code != plan.version:
        raise CohortError(
            f"Patient #{patient.sequence_number} got version {patient.protocol_version.code}, not {plan.version}."
        )
    baseline_record(actor=nurse, patient=patient, **plan.baseline)
    courses = []
    for start in plan.courses:
        course = course_start(
            actor=nurse,
            patient=patient,
            start_date=start,
            height_cm=plan.height_cm,
            weight_kg=plan.weight_kg,
            inotuzumab_dose_level=plan.dose_level if not courses else "",
        )
        _doses_given_as_planned(nurse, course, plan)
        courses.append(course)
    for marrow in plan.marrows:
        before = [c for c in courses if 0 <= (marrow.on - c.start_date).days <= AFTER_COURSE_DAYS]
        assessment_record(
            actor=nurse,
            patient=patient,
            assessed_on=marrow.on,
            after_course=before[-1] if before else None,
            marrow_blast_percent=marrow.blasts,
            blasts_due_to_recovery=marrow.blasts_due_to_recovery,
            extramedullary_disease=marrow.extramedullary_disease,
            neutrophils_1e9_per_l=marrow.neutrophils,
            platelets_1e9_per_l=marrow.platelets,
            mrd_flow=marrow.mrd_flow,
            mrd_flow_level=marrow.mrd_flow_level,
            cytogenetics=marrow.cytogenetics,
        )
    if plan.transplant:
        transplant_record(
            actor=nurse,
            patient=patient,
            status="done",
            transplant_date=plan.transplant.on,
            donor_type=plan.transplant.donor_type,
            conditioning_regimen=plan.transplant.conditioning_regimen,
            conditioning_agents=list(plan.transplant.conditioning_agents),
        )
    for contact in plan.follow_ups:
        follow_up_record(
            actor=nurse,
            patient=patient,
            contact_date=contact.on,
            vital_status="alive",
            disease_status=contact.kind,
            notes=contact.detail,
        )
    if plan.off_study:
        off_study_record(
            actor=nurse,
            patient=patient,
            off_study_date=plan.off_study.on,
            reason=plan.off_study.kind,
            detail=plan.off_study.detail,
        )
    if plan.death:
        death_record(
            actor=nurse, patient=patient, death_date=plan.death.on, cause=plan.death.kind,
            cause_detail=plan.death.detail,
        )  # fmt: skip
    if plan.sos:
        _sos_report(nurse, patient, plan)
    return patient


def _doses_given_as_planned(nurse, course, plan: PatientPlan) -> None:
    """Record every dose of the course that is charted one by one as given, as planned, on its planned day, up to
    the day before the patient came off study or died (the later ones stay planned: not given, and not missed)."""
    ends = [event.on for event in (plan.off_study, plan.death) if event]
    last = min(ends) if ends else None
    for administration in course.administrations.filter(status=AdministrationStatus.PENDING).order_by("planned_date"):
        if not is_recorded_one_by_one(administration) or (last and administration.planned_date >= last):
            continue
        dose_record(
            actor=nurse,
            administration=administration,
            status=AdministrationStatus.GIVEN,
            given_at=timezone.make_aware(datetime.combine(administration.planned_date, DOSE_GIVEN_AT)),
            dose_given=administration.planned_dose,
        )


def _sos_report(nurse, patient, plan: PatientPlan):
    """The SOS as a CTCAE adverse event: grade 5 (linked to the death) or grade 3, serious, reported in time."""
    fatal = plan.sos == "fatal"
    if fatal:
        onset = plan.death.on - timedelta(days=SOS_ONSET_BEFORE_DEATH_DAYS)
    else:
        onset = plan.transplant.on + timedelta(days=SOS_ONSET_AFTER_SCT_DAYS)
    onset = max(onset, patient.registration_date)
    sos_code = str(int(parameter_value(patient.protocol_version, "sos_meddra_code")))
    aware = timezone.make_aware(datetime.combine(onset, clock_time(9)))
    ae = adverse_event_report(
        actor=nurse,
        patient=patient,
        term=CTCAETerm.objects.filter(meddra_code=sos_code).order_by("-version__published").first(),
        grade=5 if fatal else 3,
        onset_date=onset,
        serious=True,
        sae_criteria=["death"] if fatal else ["hospitalisation"],
        sae_aware_at=aware,
        action_taken="not_applicable",
        outcome="fatal" if fatal else "recovered",
        resolution_date=None if fatal else onset + timedelta(days=SOS_ONSET_BEFORE_DEATH_DAYS),
        attributions={
            drug.code: Attribution.PROBABLE if drug.code == SOS_ATTRIBUTED_TO else Attribution.UNLIKELY
            for drug in received_study_drugs(patient)
        },
    )
    sae_report_submit(actor=nurse, ae=ae, reported_at=aware + timedelta(hours=12))
