"""The trial's roles and what each may do, defined here and synced into Django groups.

Permissions are ``app_label.codename``. A permission whose model does not exist yet (a later
app) is an error: the sync refuses to guess. Run ``manage.py sync_roles`` (it also runs after
every ``migrate``).
"""

from .choices import Role

VIEW_CLINICAL = [
    "patients.view_patient",
    "patients.view_consent",
    "patients.view_eligibilityassessment",
    "patients.view_baseline",
    "dosing.view_course",
    "dosing.view_plannedadministration",
    "dosing.view_doseoverride",
    "responses.view_marrowassessment",
    "patients.view_transplant",
    "patients.view_offstudy",
    "patients.view_followup",
    "patients.view_death",
    "adverse_events.view_adverseevent",
    "adverse_events.view_aeattribution",
    "adverse_events.view_labresult",
    "adverse_events.view_ctcaeterm",
    "adverse_events.view_ctcaeversion",
    "adverse_events.view_clinicalobservation",
    "safety.view_flag",
]
ENTER_CLINICAL = [
    "patients.add_patient",
    "patients.change_patient",
    "patients.add_consent",
    "patients.add_eligibilityassessment",
    "patients.change_eligibilityassessment",
    "patients.add_baseline",
    "patients.change_baseline",
    "dosing.add_course",
    "dosing.change_course",
    "dosing.change_plannedadministration",
    "responses.add_marrowassessment",
    "responses.change_marrowassessment",
    "patients.add_transplant",
    "patients.change_transplant",
    "patients.add_offstudy",
    "patients.add_followup",
    "patients.add_death",
    "patients.change_death",
    "adverse_events.add_adverseevent",
    "adverse_events.change_adverseevent",
    "adverse_events.add_labresult",
    "adverse_events.change_labresult",
    "adverse_events.add_clinicalobservation",
    "safety.change_flag",
]
CORRECT_CLINICAL = [
    "patients.change_patient",
    "patients.change_eligibilityassessment",
    "patients.change_baseline",
    "dosing.change_course",
    "dosing.change_plannedadministration",
    "responses.change_marrowassessment",
    "patients.change_transplant",
    "patients.change_death",
    "adverse_events.change_adverseevent",
    "adverse_events.change_labresult",
    "safety.change_flag",
]
VIEW_PROTOCOL = [
    "trial.view_trial",
    "trial.view_site",
    "trial.view_protocolversion",
    "trial.view_protocolamendment",
    "trial.view_protocolparameter",
    "trial.view_coursetype",
    "trial.view_coursesequencestep",
    "trial.view_regimenitem",
    "trial.view_drug",
    "trial.view_drugholdrule",
    "trial.view_eligibilitycriterion",
    "trial.view_responserule",
]
# Signatures and audit trails are clinical: the administrator role holds neither (it manages accounts).
VIEW_SIGNATURES = ["core.view_signature"]
VIEW_REPORTS = ["reports.view_reports"]
EXPORT_DATA = ["exports.export_data", "exports.view_export"]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.RESEARCH_NURSE: VIEW_PROTOCOL
    + VIEW_SIGNATURES
    + VIEW_CLINICAL
    + [
        "trial.view_phi",
        "core.view_audit_trail",
        "core.withdraw_records",
    ]
    + ENTER_CLINICAL,
    Role.INVESTIGATOR: VIEW_PROTOCOL
    + VIEW_SIGNATURES
    + VIEW_CLINICAL
    + [
        "trial.view_phi",
        "core.view_audit_trail",
        "core.sign_records",
        "core.withdraw_records",
    ]
    + ENTER_CLINICAL
    + VIEW_REPORTS,
    Role.MONITOR: VIEW_PROTOCOL
    + VIEW_SIGNATURES
    + VIEW_CLINICAL
    + ["trial.view_phi", "core.view_audit_trail"]
    + VIEW_REPORTS,
    Role.DATA_MANAGER: VIEW_PROTOCOL
    + VIEW_SIGNATURES
    + VIEW_CLINICAL
    + ["core.view_audit_trail", "core.withdraw_records"]
    + CORRECT_CLINICAL
    + VIEW_REPORTS
    + EXPORT_DATA,
    Role.STATISTICIAN: VIEW_PROTOCOL + VIEW_SIGNATURES + VIEW_CLINICAL + VIEW_REPORTS + EXPORT_DATA,
    Role.ADMINISTRATOR: VIEW_PROTOCOL
    + [
        "trial.view_user",
        "trial.add_user",
        "trial.change_user",
        "trial.add_site",
        "trial.change_site",
        "auth.view_group",
        "exports.view_subjectkey",
    ],
}


def role_group_name(role):
    return Role(role).label
