"""Which protocol version a registration gets: a pure function over the versions' assignment rules."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from trial.choices import VersionAssignmentRule


@dataclass(frozen=True)
class VersionRule:
    code: str
    effective_date: date
    rule: str
    applies_from_sequence_number: int | None = None

    @classmethod
    def from_model(cls, version):
        return cls(version.code, version.effective_date, version.assignment_rule, version.applies_from_sequence_number)

    def matches(self, *, sequence_number: int, registration_date: date) -> bool:
        first = self.applies_from_sequence_number
        by_sequence = first is not None and sequence_number >= first
        by_date = registration_date >= self.effective_date
        return {
            VersionAssignmentRule.BASE: True,
            VersionAssignmentRule.SEQUENCE: by_sequence,
            VersionAssignmentRule.DATE: by_date,
            VersionAssignmentRule.SEQUENCE_OR_DATE: by_sequence or by_date,
        }[self.rule]


class NoProtocolVersion(LookupError):
    pass


def assign_version(rules: Iterable[VersionRule], *, sequence_number: int, registration_date: date) -> str:
    """The code of the latest-effective version whose rule matches this registration."""
    matching = [r for r in rules if r.matches(sequence_number=sequence_number, registration_date=registration_date)]
    if not matching:
        raise NoProtocolVersion("No protocol version applies to this registration.")
    return max(matching, key=lambda r: r.effective_date).code
