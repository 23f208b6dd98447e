from django.db import models


class Severity(models.TextChoices):
    INFO = "info", "Information"
    WARNING = "warning", "Warning"
    URGENT = "urgent", "Urgent"


class FlagStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"
    DISMISSED = "dismissed", "Dismissed"


class RuleKind(models.TextChoices):
    SOS_RISK = "sos_risk", "SOS risk"
    DEVIATION = "deviation", "Protocol deviation"


ACTIVE_STATUSES = (FlagStatus.OPEN, FlagStatus.ACKNOWLEDGED)
