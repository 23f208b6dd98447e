from django.db import models


class PatientStatus(models.TextChoices):
    SCREENING = "screening", "Screening"
    REGISTERED = "registered", "Registered"
    SCREEN_FAILED = "screen_failed", "Screen failure (ineligible)"
    OFF_STUDY = "off_study", "Off study"


# Registered patients, on study or since off study: their courses, evaluations, AEs and outcomes are recorded.
FOLLOWED_STATUSES = (PatientStatus.REGISTERED, PatientStatus.OFF_STUDY)


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"


class YesNoUnknown(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"
    UNKNOWN = "unknown", "Unknown / not tested"


class PosNeg(models.TextChoices):
    POSITIVE = "positive", "Positive"
    NEGATIVE = "negative", "Negative"
    UNKNOWN = "unknown", "Unknown / not tested"


class DiseaseStatus(models.TextChoices):
    RELAPSED = "relapsed", "Relapsed"
    REFRACTORY = "refractory", "Refractory"
    NEWLY_DIAGNOSED = "newly_diagnosed", "Newly diagnosed"
    IN_REMISSION = "in_remission", "In remission"


class Diagnosis(models.TextChoices):
    PRE_B_ALL = "pre_b_all", "Pre-B (B-cell precursor) ALL"
    T_ALL = "t_all", "T-cell ALL"
    OTHER = "other", "Other"


class KaryotypeGroup(models.TextChoices):
    DIPLOID = "diploid", "Diploid"
    OTHER = "other", "Other"
    COMPLEX = "complex", "Complex"
    KMT2A = "kmt2a", "KMT2A rearrangement"
    LOW_HYPODIPLOIDY = "low_hypodiploidy", "Low hypodiploidy / near triploidy"
    HIGH_HYPERDIPLOIDY = "high_hyperdiploidy", "High hyperdiploidy"
    TETRAPLOIDY = "tetraploidy", "Tetraploidy"
    INSUFFICIENT = "insufficient", "Insufficient metaphases / not done"


class CRLF2Method(models.TextChoices):
    FLOW = "flow", "Flow cytometry"
    RNA_SEQ = "rna_seq", "RNA sequencing"
    FISH = "fish", "FISH"
    PCR = "pcr", "PCR"
    OTHER = "other", "Other"


class TP53Status(models.TextChoices):
    NOT_TESTED = "not_tested", "Not tested"
    WILD_TYPE = "wild_type", "Tested: no mutation"
    MUTATED = "mutated", "Tested: mutated"


class FrontlineRegimen(models.TextChoices):
    HYPER_CVAD = "hyper_cvad", "Hyper-CVAD based"
    PEDIATRIC = "pediatric", "Pediatric-inspired"
    INOTUZUMAB_BASED = "inotuzumab_based", "Inotuzumab-containing"
    BLINATUMOMAB_BASED = "blinatumomab_based", "Blinatumomab-containing"
    OTHER = "other", "Other"


class SalvageStatus(models.TextChoices):
    """Derived from first-remission duration and prior salvage lines; never typed."""

    S1_PRIMARY_REFRACTORY = "s1_primary_refractory", "Salvage 1, primary refractory"
    S1_CRD1_SHORT = "s1_crd1_lt_12", "Salvage 1, first remission < 12 months"
    S1_CRD1_LONG = "s1_crd1_ge_12", "Salvage 1, first remission ≥ 12 months"
    S2 = "s2", "Salvage 2"
    S3_PLUS = "s3_plus", "Salvage ≥ 3"


class DonorType(models.TextChoices):
    MATCHED_RELATED = "matched_related", "Matched related"
    MATCHED_UNRELATED = "matched_unrelated", "Matched unrelated"
    HAPLOIDENTICAL = "haploidentical", "Haploidentical"
    CORD = "cord", "Cord blood"


class TransplantStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class ConditioningAgent(models.TextChoices):
    """Agents of a conditioning regimen (the safety rules read alkylators from here)."""

    BUSULFAN = "busulfan", "Busulfan"
    CLOFARABINE = "clofarabine", "Clofarabine"
    FLUDARABINE = "fludarabine", "Fludarabine"
    MELPHALAN = "melphalan", "Melphalan"
    THIOTEPA = "thiotepa", "Thiotepa"
    CYCLOPHOSPHAMIDE = "cyclophosphamide", "Cyclophosphamide"
    TBI = "tbi", "Total-body irradiation"
    ATG = "atg", "Anti-thymocyte globulin"
    OTHER = "other", "Other"


class OffStudyReason(models.TextChoices):
    COMPLETED = "completed", "Completed protocol therapy"
    TRANSPLANT = "transplant", "Allogeneic SCT"
    NO_RESPONSE = "no_response", "No response / refractory"
    RELAPSE = "relapse", "Relapse"
    TOXICITY = "toxicity", "Toxicity"
    PATIENT_CHOICE = "patient_choice", "Patient decision / consent withdrawn"
    DEATH = "death", "Death"
    LOST = "lost", "Lost to follow-up"
    OTHER = "other", "Other"


class VitalStatus(models.TextChoices):
    ALIVE = "alive", "Alive"
    DEAD = "dead", "Dead"


class FollowUpDiseaseStatus(models.TextChoices):
    IN_REMISSION = "in_remission", "In remission"
    RELAPSED = "relapsed", "Relapsed"
    REFRACTORY = "refractory", "Active disease / refractory"
    UNKNOWN = "unknown", "Unknown"


class DeathCause(models.TextChoices):
    DISEASE = "disease", "Leukaemia (progression or relapse)"
    INFECTION = "infection", "Infection"
    SOS = "sos", "Sinusoidal obstruction syndrome (VOD)"
    GVHD = "gvhd", "Graft-versus-host disease"
    TRANSPLANT_OTHER = "transplant_other", "Other transplant-related"
    HAEMORRHAGE = "haemorrhage", "Haemorrhage"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Unknown"
