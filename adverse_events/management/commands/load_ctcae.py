"""manage.py load_ctcae [--dir PATH] [--user USERNAME]: load or reload a CTCAE version's data files."""

from adverse_events.dictionary import DEFAULT_DIRECTORY, ctcae_load
from core.data_loading.command import DataLoadCommand


class Command(DataLoadCommand):
    help = (
        "Validate a CTCAE version's data files (version.yaml, terms, navigational notes, lab-grading rules) and "
        "bring the database in line with them. Idempotent: unchanged files change nothing."
    )
    dir_help = f"The version's data folder (default: {DEFAULT_DIRECTORY.relative_to(DEFAULT_DIRECTORY.parents[2])})."

    def default_directory(self):
        return DEFAULT_DIRECTORY

    def load(self, *, actor, directory):
        return ctcae_load(actor=actor, directory=directory)
