"""Celery tasks of the framework. Thin: they call a service or selector and own the retry policy."""

import logging

from celery import shared_task

from .audit.integrity import audit_integrity_report

logger = logging.getLogger(__name__)


@shared_task(name="core.tasks.audit_integrity_check", acks_late=True, max_retries=0)
def audit_integrity_check() -> int:
    """Nightly: find records whose values differ from their audit history (written past the audit trail)."""
    problems = audit_integrity_report()
    for problem in problems:
        logger.error("Audit integrity: %s #%s %s", problem.model, problem.pk, problem.problem)
    return len(problems)
