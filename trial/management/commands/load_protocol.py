"""manage.py load_protocol [--dir PATH] [--user USERNAME]: load or reload the protocol data files."""

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from trial.protocol_loader import ProtocolDataError, protocol_load

DEFAULT_TRIAL_DIR = "NCT01371630"


class Command(BaseCommand):
    help = (
        "Validate the protocol data files (trial.yaml and one file per protocol version) and bring the "
        "database in line with them. Idempotent: unchanged files change nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dir",
            type=Path,
            default=None,
            help=f"Directory of the trial's data files (default: PROTOCOL_DATA_DIR/{DEFAULT_TRIAL_DIR}).",
        )
        parser.add_argument(
            "--user",
            default=None,
            help="Username recorded as the author of the changes in the audit trail (default: system).",
        )

    def handle(self, *args, **options):
        directory = options["dir"] or Path(settings.PROTOCOL_DATA_DIR) / DEFAULT_TRIAL_DIR
        actor = None
        if options["user"]:
            try:
                actor = get_user_model().objects.get(username=options["user"])
            except get_user_model().DoesNotExist:
                raise CommandError(f"No user named {options['user']!r}.") from None
        try:
            report = protocol_load(actor=actor, directory=directory)
        except ProtocolDataError as exc:
            raise CommandError(str(exc)) from exc
        if options["verbosity"] >= 1:
            self.stdout.write(report.as_text())
