"""The management command of a data loader: ``--dir PATH`` (the data folder), ``--user USERNAME`` (the author of
the changes in the audit trail; default: system); prints the load's report, or fails with every problem found."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from .files import DataLoadError


class DataLoadCommand(BaseCommand):
    """Subclasses say where the data is by default (``dir_help``, :meth:`default_directory`) and how it is
    loaded (:meth:`load`, returning a :class:`core.data_loading.DataLoadReport`)."""

    dir_help = "Directory of the data files."

    def default_directory(self) -> Path:
        raise NotImplementedError

    def load(self, *, actor, directory):
        raise NotImplementedError

    def add_arguments(self, parser):
        parser.add_argument("--dir", type=Path, default=None, help=self.dir_help)
        parser.add_argument(
            "--user",
            default=None,
            help="Username recorded as the author of the changes in the audit trail (default: system).",
        )

    def handle(self, *args, **options):
        directory = options["dir"] or self.default_directory()
        actor = None
        if options["user"]:
            try:
                actor = get_user_model().objects.get(username=options["user"])
            except get_user_model().DoesNotExist:
                raise CommandError(f"No user named {options['user']!r}.") from None
        try:
            report = self.load(actor=actor, directory=directory)
        except DataLoadError as exc:
            raise CommandError(str(exc)) from exc
        if options["verbosity"] >= 1:
            self.stdout.write(report.as_text())
