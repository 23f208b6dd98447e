from django.db import models


class PatientStatus(models.TextChoices):
    SCREENING = "screening", "Screening"
    REGISTERED = "registered", "Registered"
    SCREEN_FAILED = "screen_failed", "Screen failure"
    OFF_STUDY = "off_study", "Off study"


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
