from django.db import models


class Attribution(models.TextChoices):
    UNRELATED = "unrelated", "Unrelated"
    UNLIKELY = "unlikely", "Unlikely"
    POSSIBLE = "possible", "Possible"
    PROBABLE = "probable", "Probable"
    DEFINITE = "definite", "Definite"


RELATED_ATTRIBUTIONS = (Attribution.POSSIBLE, Attribution.PROBABLE, Attribution.DEFINITE)


class SAECriterion(models.TextChoices):
    DEATH = "death", "Resulted in death"
    LIFE_THREATENING = "life_threatening", "Life-threatening"
    HOSPITALISATION = "hospitalisation", "Required or prolonged hospitalisation"
    DISABILITY = "disability", "Persistent or significant disability"
    CONGENITAL_ANOMALY = "congenital_anomaly", "Congenital anomaly / birth defect"
    IMPORTANT_MEDICAL_EVENT = "important_medical_event", "Important medical event"


class ActionTaken(models.TextChoices):
    NONE = "none", "No action taken"
    DOSE_REDUCED = "dose_reduced", "Dose reduced"
    DOSE_HELD = "dose_held", "Dose held / delayed"
    DRUG_WITHDRAWN = "drug_withdrawn", "Drug withdrawn"
    NOT_APPLICABLE = "not_applicable", "Not applicable"


class AEOutcome(models.TextChoices):
    RECOVERED = "recovered", "Recovered / resolved"
    RECOVERED_WITH_SEQUELAE = "recovered_with_sequelae", "Recovered with sequelae"
    RECOVERING = "recovering", "Recovering / resolving"
    NOT_RECOVERED = "not_recovered", "Not recovered / not resolved"
    FATAL = "fatal", "Fatal"
    UNKNOWN = "unknown", "Unknown"


class LabProposalStatus(models.TextChoices):
    NONE = "", "No proposal"
    PROPOSED = "proposed", "AE proposed, awaiting confirmation"
    CONFIRMED = "confirmed", "Confirmed as an AE"
    DISMISSED = "dismissed", "Dismissed"


class UnitSystem(models.TextChoices):
    SI = "SI", "SI"
    US = "US_conventional", "US conventional"
