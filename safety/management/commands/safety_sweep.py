"""manage.py safety_sweep [--patient ID …]: re-evaluate the safety rules now, in this process (no broker needed)."""

import time

from django.core.management.base import BaseCommand, CommandError

from patients.selectors import existing_patient_ids
from safety.services import patient_evaluate
from safety.tasks import nightly_sweep

COUNTS = ("raised", "updated", "reopened", "resolved")


class Command(BaseCommand):
    help = (
        "Run the nightly safety sweep now, in this process: every active patient's rules are evaluated and their "
        "flags raised, updated, reopened or resolved. With --patient, only the patients given (by id). Prints the "
        "totals and the time it took. Idempotent: a second run changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--patient",
            type=int,
            action="append",
            metavar="ID",
            help="Evaluate only this patient (its database id); repeat for several.",
        )

    def handle(self, *args, **options):
        patient_ids = options["patient"] or []
        known = existing_patient_ids(patient_ids)
        unknown = sorted(set(patient_ids) - known)
        if unknown:
            raise CommandError(f"No patient with id {', '.join(map(str, unknown))}.")
        started = time.perf_counter()
        if patient_ids:
            totals = dict.fromkeys(("patients", *COUNTS), 0)
            for patient_id in dict.fromkeys(patient_ids):
                counts = patient_evaluate(patient_id=patient_id)
                totals["patients"] += 1
                for key in COUNTS:
                    totals[key] += counts.get(key, 0)
        else:
            totals = nightly_sweep()
        elapsed = time.perf_counter() - started
        if options["verbosity"] >= 1:
            flags = ", ".join(f"{totals.get(key, 0)} {key}" for key in COUNTS)
            patients = totals["patients"]
            self.stdout.write(
                f"Evaluated {patients} patient{'s' if patients != 1 else ''}: flags {flags}. Elapsed {elapsed:.2f} s."
            )
