"""Celery tasks of the exports: thin, taking ids; queued on commit (``exports.jobs``)."""

from celery import shared_task
from django.conf import settings

from .jobs import export_job_run


@shared_task(
    name="exports.tasks.run_export", acks_late=True, max_retries=0,
    time_limit=settings.EXPORT_TIME_LIMIT_SECONDS, soft_time_limit=settings.EXPORT_TIME_LIMIT_SECONDS - 60,
)  # fmt: skip
def run_export(export_id: int) -> str:
    """Write one export job's file (a redelivered job that is already done or failed is left as it is)."""
    return export_job_run(export_id).status
