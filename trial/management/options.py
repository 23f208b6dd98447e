"""Turning a service's ValidationError into a CommandError that names the command-line option at fault."""

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.management.base import CommandError

NOTHING_CREATED = "Nothing was created."


def option_error(exc: ValidationError, options: dict[str, str]) -> CommandError:
    """One line per problem, "<option>: <rule>", with ``options`` mapping a field name to its option.

    The services validate everything before they write, inside one transaction, so the last line
    says that nothing was written.
    """
    if not hasattr(exc, "error_dict"):
        return CommandError("\n".join([*exc.messages, NOTHING_CREATED]))
    lines = []
    for field, messages in exc.message_dict.items():
        label = "" if field == NON_FIELD_ERRORS else f"{options.get(field, field)}: "
        lines += [f"{label}{message}" for message in messages]
    return CommandError("\n".join([*lines, NOTHING_CREATED]))
