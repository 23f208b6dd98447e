from django.db import models


class MRDResult(models.TextChoices):
    NOT_DETECTED = "not_detected", "Not detected (negative)"
    DETECTED = "detected", "Detected (positive)"
    NOT_DONE = "not_done", "Not done / not sent"


class CytogeneticsResult(models.TextChoices):
    NORMALISED = "normalised", "Normalised"
    ABNORMAL = "abnormal", "Still abnormal"
    NOT_DONE = "not_done", "Not done / insufficient"
