from django.apps import AppConfig


class PatientsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "patients"
    verbose_name = "Patients"

    def ready(self):
        from core import registry

        from .models import Patient
        from .selectors import patient_get, phi_hidden_fields

        registry.register(Patient, patient_get, phi_hidden_fields)

        from .models import Baseline
        from .selectors.baseline import baseline_get_by_id

        registry.register(Baseline, baseline_get_by_id)

        from trial.protocol_loader import eligibility_variables_register

        from .models import EligibilityAssessment
        from .selectors.eligibility import assessment_get_by_id, eligibility_variables

        registry.register(EligibilityAssessment, assessment_get_by_id)
        eligibility_variables_register(eligibility_variables())

        from .models import Death, FollowUp, OffStudy, Transplant
        from .selectors import outcomes

        registry.register(Transplant, outcomes.transplant_get)
        registry.register(OffStudy, outcomes.off_study_get)
        registry.register(FollowUp, outcomes.follow_up_get)
        registry.register(Death, outcomes.death_get)

        registry.register_nav("Patients", "patients:list", "patients.view_patient", order=10)

        from django.urls import reverse

        from .services import check_patient_site
        from .services.registration import patient_withdraw, patient_withdraw_refusal

        registry.register_withdrawal(
            Patient,
            withdraw=patient_withdraw,
            can_withdraw=patient_withdraw_refusal,
            back_url=lambda patient: reverse("patients:list"),
            effect="The screening record is removed from the patient list with its consents, eligibility "
            "assessments and baseline; their last values, who withdrew them, when and why stay in the audit trail.",
        )
        registry.register_withdrawal(
            FollowUp,
            check_site=lambda actor, follow_up: check_patient_site(actor, follow_up.patient),
            back_url=lambda follow_up: reverse("patients:detail", args=[follow_up.patient_id]),
        )

        from .views.patient import home_enrolment_panel

        registry.register_home_panel(
            "enrolment", template="patients/_home_enrolment_panel.html", context=home_enrolment_panel, order=10
        )
        from .choices import PatientStatus
        from .selectors import patient_list

        registry.register_signature_expected(
            Patient,
            heading="Registered patients (registration and record review)",
            records=lambda user: patient_list(user, status=PatientStatus.REGISTERED).order_by(
                "-registration_date", "-id"
            ),
            permission="patients.view_patient",
            order=10,
        )
