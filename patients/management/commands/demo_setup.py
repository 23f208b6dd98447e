"""Create demo sites, one user of every role at each, and a few screening patients. Safe to run twice."""

from django.core.management.base import BaseCommand
from django.db import transaction

from patients.models import Patient
from patients.services import patient_screen
from trial.choices import Role
from trial.models import Site, Trial, User
from trial.services import site_create, user_create

DEMO_PASSWORD = "demo-password-2026"
DEMO_SITES = [("MDA", "MD Anderson Cancer Center (demo)"), ("NRH", "Northside Regional Hospital (demo)")]
DEMO_PATIENTS = {
    "MDA": [("female", "Ana", "Lopez", "MRN1001", "1961-04-02"), ("male", "Ben", "Okafor", "MRN1002", "1979-11-23")],
    "NRH": [("male", "Chen", "Wei", "N-2001", "1955-07-30")],
}


class Command(BaseCommand):
    help = "Create demo sites, users (one per role per site, printed with their logins) and screening patients."

    @transaction.atomic
    def handle(self, *args, **options):
        trial = Trial.objects.get(nct_id="NCT01371630")
        logins = []
        for code, name in DEMO_SITES:
            site = Site.objects.filter(trial=trial, code=code).first() or site_create(
                actor=None, trial=trial, code=code, name=name
            )
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
            nurse = User.objects.get(username=f"researchnurse-{code.lower()}")
            if not Patient.objects.filter(site=site).exists():
                for sex, given, family, mrn, dob in DEMO_PATIENTS.get(code, []):
                    patient_screen(
                        actor=nurse,
                        site=site,
                        sex=sex,
                        given_name=given,
                        family_name=family,
                        medical_record_number=mrn,
                        date_of_birth=dob,
                    )
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, role, code in logins:
            self.stdout.write(f"  {username:28} {role:16} {code}")
