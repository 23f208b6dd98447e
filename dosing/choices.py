from django.db import models


class AdministrationStatus(models.TextChoices):
    PENDING = "pending", "Planned"
    GIVEN = "given", "Given"
    HELD = "held", "Held"
    OMITTED = "omitted", "Omitted"


class DoseAmountUnit(models.TextChoices):
    """Units of an absolute (already BSA-scaled) dose."""

    MG = "mg", "mg"
    G = "g", "g"
    UG_PER_DAY = "ug/day", "µg/day"


# What a planned dose can be recorded as (a recorded dose is never set back to planned).
RECORDED_STATUSES = [(s.value, s.label) for s in AdministrationStatus if s != AdministrationStatus.PENDING]
