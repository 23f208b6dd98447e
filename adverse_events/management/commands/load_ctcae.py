"""manage.py load_ctcae [--dir PATH] [--user USERNAME]: load or reload a CTCAE version's data files."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from adverse_events.dictionary import DEFAULT_DIRECTORY, CTCAEDataError, ctcae_load


class Command(BaseCommand):
    help = (
        "Validate a CTCAE version's data files (version.yaml, terms, navigational notes, lab-grading rules) and "
        "bring the database in line with them. Idempotent: unchanged files change nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dir",
            type=Path,
            default=None,
            help=f"The version's data folder (default: {DEFAULT_DIRECTORY.relative_to(DEFAULT_DIRECTORY.parents[2])}).",
        )
        parser.add_argument(
            "--user",
            default=None,
            help="Username recorded as the author of the changes in the audit trail (default: system).",
        )

    def handle(self, *args, **options):
        directory = options["dir"] or DEFAULT_DIRECTORY
        actor = None
        if options["user"]:
            try:
                actor = get_user_model().objects.get(username=options["user"])
            except get_user_model().DoesNotExist:
                raise CommandError(f"No user named {options['user']!r}.") from None
        try:
            report = ctcae_load(actor=actor, directory=directory)
        except CTCAEDataError as exc:
            raise CommandError(str(exc)) from exc
        if options["verbosity"] >= 1:
            self.stdout.write(report.as_text())
