"""Choice lists of the trial app. Values are stored; labels are what users read."""

from django.db import models

from core.comparators import words


class Role(models.TextChoices):
    RESEARCH_NURSE = "research_nurse", "Research nurse"
    INVESTIGATOR = "investigator", "Investigator"
    MONITOR = "monitor", "Monitor"
    DATA_MANAGER = "data_manager", "Data manager"
    STATISTICIAN = "statistician", "Statistician"
    ADMINISTRATOR = "administrator", "Administrator"


class CoursePhase(models.TextChoices):
    INDUCTION_CONSOLIDATION = "induction_consolidation", "Induction/consolidation"
    BLINATUMOMAB = "blinatumomab", "Blinatumomab"
    MAINTENANCE = "maintenance", "Maintenance"


class DoseUnit(models.TextChoices):
    MG_PER_M2 = "mg/m2", "mg/m²"
    G_PER_M2 = "g/m2", "g/m²"
    MG = "mg", "mg (flat)"
    UG_PER_DAY = "ug/day", "µg/day (continuous infusion)"


class Route(models.TextChoices):
    IV = "IV", "Intravenous"
    CIV = "CIV", "Continuous intravenous infusion"
    PO = "PO", "Oral"
    SC = "SC", "Subcutaneous"
    IT = "IT", "Intrathecal"
    OMMAYA = "OMMAYA", "Intraventricular (Ommaya reservoir)"


class Frequency(models.TextChoices):
    ONCE_DAILY = "once_daily", "Once on each listed day"
    EVERY_12_HOURS = "q12h", "Every 12 hours"
    TWICE_DAILY = "bid", "Twice daily"
    THREE_TIMES_DAILY = "tid", "Three times daily"
    WEEKLY = "weekly", "Weekly"
    CONTINUOUS = "continuous", "Continuous infusion"
    AS_INDICATED = "as_indicated", "As clinically indicated"


class RegimenRole(models.TextChoices):
    CHEMOTHERAPY = "chemotherapy", "Chemotherapy"
    ANTIBODY = "antibody", "Antibody / study drug"
    CNS_PROPHYLAXIS = "cns_prophylaxis", "CNS prophylaxis (intrathecal)"
    GROWTH_FACTOR = "growth_factor", "Growth factor"
    SUPPORTIVE = "supportive", "Supportive care"
    MAINTENANCE = "maintenance", "Maintenance"


class DoseLevel(models.TextChoices):
    STANDARD = "", "Standard"
    HIGHER = "higher", "Higher dose level"
    LOWER = "lower", "Lower dose level"


class DataSource(models.TextChoices):
    PAPER = "paper", "Published report"
    NOT_IN_PAPER = "not_in_paper", "Usual clinical default (not in the paper)"


class VersionAssignmentRule(models.TextChoices):
    """How a registration is matched to a protocol version."""

    BASE = "base", "Base version (applies unless a later version matches)"
    SEQUENCE = "sequence", "From a patient sequence number on"
    DATE = "date", "From the effective date on (registration date)"
    SEQUENCE_OR_DATE = "sequence_or_date", "From a sequence number or the effective date, whichever comes first"


class CriterionKind(models.TextChoices):
    INCLUSION = "inclusion", "Inclusion"
    EXCLUSION = "exclusion", "Exclusion"


class Comparator(models.TextChoices):
    LE = "<=", words("<=")
    LT = "<", words("<")
    GE = ">=", words(">=")
    GT = ">", words(">")
    EQ = "==", words("==")
    IN = "in", "one of"
    PRESENT = "present", "recorded"


class BSAFormula(models.TextChoices):
    MOSTELLER = "mosteller", "Mosteller: √(height cm × weight kg / 3600)"
    DU_BOIS = "du_bois", "Du Bois: 0.007184 × height cm^0.725 × weight kg^0.425"


class ResponseCategory(models.TextChoices):
    """Response categories, best first (the order decides the best overall response)."""

    CR = "cr", "CR"
    CRP = "crp", "CRp"
    CRI = "cri", "CRi"
    NO_RESPONSE = "no_response", "No response"
