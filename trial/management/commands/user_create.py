"""manage.py user_create: create a person's account with roles and sites (audited, as system).

The password is never a command-line argument (it would stay in the shell history and the process
list): it is read from the environment variable named by ``--password-env`` (default
``TRIAL_USER_PASSWORD``, when set) or else asked twice at a prompt.
"""

import getpass
import os

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from trial.choices import Role
from trial.management.options import option_error
from trial.selectors import sites_by_code, trial_by_nct_id
from trial.services import roles_check, user_create

PASSWORD_ENV = "TRIAL_USER_PASSWORD"
OPTIONS = {
    "username": "--username",
    "roles": "--role",
    "sites": "--site",
    "trial": "--trial",
    "printed_name": "--printed-name",
    "email": "--email",
    "first_name": "--first-name",
    "last_name": "--last-name",
}
PASSWORD_ENV_UNSET = "--password-env: the environment variable {var} is not set (or is empty). Nothing was created."
PASSWORDS_DIFFER = "The two passwords typed at the prompt differ. Nothing was created."
NO_PASSWORD = (
    "No password: set {var} (or name another variable with --password-env), or run the command in a "
    "terminal to be asked for it. Nothing was created."
)


class Command(BaseCommand):
    help = (
        "Create a user with one or more roles and site memberships. The password comes from the environment "
        f"variable named by --password-env (default {PASSWORD_ENV}, when set) or is asked twice at a prompt."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)
        parser.add_argument(
            "--role",
            dest="roles",
            action="append",
            required=True,
            metavar="ROLE",
            help=f"Repeatable. One of: {', '.join(Role.values)}.",
        )
        parser.add_argument(
            "--site",
            dest="sites",
            action="append",
            default=[],
            metavar="CODE",
            help="Repeatable. Site code (see site_create); the user sees only these sites' patients.",
        )
        parser.add_argument(
            "--trial",
            metavar="NCT_ID",
            default=None,
            help="Look the site codes up in this trial only (needed only when several trials share a code).",
        )
        parser.add_argument(
            "--printed-name", default="", help="Full name printed on e-signatures (default: first and last name)."
        )
        parser.add_argument("--email", default="")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument(
            "--password-env",
            metavar="VAR",
            default=None,
            help=f"Environment variable holding the password (default: {PASSWORD_ENV}, when set; else a prompt).",
        )

    def handle(self, *args, **options):
        username = options["username"].strip()
        try:  # what can be checked before asking for the password
            roles_check(options["roles"])
            trial = trial_by_nct_id(options["trial"]) if options["trial"] else None
            sites = sites_by_code(options["sites"], trial=trial)
        except ValidationError as exc:
            raise option_error(exc, OPTIONS) from exc
        password, source = self._password(username, options["password_env"])
        try:
            user = user_create(
                actor=None,
                username=username,
                password=password,
                roles=options["roles"],
                sites=sites,
                first_name=options["first_name"].strip(),
                last_name=options["last_name"].strip(),
                email=options["email"].strip(),
                printed_name=options["printed_name"].strip(),
            )
        except ValidationError as exc:
            raise option_error(exc, OPTIONS | {"password": f"password ({source})"}) from exc
        roles = ", ".join(Role(role).label for role in dict.fromkeys(options["roles"]))
        codes = ", ".join(site.code for site in sites) or "none (sees no patients)"
        self.stdout.write(
            f"Created user {user.username}: roles {roles}; sites {codes}; signs as {user.signature_name!r}."
        )

    def _password(self, username: str, variable: str | None) -> tuple[str, str]:
        """The password and where it came from (for error messages); never echoed."""
        if variable:
            value = os.environ.get(variable, "")
            if not value:
                raise CommandError(PASSWORD_ENV_UNSET.format(var=variable))
            return value, f"from ${variable}"
        if os.environ.get(PASSWORD_ENV):
            return os.environ[PASSWORD_ENV], f"from ${PASSWORD_ENV}"
        try:
            first = getpass.getpass(f"Password for {username}: ")
            second = getpass.getpass("Password (again): ")
        except (EOFError, KeyboardInterrupt):
            raise CommandError(NO_PASSWORD.format(var=PASSWORD_ENV)) from None
        if first != second:
            raise CommandError(PASSWORDS_DIFFER)
        return first, "typed at the prompt"
