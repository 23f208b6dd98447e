"""manage.py site_create --code CODE --name NAME [--trial NCT...]: add a participating site (audited, as system)."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand

from trial.management.options import option_error
from trial.selectors import trial_by_nct_id
from trial.services import site_create

OPTIONS = {"code": "--code", "name": "--name", "trial": "--trial"}


class Command(BaseCommand):
    help = "Add a participating site to the trial (the site code is used in subject IDs, e.g. MDA)."

    def add_arguments(self, parser):
        parser.add_argument("--code", required=True, help="Short site code, unique in the trial, e.g. MDA.")
        parser.add_argument("--name", required=True, help="The institution's name.")
        parser.add_argument(
            "--trial", metavar="NCT_ID", default=None, help="ClinicalTrials.gov ID (default: the only loaded trial)."
        )

    def handle(self, *args, code, name, trial, **options):
        try:
            site = site_create(actor=None, trial=trial_by_nct_id(trial), code=code.strip(), name=name.strip())
        except ValidationError as exc:
            raise option_error(exc, OPTIONS) from exc
        self.stdout.write(f"Created site {site.code} — {site.name} (trial {site.trial.nct_id}).")
