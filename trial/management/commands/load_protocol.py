"""manage.py load_protocol [--dir PATH] [--user USERNAME]: load or reload the protocol data files."""

from pathlib import Path

from django.conf import settings

from core.data_loading.command import DataLoadCommand
from trial.protocol_loader import protocol_load

DEFAULT_TRIAL_DIR = "NCT01371630"


class Command(DataLoadCommand):
    help = (
        "Validate the protocol data files (trial.yaml and one file per protocol version) and bring the "
        "database in line with them. Idempotent: unchanged files change nothing."
    )
    dir_help = f"Directory of the trial's data files (default: PROTOCOL_DATA_DIR/{DEFAULT_TRIAL_DIR})."

    def default_directory(self):
        return Path(settings.PROTOCOL_DATA_DIR) / DEFAULT_TRIAL_DIR

    def load(self, *, actor, directory):
        return protocol_load(actor=actor, directory=directory)
