"""Build the reference cohort: 110 synthetic patients whose derived results match the paper's Table 2.

At a dedicated site (REF) a dedicated research nurse enters every record through the services, as
for a real patient (``demo.cohort.enter``), from a plan drawn from a seed (``demo.cohort.plan``). So
the cohort is audited and its responses and endpoints are derived like real data; the table printed
at the end is counted from ``responses.selectors.patient_endpoints``, not from the plan. Its median
and 3-year OS lines come from the reports' Kaplan–Meier (lifelines, through ``demo.cohort.survival``).

The cohort must be the trial's first registrations (its patients are #1–#110): the command refuses
a database that already has registered patients elsewhere. Run twice, it only prints the summary.
"""

import time
from collections import Counter

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from demo.cohort import SEED, VERSIONS, build_plan
from demo.cohort.enter import PASSWORD, USERS, CohortError, cohort_users, patient_enter
from demo.cohort.survival import os_summary
from patients.choices import DeathCause
from patients.models import Patient
from patients.selectors.registration import next_sequence_number
from responses.selectors import patient_endpoints
from trial.models import ProtocolVersion, Site, Trial
from trial.selectors import planned_courses
from trial.services import site_create

TRIAL = "NCT01371630"
SITE_CODE, SITE_NAME = "REF", "Reference cohort (synthetic, matches the paper's Table 2)"
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
        parser.add_argument("--seed", type=int, default=SEED, help="Seed of the baseline, dates and survival.")

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
            nurse = cohort_users(site)
            cycle_days = {
                v.code: [step.course_type.cycle_days for step in planned_courses(v)]
                for v in ProtocolVersion.objects.filter(trial=trial)
            }
            plans = build_plan(cycle_days, seed=seed)
            try:
                subjects = {plan.number: patient_enter(nurse=nurse, site=site, plan=plan).subject_id for plan in plans}
            except CohortError as exc:
                raise CommandError(str(exc)) from exc
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

    def _summary(self, site):
        """Counts by protocol version from the shared endpoint selector (what every page and export reads)."""
        outcomes = patient_endpoints(Patient.objects.filter(site=site))
        versions = sorted({o.patient.protocol_version.code for o in outcomes}, key=VERSIONS.index)
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
            median, three_year = os_summary(
                (o.endpoints.os_days, o.endpoints.os_event) for o in group if o.endpoints.os_days is not None
            )
            medians.append(f"{'not reached' if median is None else f'{median:.1f} mo':>16}")
            three_years.append(f"{'not estimable' if three_year is None else f'{three_year * 100:.0f}%':>16}")
        self.stdout.write(f"  {'median OS (K-M)':{width}}" + "".join(medians))
        self.stdout.write(f"  {'3-year OS (K-M)':{width}}" + "".join(three_years))
