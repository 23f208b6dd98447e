"""Build the reference cohort: 110 synthetic patients whose derived results match the paper's Table 2.

At a dedicated site (REF) a dedicated research nurse enters every record through the services, as
for a real patient: screening, consent, eligibility, registration (the amendment rule gives #1–#67
the original version and #68–#110 the amended one), baseline, courses (doses planned, not recorded),
bone-marrow evaluations, allogeneic SCT, follow-up contacts, off study and death. So the cohort is
audited and its responses and endpoints are derived like real data; the table printed at the end is
counted from ``responses.selectors.patient_endpoints``, not from the plan (``demo.cohort``).

The cohort must be the trial's first registrations (its patients are #1–#110): the command refuses
a database that already has registered patients elsewhere. Run twice, it only prints the summary.
"""

import time
from collections import Counter
from datetime import datetime, timedelta
from datetime import time as clock_time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from adverse_events.models import CTCAETerm
from adverse_events.services import adverse_event_report, sae_report_submit
from demo.cohort import plan as cohort
from dosing.services import course_start
from patients.choices import DeathCause
from patients.models import Patient
from patients.selectors.registration import next_sequence_number
from patients.services import patient_screen
from patients.services.baseline import baseline_record
from patients.services.eligibility import eligibility_assess
from patients.services.outcomes import death_record, follow_up_record, off_study_record, transplant_record
from patients.services.registration import consent_record, patient_register
from responses.selectors import patient_endpoints
from responses.services import assessment_record
from trial.choices import Role
from trial.models import ProtocolVersion, Site, Trial, User
from trial.protocol import parameter_value, planned_courses
from trial.services import site_create, user_create

TRIAL = "NCT01371630"
SITE_CODE, SITE_NAME = "REF", "Reference cohort (synthetic, matches the paper's Table 2)"
PASSWORD = "demo-password-2026"  # the demo's password (demo/management/commands/demo_setup.py)
USERS = (
    ("ref-nurse", Role.RESEARCH_NURSE, "Reference", "Nurse"),
    ("ref-investigator", Role.INVESTIGATOR, "Reference", "Investigator"),
)
SOS_ONSET_BEFORE_DEATH_DAYS = 10  # synthetic: a fatal SOS begins this long before the death
SOS_ONSET_AFTER_SCT_DAYS = 18  # synthetic: the non-fatal SOS begins this long after the transplant
AFTER_COURSE_DAYS = 60  # an evaluation follows the latest course started at most this long before it
ROWS = (
    ("patients", lambda o: True),
    ("CR", lambda o: o.endpoints.best_response == "cr"),
    ("CRp", lambda o: o.endpoints.best_response == "crp"),
    ("CRi", lambda o: o.endpoints.best_response == "cri"),
    ("ORR", lambda o: o.endpoints.responded),
    ("no response", lambda o: o.endpoints.best_response == "no_response"),
    ("early death", lambda o: o.endpoints.best_response == "early_death"),
    ("allogeneic SCT", lambda o: bool(o.patient.transplants.all())),
    ("deaths from SOS", lambda o: getattr(getattr(o.patient, "death", None), "cause", "") == DeathCause.SOS),
    ("alive at last contact", lambda o: not o.endpoints.os_event),
)


class Command(BaseCommand):
    help = "Enter the reference cohort (110 synthetic patients matching the paper's Table 2) through the services."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=cohort.SEED, help="Seed of the baseline, dates and survival.")

    def handle(self, *args, seed, **options):
        trial = Trial.objects.filter(nct_id=TRIAL).first()
        if trial is None:
            raise CommandError("The trial is not loaded: run `manage.py load_protocol` first.")
        site = Site.objects.filter(trial=trial, code=SITE_CODE).first()
        if site is not None and Patient.objects.filter(site=site).exists():
            self.stdout.write(f"The reference cohort already exists at site {SITE_CODE}; nothing entered.")
            self._summary(site)
            return
        if next_sequence_number(trial) != 1:
            raise CommandError(
                "The reference cohort must be the trial's first registrations (patients #1–#110, so that the "
                "amendment rule gives #1–#67 the original version), but this database already has registered "
                "patients. Run it on a fresh database, e.g. DATABASE_URL=sqlite:///cohort.sqlite3."
            )
        began = time.monotonic()
        with transaction.atomic():
            site = site or site_create(actor=None, trial=trial, code=SITE_CODE, name=SITE_NAME)
            nurse = self._users(site)
            cycle_days = {
                v.code: [step.course_type.cycle_days for step in planned_courses(v)]
                for v in ProtocolVersion.objects.filter(trial=trial)
            }
            plans = cohort.build_plan(cycle_days, seed=seed)
            subjects = {plan.number: self._enter(nurse, site, plan).subject_id for plan in plans}
        elapsed = time.monotonic() - began
        self.stdout.write(f"Entered {len(plans)} patients at site {SITE_CODE} in {elapsed:.1f} s (seed {seed}).")
        self.stdout.write(f"Logins (password {PASSWORD}): " + ", ".join(username for username, *_ in USERS))
        for plan in plans:
            if plan.sos == "non_fatal":
                self.stdout.write(
                    f"Note: {subjects[plan.number]} had the non-fatal SOS after SCT (the 10th case, grade 3); the 9 "
                    "fatal cases are grade 5 SOS adverse events linked to the death."
                )
        self._summary(site)

    def _users(self, site) -> User:
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

    def _enter(self, nurse, site, plan: cohort.PatientPlan) -> Patient:
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
            raise CommandError(
                f"Patient #{patient.sequence_number} got version {patient.protocol_version.code}, not {plan.version}."
            )
        baseline_record(actor=nurse, patient=patient, **plan.baseline)
        courses = []
        for start in plan.courses:
            courses.append(
                course_start(
                    actor=nurse,
                    patient=patient,
                    start_date=start,
                    height_cm=plan.height_cm,
                    weight_kg=plan.weight_kg,
                    inotuzumab_dose_level=plan.dose_level if not courses else "",
                )
            )
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
            self._sos(nurse, patient, plan)
        return patient

    def _sos(self, nurse, patient, plan: cohort.PatientPlan):
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
        )
        sae_report_submit(actor=nurse, ae=ae, reported_at=aware + timedelta(hours=12))

    def _summary(self, site):
        """Counts by protocol version from the shared endpoint selector (what every page and export reads)."""
        outcomes = patient_endpoints(Patient.objects.filter(site=site))
        versions = sorted({o.patient.protocol_version.code for o in outcomes}, key=cohort.VERSIONS.index)
        groups = {"overall": outcomes} | {
            v: [o for o in outcomes if o.patient.protocol_version.code == v] for v in versions
        }
        width = 24
        self.stdout.write("Counted from the derived data (responses.selectors.patient_endpoints):")
        self.stdout.write(f"  {'':{width}}" + "".join(f"{name:>16}" for name in groups))
        for label, test in ROWS:
            cells = [f"{sum(1 for o in group if test(o)):>16}" for group in groups.values()]
            self.stdout.write(f"  {label:{width}}" + "".join(cells))
        for label, attr in (
            ("MRD-neg. at response", "mrd_negative_at_response"),
            ("MRD-neg. at any time", "mrd_negative_any_time"),
        ):
            cells = []
            for group in groups.values():
                known = [getattr(o.endpoints, attr) for o in group if o.endpoints.responded]
                known = Counter(value for value in known if value is not None)
                cells.append(f"{f'{known[True]}/{known[True] + known[False]}':>16}")
            self.stdout.write(f"  {label:{width}}" + "".join(cells))
        medians, three_years = [], []
        for group in groups.values():
            steps = cohort.kaplan_meier(
                (o.endpoints.os_days, o.endpoints.os_event) for o in group if o.endpoints.os_days is not None
            )
            median = cohort.median_survival(steps)
            medians.append(f"{'not reached' if median is None else f'{median / cohort.DAYS_PER_MONTH:.1f} mo':>16}")
            three_years.append(f"{f'{cohort.survival_at(steps, 3 * 365) * 100:.0f}%':>16}")
        self.stdout.write(f"  {'median OS (K-M)':{width}}" + "".join(medians))
        self.stdout.write(f"  {'3-year OS (K-M)':{width}}" + "".join(three_years))
