"""Create demo sites, one user of every role at each, and example patients. Safe to run twice.

Patients are entered through the services, as a nurse would: screened only, registered (eligible,
with baseline), ineligible (screen failure), and one registered under an investigator's waiver.
"""

from datetime import date
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction

from demo.data import BASELINE, DEMO_PASSWORD, DEMO_SITES, ELIGIBLE, demo_patient_screen
from patients.models import Patient
from patients.services.baseline import baseline_record
from patients.services.eligibility import eligibility_assess, eligibility_waive
from patients.services.registration import patient_register, patient_screen_fail
from trial.choices import Role
from trial.models import Site, Trial, User
from trial.services import site_create, user_create

# (site, sex, given, family, MRN, DOB, what happens)
DEMO_PATIENTS = [
    ("MDA", "female", "Ana", "Lopez", "MRN1001", date(1961, 4, 2), "registered"),
    ("MDA", "male", "Ben", "Okafor", "MRN1002", date(1979, 11, 23), "ineligible"),
    ("MDA", "female", "Carla", "Mendes", "MRN1003", date(1990, 1, 15), "screening"),
    ("NRH", "male", "Chen", "Wei", "N-2001", date(1955, 7, 30), "registered"),
    ("NRH", "female", "Dana", "Reyes", "N-2002", date(1948, 2, 29), "waived"),
]


class Command(BaseCommand):
    help = "Create demo sites, users (one per role per site, printed with their logins) and example patients."

    @transaction.atomic
    def handle(self, *args, **options):
        trial = Trial.objects.get(nct_id="NCT01371630")
        logins = []
        sites = {}
        for code, name in DEMO_SITES:
            site = Site.objects.filter(trial=trial, code=code).first() or site_create(
                actor=None, trial=trial, code=code, name=name
            )
            sites[code] = site
            for role in Role:
                username = f"{role.value.replace('_', '')}-{code.lower()}"
                if not User.objects.filter(username=username).exists():
                    user_create(
                        actor=None,
                        username=username,
                        password=DEMO_PASSWORD,
                        roles=[role],
                        sites=[site],
                        first_name=role.label.split()[0],
                        last_name=f"({code})",
                        printed_name=f"{role.label} at {code} (demo)",
                    )
                logins.append((username, role.label, code))
        if not Patient.objects.filter(site__in=sites.values()).exists():
            for code, sex, given, family, mrn, dob, fate in DEMO_PATIENTS:
                self._patient(sites[code], code.lower(), sex, given, family, mrn, dob, fate)
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, role, code in logins:
            self.stdout.write(f"  {username:28} {role:16} {code}")

    def _patient(self, site, code, sex, given, family, mrn, dob, fate):
        investigator = User.objects.get(username=f"investigator-{code}")
        nurse, patient = demo_patient_screen(
            site=site, person=(sex, given, family, mrn, dob), consented_on=date(2026, 10, 5), form_version="v4.0"
        )
        if fate == "screening":
            return
        values = dict(ELIGIBLE)
        if fate == "ineligible":
            values.update(bilirubin_mg_dl=Decimal("2.4"), ph_status="positive")
        if fate == "waived":
            values.update(creatinine_mg_dl=Decimal("2.2"))
        assessment = eligibility_assess(actor=nurse, patient=patient, assessed_on=date(2026, 10, 6), **values)
        if fate == "ineligible":
            patient_screen_fail(actor=nurse, patient=patient, reason="Ph-positive; bilirubin 2.4 mg/dL")
            return
        if fate == "waived":
            eligibility_waive(
                actor=investigator,
                assessment=assessment,
                reason="Creatinine raised by dehydration; recovering with fluids",
                password=DEMO_PASSWORD,
            )
        patient = patient_register(actor=nurse, patient=patient, registration_date=date(2026, 10, 7))
        baseline_record(actor=nurse, patient=patient, **BASELINE)
