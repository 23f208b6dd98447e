"""Notifications of urgent flags: an e-mail to the site's investigators (the in-app list reads the flags)."""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.utils import timezone

from core.audit.writes import audited_update
from trial.choices import Role
from trial.roles import role_group_name

from .models import Flag

logger = logging.getLogger(__name__)


def notify_urgent(flag_ids) -> int:
    """E-mail each new urgent flag to the investigators of its patient's site; returns the e-mails sent."""
    sent = 0
    User = get_user_model()
    for flag in Flag.objects.filter(pk__in=flag_ids, notified_at__isnull=True).select_related("patient__site"):
        recipients = list(
            User.objects.filter(
                is_active=True, sites=flag.patient.site, groups__name=role_group_name(Role.INVESTIGATOR)
            )
            .exclude(email="")
            .values_list("email", flat=True)
            .distinct()
        )
        if recipients:
            send_mail(
                subject=f"[NCT01371630] Urgent: {flag.title} — {flag.patient.subject_id}",
                message=f"{flag.message}\n\nPatient {flag.patient.subject_id} at {flag.patient.site.code}.\n"
                f"Rule {flag.rule_code}. Open the flag: {settings.SITE_URL}{flag.get_absolute_url()}",
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=recipients,
            )
            sent += len(recipients)
        audited_update(
            flag, actor=None, reason=f"Investigators notified ({len(recipients)})", notified_at=timezone.now()
        )
    return sent
