"""What the demo enters: its password, its two sites, and eligible checklist and baseline values.

Shared by ``manage.py demo_setup`` (sites, users, patients), ``manage.py demo_dosing`` (one more
patient, on the original protocol version) and the reference cohort's logins.
"""

from decimal import Decimal

DEMO_PASSWORD = "demo-password-2026"
DEMO_SITES = [("MDA", "MD Anderson Cancer Center (demo)"), ("NRH", "Northside Regional Hospital (demo)")]

ELIGIBLE = {
    "diagnosis": "pre_b_all",
    "disease_status": "relapsed",
    "ph_status": "negative",
    "cd22_status": "positive",
    "ecog": 1,
    "ejection_fraction_percent": Decimal("58"),
    "bilirubin_mg_dl": Decimal("0.7"),
    "creatinine_mg_dl": Decimal("0.9"),
    "uncontrolled_infection": False,
    "nyha_class": 1,
    "second_active_malignancy": False,
}
BASELINE = {
    "ecog": 1,
    "wbc_1e9_per_l": Decimal("3.4"),
    "peripheral_blast_percent": Decimal("12"),
    "marrow_blast_percent": Decimal("64"),
    "karyotype_group": "diploid",
    "kmt2a_rearranged": "no",
    "low_hypodiploidy_near_triploidy": "no",
    "cd19_percent": Decimal("98"),
    "cd20_percent": Decimal("35"),
    "cd22_percent": Decimal("91"),
    "prior_allogeneic_sct": False,
    "primary_refractory": False,
    "first_remission_duration_months": Decimal("9.5"),
    "prior_salvage_lines": 0,
    "cns_disease_at_start": False,
    "prior_frontline_regimen": "hyper_cvad",
}


def demo_patient_screen(*, site, person, consented_on, form_version):
    """Screen a demo patient (sex, names, MRN, date of birth) at ``site`` by its research nurse and record the
    consent; returns the nurse and the patient."""
    from patients.services import patient_screen
    from patients.services.registration import consent_record
    from trial.models import User

    sex, given, family, mrn, dob = person
    nurse = User.objects.get(username=f"researchnurse-{site.code.lower()}")
    patient = patient_screen(
        actor=nurse, site=site, sex=sex, given_name=given, family_name=family, medical_record_number=mrn,
        date_of_birth=dob,
    )  # fmt: skip
    consent_record(actor=nurse, patient=patient, consent_date=consented_on, form_version=form_version)
    return nurse, patient
