"""The safety rules. Each rule is a function over a :class:`~safety.context.PatientContext` that returns
its findings; registering it with :func:`rule` gives it an id, a kind and a default severity.

Every threshold a rule uses is read from the patient's protocol version (``ctx.param``), never written here.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from ..choices import RuleKind, Severity


@dataclass(frozen=True)
class Rule:
    code: str
    kind: str
    title: str
    severity: str
    check: Callable


@dataclass(frozen=True)
class Finding:
    """One condition a rule found. ``key`` distinguishes several conditions of the same rule for one patient."""

    rule: Rule
    message: str
    key: str = ""
    severity: str | None = None
    window_start: date | None = None
    window_end: date | None = None
    evidence: dict = field(default_factory=dict)

    def dedup_key(self, patient_id: int) -> str:
        return f"{self.rule.code}:{patient_id}:{self.key}"


RULES: dict[str, Rule] = {}


def rule(code: str, kind: str, title: str, severity: str = Severity.WARNING):
    """Register a rule function ``check(ctx) -> list[Finding]`` (it builds findings with ``finding(...)``)."""

    def register(check):
        registered = Rule(code, kind, title, severity, check)
        if code in RULES:
            raise ValueError(f"Safety rule {code} is defined twice.")
        RULES[code] = registered
        check.rule = registered
        return check

    return register


def finding(check, message: str, **kwargs) -> Finding:
    return Finding(check.rule, message, **kwargs)


def all_rules() -> list[Rule]:
    from . import deviations, sos, unplanned  # noqa: F401  (registers the rules)

    return [RULES[code] for code in sorted(RULES)]


__all__ = ["RULES", "Finding", "Rule", "RuleKind", "Severity", "all_rules", "finding", "rule"]
