"""Writes of the safety app: evaluate a patient's rules into flags; acknowledge, resolve, dismiss; e-mail the
investigators of a site about its new urgent flags (the in-app list reads the flags)."""

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from core.audit.writes import audited_create, audited_update
from patients.selectors import patient_lock
from patients.services import check_patient_site
from trial.choices import Role
from trial.selectors import site_member_emails

from .choices import ACTIVE_STATUSES, FlagStatus, Severity
from .context import load_context
from .models import Flag
from .rules import all_rules

logger = logging.getLogger(__name__)

CONDITION_GONE = "Resolved automatically: the condition no longer holds ({when})."
CONDITION_BACK = "Reopened: the condition holds again."
NOT_ALLOWED = "Only an investigator may dismiss a flag."
REASON_NEEDED = "Give the reason."
ALREADY_CLOSED = "This flag is already {status}."


def _values(finding):
    return {
        "rule_code": finding.rule.code,
        "rule_kind": finding.rule.kind,
        "title": finding.rule.title,
        "message": finding.message,
        "severity": finding.severity or finding.rule.severity,
        "window_start": finding.window_start,
        "window_end": finding.window_end,
        "evidence": finding.evidence,
    }


def findings_for(patient_id: int, *, now=None):
    ctx = load_context(patient_id, now=now)
    if ctx.patient.protocol_version_id is None:
        return ctx, []
    return ctx, [f for rule in all_rules() for f in rule.check(ctx)]


@transaction.atomic
def patient_evaluate(*, patient_id: int, now=None) -> dict:
    """Run every rule over the patient's data and bring the flags in line: one flag per condition (by its
    deduplication key), new conditions raised, changed evidence updated, conditions gone resolved with the
    time and why. Safe to run twice or concurrently (the patient row is locked, the key is unique)."""
    now = now or timezone.now()
    patient_lock(patient_id)
    _ctx, findings = findings_for(patient_id, now=now)
    existing = {f.dedup_key: f for f in Flag.objects.filter(patient_id=patient_id)}
    seen = set()
    counts = {"raised": 0, "updated": 0, "reopened": 0, "resolved": 0}
    new_urgent = []
    for finding in findings:
        key = finding.dedup_key(patient_id)
        if key in seen:
            continue
        seen.add(key)
        values = _values(finding)
        flag = existing.get(key)
        if flag is None:
            flag = audited_create(
                Flag(patient_id=patient_id, dedup_key=key, raised_at=now, last_seen_at=now, **values),
                actor=None,
                reason=f"Raised by rule {finding.rule.code}",
            )
            counts["raised"] += 1
            if flag.severity == Severity.URGENT:
                new_urgent.append(flag.pk)
            continue
        if flag.status == FlagStatus.DISMISSED:
            continue
        changes = {name: value for name, value in values.items() if getattr(flag, name) != value}
        if flag.status == FlagStatus.RESOLVED:
            changes |= {"status": FlagStatus.OPEN, "resolved_at": None, "resolution": "", "last_seen_at": now}
            audited_update(flag, actor=None, reason=CONDITION_BACK, **changes)
            counts["reopened"] += 1
        elif changes:
            audited_update(flag, actor=None, reason="Evidence updated by the rule", last_seen_at=now, **changes)
            counts["updated"] += 1
    for key, flag in existing.items():
        if key not in seen and flag.status in ACTIVE_STATUSES:
            when = timezone.localtime(now).strftime("%Y-%m-%d %H:%M")
            reason = CONDITION_GONE.format(when=when)
            audited_update(
                flag, actor=None, reason=reason, status=FlagStatus.RESOLVED, resolved_at=now, resolution=reason
            )
            counts["resolved"] += 1
    if new_urgent:
        transaction.on_commit(lambda ids=tuple(new_urgent): notify_urgent(ids))
    return counts


@transaction.atomic
def flag_acknowledge(*, actor, flag: Flag, note: str = "") -> Flag:
    check_patient_site(actor, flag.patient)
    if flag.status != FlagStatus.OPEN:
        raise ValidationError({"status": ALREADY_CLOSED.format(status=flag.get_status_display().lower())})
    flag, _ = audited_update(
        flag, actor=actor, reason=note or "Acknowledged", status=FlagStatus.ACKNOWLEDGED, acknowledged_by=actor
    )
    return flag


@transaction.atomic
def flag_resolve(*, actor, flag: Flag, reason: str) -> Flag:
    """Close a flag by hand (the rule will reopen it if the condition still holds at the next evaluation)."""
    check_patient_site(actor, flag.patient)
    if flag.status not in ACTIVE_STATUSES:
        raise ValidationError({"status": ALREADY_CLOSED.format(status=flag.get_status_display().lower())})
    if not (reason or "").strip():
        raise ValidationError({"reason": REASON_NEEDED})
    flag, _ = audited_update(
        flag, actor=actor, reason=reason, status=FlagStatus.RESOLVED, resolved_at=timezone.now(), resolution=reason
    )
    return flag


@transaction.atomic
def flag_dismiss(*, actor, flag: Flag, reason: str) -> Flag:
    """An investigator dismisses a flag with a reason; the rule will not reopen it."""
    check_patient_site(actor, flag.patient)
    if not actor.has_perm("core.sign_records"):
        raise ValidationError({"reason": NOT_ALLOWED})
    if flag.status == FlagStatus.DISMISSED:
        raise ValidationError({"status": ALREADY_CLOSED.format(status="dismissed")})
    if not (reason or "").strip():
        raise ValidationError({"reason": REASON_NEEDED})
    flag, _ = audited_update(
        flag, actor=actor, reason=reason, status=FlagStatus.DISMISSED, resolved_at=timezone.now(), resolution=reason
    )
    return flag


def notify_urgent(flag_ids) -> int:
    """E-mail each new urgent flag to the investigators of its patient's site; returns the e-mails sent."""
    sent = 0
    for flag in Flag.objects.filter(pk__in=flag_ids, notified_at__isnull=True).select_related("patient__site"):
        recipients = site_member_emails(flag.patient.site, Role.INVESTIGATOR)
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
