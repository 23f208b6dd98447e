"""A lab value records its lab test (one per analyte: potassium), and its CTCAE lab term (Hypokalemia or
Hyperkalemia) becomes derived from the value.

Existing values get the lab test of the per-direction lab term they were recorded under; each row changed gets a
history row saying so, so the audit trail still matches every record.
"""

from django.db import migrations, models
from django.utils import timezone

# The lab tests of lab_plausible_ranges.yaml as they were when this migration was written (a migration must not
# follow later edits of the data file): CTCAE v5.0 lab-grading term → lab test code.
LAB_TEST_OF_TERM = {
    "Platelet count decreased": "platelets",
    "Neutrophil count decreased": "neutrophils",
    "White blood cell decreased": "wbc",
    "Leukocytosis": "wbc",
    "Lymphocyte count decreased": "lymphocytes",
    "Lymphocyte count increased": "lymphocytes",
    "CD4 lymphocytes decreased": "cd4",
    "Anemia": "haemoglobin",
    "Hemoglobin increased": "haemoglobin",
    "Hypokalemia": "potassium",
    "Hyperkalemia": "potassium",
    "Hyponatremia": "sodium",
    "Hypernatremia": "sodium",
    "Hypocalcemia": "calcium",
    "Hypercalcemia": "calcium",
    "Hypocalcemia (Ionized)": "ionized_calcium",
    "Hypercalcemia (Ionized)": "ionized_calcium",
    "Hypomagnesemia": "magnesium",
    "Hypermagnesemia": "magnesium",
    "Hypoglycemia": "glucose",
    "Hypoalbuminemia": "albumin",
    "Cholesterol high": "cholesterol",
    "Hypertriglyceridemia": "triglycerides",
    "Alanine aminotransferase increased": "alt",
    "Aspartate aminotransferase increased": "ast",
    "Alkaline phosphatase increased": "alp",
    "GGT increased": "ggt",
    "Blood lactate dehydrogenase increased": "ldh",
    "CPK increased": "cpk",
    "Lipase increased": "lipase",
    "Serum amylase increased": "amylase",
    "Blood bilirubin increased": "bilirubin",
    "Creatinine increased": "creatinine",
    "Hyperuricemia": "uric_acid",
    "Haptoglobin decreased": "haptoglobin",
    "Fibrinogen decreased": "fibrinogen",
    "INR increased": "inr",
    "Activated partial thromboplastin time prolonged": "aptt",
    "Acidosis": "ph",
    "Alkalosis": "ph",
}
REASON = "Lab test set from the CTCAE lab term it was recorded under (migration adverse_events 0004)"
COPIED = (
    "id", "created_at", "updated_at", "patient_id", "lab_test", "lab_term", "unit_system", "unit", "collected_on",
    "value", "lower_limit_normal", "upper_limit_normal", "baseline_value", "grade", "proposal_status",
    "proposal_note", "recorded_by_id",
)  # fmt: skip


def lab_test_from_term(apps, schema_editor):
    LabResult = apps.get_model("adverse_events", "LabResult")
    HistoricalLabResult = apps.get_model("adverse_events", "HistoricalLabResult")
    now = timezone.now()
    for result in LabResult.objects.filter(lab_test="").order_by("pk"):
        # An unknown term keeps its own text as the lab test, so no row is left without one.
        result.lab_test = LAB_TEST_OF_TERM.get(result.lab_term, result.lab_term[:40])
        LabResult.objects.filter(pk=result.pk).update(lab_test=result.lab_test)
        HistoricalLabResult.objects.create(
            **{field: getattr(result, field) for field in COPIED},
            history_date=now,
            history_type="~",
            history_change_reason=REASON,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("adverse_events", "0003_sae_clock_help"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicallabresult",
            name="lab_test",
            field=models.CharField(
                default="",
                help_text="The lab test recorded (a code of data/lab_plausible_ranges.yaml, e.g. potassium).",
                max_length=40,
                verbose_name="lab test",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="labresult",
            name="lab_test",
            field=models.CharField(
                default="",
                help_text="The lab test recorded (a code of data/lab_plausible_ranges.yaml, e.g. potassium).",
                max_length=40,
                verbose_name="lab test",
            ),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="historicallabresult",
            name="lab_term",
            field=models.CharField(
                help_text="The CTCAE lab-grading term the value is graded as, derived from the value "
                "(e.g. Hypokalemia or Hyperkalemia for potassium).",
                max_length=120,
                verbose_name="CTCAE lab term",
            ),
        ),
        migrations.AlterField(
            model_name="labresult",
            name="lab_term",
            field=models.CharField(
                help_text="The CTCAE lab-grading term the value is graded as, derived from the value "
                "(e.g. Hypokalemia or Hyperkalemia for potassium).",
                max_length=120,
                verbose_name="CTCAE lab term",
            ),
        ),
        migrations.RunPython(lab_test_from_term, migrations.RunPython.noop),
    ]
